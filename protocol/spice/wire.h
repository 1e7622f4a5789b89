/* Little-endian byte readers and writers: the only place wire bytes become
 * integers. Readers never read past their end; writers grow up to a cap. */
#ifndef FLOE_WIRE_H
#define FLOE_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* A growable output buffer. On allocation failure or when `limit` would be
 * passed, `failed` is set and later writes do nothing. */
struct floe_wbuf {
    uint8_t *data;
    size_t len, cap, limit;
    int failed;
};

void floe_wbuf_init(struct floe_wbuf *w, size_t limit);
void floe_wbuf_free(struct floe_wbuf *w);
/* Hands the bytes to the caller (who frees them) and empties `w`. */
uint8_t *floe_wbuf_steal(struct floe_wbuf *w, size_t *len);
/* Reserves n bytes at the end and returns them (NULL on failure). */
uint8_t *floe_wbuf_grow(struct floe_wbuf *w, size_t n);
void floe_put_u8(struct floe_wbuf *w, uint8_t v);
void floe_put_u16(struct floe_wbuf *w, uint16_t v);
void floe_put_u32(struct floe_wbuf *w, uint32_t v);
void floe_put_u64(struct floe_wbuf *w, uint64_t v);
void floe_put_bytes(struct floe_wbuf *w, const void *p, size_t n);
void floe_put_zero(struct floe_wbuf *w, size_t n);
/* Overwrites a u32 written earlier at byte offset `at`. */
void floe_patch_u32(struct floe_wbuf *w, size_t at, uint32_t v);
void floe_patch_u16(struct floe_wbuf *w, size_t at, uint16_t v);

static inline void floe_put_i32(struct floe_wbuf *w, int32_t v) { floe_put_u32(w, (uint32_t)v); }
static inline void floe_put_i16(struct floe_wbuf *w, int16_t v) { floe_put_u16(w, (uint16_t)v); }

/* A bounded reader. Reading past the end sets `bad` and yields zeros. */
struct floe_rbuf {
    const uint8_t *p;
    size_t len, pos;
    int bad;
};

void floe_rbuf_init(struct floe_rbuf *r, const void *p, size_t len);
/* A reader over [at, end) of `r`'s bytes; bad if `at` is past the end. */
void floe_rbuf_at(struct floe_rbuf *sub, const struct floe_rbuf *r, size_t at);
uint8_t floe_get_u8(struct floe_rbuf *r);
uint16_t floe_get_u16(struct floe_rbuf *r);
uint32_t floe_get_u32(struct floe_rbuf *r);
uint64_t floe_get_u64(struct floe_rbuf *r);
/* Returns a pointer to the next n bytes and skips them, or NULL (bad). */
const uint8_t *floe_get_bytes(struct floe_rbuf *r, size_t n);
static inline int32_t floe_get_i32(struct floe_rbuf *r) { return (int32_t)floe_get_u32(r); }
static inline int16_t floe_get_i16(struct floe_rbuf *r) { return (int16_t)floe_get_u16(r); }
static inline size_t floe_rbuf_left(const struct floe_rbuf *r) { return r->len - r->pos; }

static inline uint32_t floe_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint16_t floe_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
/* A fixed-size head (a header) put together from a stream cut anywhere:
 * copies into buf, which holds *have of its `want` bytes, what is missing
 * and *len has, advancing *p and *len. 1 once buf is whole. */
static inline int floe_take_head(uint8_t *buf, uint32_t *have, uint32_t want, const uint8_t **p,
                                 size_t *len)
{
    size_t take = want - *have < *len ? want - *have : *len;

    memcpy(buf + *have, *p, take);
    *have += (uint32_t)take;
    *p += take;
    *len -= take;
    return *have == want;
}
static inline uint64_t floe_le64(const uint8_t *p)
{
    return (uint64_t)floe_le32(p) | (uint64_t)floe_le32(p + 4) << 32;
}
static inline void floe_wr_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

#pragma GCC visibility pop

#endif
