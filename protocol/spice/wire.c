/* Little-endian readers and writers over bounded buffers; see wire.h. */
#include "protocol/spice/wire.h"

#include <stdlib.h>
#include <string.h>

void floe_wbuf_init(struct floe_wbuf *w, size_t limit)
{
    memset(w, 0, sizeof(*w));
    w->limit = limit ? limit : SIZE_MAX / 2;
}

void floe_wbuf_free(struct floe_wbuf *w)
{
    free(w->data);
    w->data = NULL;
    w->len = w->cap = 0;
}

uint8_t *floe_wbuf_steal(struct floe_wbuf *w, size_t *len)
{
    uint8_t *d = w->data;

    *len = w->len;
    w->data = NULL;
    w->len = w->cap = 0;
    return d;
}

uint8_t *floe_wbuf_grow(struct floe_wbuf *w, size_t n)
{
    if (w->failed || n > w->limit - w->len) {
        w->failed = 1;
        return NULL;
    }
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        uint8_t *d;

        while (cap < w->len + n)
            cap *= 2;
        d = realloc(w->data, cap);
        if (!d) {
            w->failed = 1;
            return NULL;
        }
        w->data = d;
        w->cap = cap;
    }
    w->len += n;
    return w->data + w->len - n;
}

void floe_put_u8(struct floe_wbuf *w, uint8_t v)
{
    uint8_t *p = floe_wbuf_grow(w, 1);

    if (p)
        p[0] = v;
}

void floe_put_u16(struct floe_wbuf *w, uint16_t v)
{
    uint8_t *p = floe_wbuf_grow(w, 2);

    if (p) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
    }
}

void floe_put_u32(struct floe_wbuf *w, uint32_t v)
{
    uint8_t *p = floe_wbuf_grow(w, 4);

    if (p)
        floe_wr_le32(p, v);
}

void floe_put_u64(struct floe_wbuf *w, uint64_t v)
{
    floe_put_u32(w, (uint32_t)v);
    floe_put_u32(w, (uint32_t)(v >> 32));
}

void floe_put_bytes(struct floe_wbuf *w, const void *src, size_t n)
{
    uint8_t *p = floe_wbuf_grow(w, n);

    if (p && n)
        memcpy(p, src, n);
}

void floe_put_zero(struct floe_wbuf *w, size_t n)
{
    uint8_t *p = floe_wbuf_grow(w, n);

    if (p && n)
        memset(p, 0, n);
}

void floe_patch_u32(struct floe_wbuf *w, size_t at, uint32_t v)
{
    if (!w->failed && at <= w->len && w->len - at >= 4)
        floe_wr_le32(w->data + at, v);
}

void floe_patch_u16(struct floe_wbuf *w, size_t at, uint16_t v)
{
    if (!w->failed && at <= w->len && w->len - at >= 2) {
        w->data[at] = (uint8_t)v;
        w->data[at + 1] = (uint8_t)(v >> 8);
    }
}

void floe_rbuf_init(struct floe_rbuf *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->bad = 0;
}

void floe_rbuf_at(struct floe_rbuf *sub, const struct floe_rbuf *r, size_t at)
{
    if (at > r->len) {
        floe_rbuf_init(sub, r->p, 0);
        sub->bad = 1;
        return;
    }
    floe_rbuf_init(sub, r->p + at, r->len - at);
}

const uint8_t *floe_get_bytes(struct floe_rbuf *r, size_t n)
{
    const uint8_t *p;

    if (r->bad || n > r->len - r->pos) {
        r->bad = 1;
        return NULL;
    }
    p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint8_t floe_get_u8(struct floe_rbuf *r)
{
    const uint8_t *p = floe_get_bytes(r, 1);

    return p ? p[0] : 0;
}

uint16_t floe_get_u16(struct floe_rbuf *r)
{
    const uint8_t *p = floe_get_bytes(r, 2);

    return p ? floe_le16(p) : 0;
}

uint32_t floe_get_u32(struct floe_rbuf *r)
{
    const uint8_t *p = floe_get_bytes(r, 4);

    return p ? floe_le32(p) : 0;
}

uint64_t floe_get_u64(struct floe_rbuf *r)
{
    const uint8_t *p = floe_get_bytes(r, 8);

    return p ? floe_le32(p) | (uint64_t)floe_le32(p + 4) << 32 : 0;
}
