/* libFuzzer target for the display and cursor decoders (draw.c, messages.c).
 * Input: a u16 LE selector (mod FUZZ_KINDS), then one body or a header stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/spice/draw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_FILL, FUZZ_COPY, FUZZ_COPY_BITS, FUZZ_CURSOR, FUZZ_CHANNELS, FUZZ_STREAM,
       FUZZ_KINDS };

static volatile uint32_t sink;

/* Reads every byte of [p, p+n) after checking it lies inside the body: ASan
 * catches a pointer out of the input, the check one into the wrong part. */
static uint32_t touch(const uint8_t *body, size_t len, const uint8_t *p, size_t n)
{
    uint32_t sum = 0;

    if (n == 0)
        return 0;
    if (!p || p < body || n > len || (size_t)(p - body) > len - n)
        abort();
    for (size_t i = 0; i < n; i++)
        sum = sum * 31 + p[i];
    return sum;
}

/* Returns the clip's rects decoded (caller frees), touching each. */
static struct spice_rect *touch_clip(const uint8_t *body, size_t len, const struct spice_clip *c)
{
    struct spice_rect *rects;

    if (c->type == SPICE_CLIP_NONE) {
        if (c->num_rects != 0)
            abort();
        return NULL;
    }
    if (c->type != SPICE_CLIP_RECTS)
        abort();
    sink += touch(body, len, c->rects, (size_t)c->num_rects * SPICE_SIZE_rect);
    rects = calloc(c->num_rects ? c->num_rects : 1, sizeof(*rects));
    if (!rects)
        abort();
    for (uint32_t i = 0; i < c->num_rects; i++) {
        spice_clip_rect(c, i, &rects[i]);
        sink += (uint32_t)(rects[i].top ^ rects[i].left ^ rects[i].bottom ^ rects[i].right);
    }
    return rects;
}

static void touch_image(const uint8_t *body, size_t len, const struct spice_image *img)
{
    if (img->desc.type == SPICE_IMAGE_BITMAP) {
        const struct spice_bitmap *b = &img->bitmap;
        unsigned bpp = spice_bitmap_bpp(b->format);

        if (img->data_len != (size_t)b->stride * b->y || b->x != img->desc.width ||
            b->y != img->desc.height || (bpp && (uint64_t)b->stride < (uint64_t)b->x * bpp))
            abort();
    }
    sink += touch(body, len, img->data, img->data_len);
}

static int mask_is_none(const struct spice_mask *m)
{
    return m->flags == 0 && m->pos.x == 0 && m->pos.y == 0 && m->bitmap == 0;
}

/* Our encoder writing back what the decoder read must give the input's bytes. */
static void expect_prefix(const struct floe_wbuf *w, const uint8_t *body, size_t len)
{
    if (w->failed || w->len > len || memcmp(w->data, body, w->len) != 0)
        abort();
}

static void fuzz_fill(const uint8_t *body, size_t len)
{
    struct spice_draw_fill m;
    struct spice_rect *rects;
    struct floe_wbuf w;

    if (spice_draw_fill_parse(body, len, &m) != 0)
        return;
    rects = touch_clip(body, len, &m.base.clip);
    if (m.brush.type == SPICE_BRUSH_SOLID && m.rop == SPICE_ROPD_OP_PUT && mask_is_none(&m.mask)) {
        floe_wbuf_init(&w, 0);
        spice_draw_fill_put(&w, &m.base, rects, m.brush.color);
        expect_prefix(&w, body, len);
        floe_wbuf_free(&w);
    }
    free(rects);
}

static void fuzz_copy(const uint8_t *body, size_t len)
{
    struct spice_draw_copy m;

    if (spice_draw_copy_parse(body, len, &m) != 0)
        return;
    free(touch_clip(body, len, &m.base.clip));
    if (m.src_bitmap == 0 || m.src_bitmap >= len)
        abort();
    touch_image(body, len, &m.image);
}

static void fuzz_copy_bits(const uint8_t *body, size_t len)
{
    struct spice_copy_bits m;
    struct spice_rect *rects;
    struct floe_wbuf w;

    if (spice_copy_bits_parse(body, len, &m) != 0)
        return;
    rects = touch_clip(body, len, &m.base.clip);
    floe_wbuf_init(&w, 0);
    spice_copy_bits_put(&w, &m.base, rects, m.src_pos);
    expect_prefix(&w, body, len);
    floe_wbuf_free(&w);
    free(rects);
}

/* CURSOR SET: position (i16, i16), visible u8, cursor. */
static void fuzz_cursor(const uint8_t *body, size_t len)
{
    struct spice_point16 pos;
    struct spice_cursor c;
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    spice_point16_get(&r, &pos);
    (void)floe_get_u8(&r);
    if (spice_cursor_get(&r, &c) != 0)
        return;
    /* a cached cursor carries its header but no pixels */
    if (!(c.flags & (SPICE_CURSOR_FLAG_NONE | SPICE_CURSOR_FLAG_FROM_CACHE)) &&
        c.header.type == SPICE_CURSOR_TYPE_ALPHA &&
        c.data_len < (size_t)c.header.width * c.header.height * 4)
        abort();
    sink += touch(body, len, c.data, c.data_len);
}

static void fuzz_channels(const uint8_t *body, size_t len)
{
    struct spice_channel_id ids[16];
    struct floe_rbuf r;
    int n;

    floe_rbuf_init(&r, body, len);
    n = spice_channels_list_get(&r, ids, 16);
    if (n > 16)
        abort();
    for (int i = 0; i < n; i++)
        sink += ids[i].type + ids[i].id;
}

static void fuzz_fixed(uint16_t type, const uint8_t *body, size_t len)
{
    struct spice_surface_create sc;
    struct spice_monitor_head head;
    struct spice_set_ack ack;
    struct floe_rbuf r;
    uint16_t count;

    floe_rbuf_init(&r, body, len);
    switch (type) {
    case SPICE_MSG_SET_ACK:
        spice_set_ack_get(&r, &ack);
        sink += ack.window;
        break;
    case SPICE_MSG_DISPLAY_SURFACE_CREATE:
        spice_surface_create_get(&r, &sc);
        sink += sc.width * sc.height;
        break;
    case SPICE_MSG_DISPLAY_MONITORS_CONFIG:
        count = floe_get_u16(&r);
        (void)floe_get_u16(&r);
        for (uint16_t i = 0; i < count && !r.bad; i++) {
            spice_monitor_head_get(&r, &head);
            sink += head.width;
        }
        break;
    }
}

/* One message body, in an exact-size heap copy. */
static void fuzz_message(uint16_t type, const uint8_t *p, size_t n)
{
    uint8_t *body = malloc(n); /* ASan: non-NULL even for 0 bytes, none readable */

    if (!body)
        return;
    memcpy(body, p, n);
    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_FILL: fuzz_fill(body, n); break;
    case SPICE_MSG_DISPLAY_DRAW_COPY: fuzz_copy(body, n); break;
    case SPICE_MSG_DISPLAY_COPY_BITS: fuzz_copy_bits(body, n); break;
    case SPICE_MSG_CURSOR_SET: fuzz_cursor(body, n); break;
    default: fuzz_fixed(type, body, n); break;
    }
    free(body);
}

/* A byte stream as a channel reads it: first byte picks mini headers. */
static void fuzz_stream(const uint8_t *data, size_t size)
{
    struct spice_msg_header h;
    size_t hlen;
    int mini;

    if (size < 1)
        return;
    mini = data[0] & 1;
    data++;
    size--;
    while ((hlen = spice_header_parse(data, size, mini, &h)) != 0) {
        if (hlen != (mini ? 6u : 18u) || hlen > size)
            abort();
        if (h.size > size - hlen)
            return; /* a reader would wait for more */
        fuzz_message(h.type, data + hlen, h.size);
        data += hlen + h.size;
        size -= hlen + h.size;
    }
    if (size >= (mini ? 6u : 18u))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned kind;

    if (size < 2)
        return 0;
    kind = (unsigned)(data[0] | data[1] << 8) % FUZZ_KINDS;
    data += 2;
    size -= 2;
    switch (kind) {
    case FUZZ_FILL: fuzz_fill(data, size); break;
    case FUZZ_COPY: fuzz_copy(data, size); break;
    case FUZZ_COPY_BITS: fuzz_copy_bits(data, size); break;
    case FUZZ_CURSOR: fuzz_cursor(data, size); break;
    case FUZZ_CHANNELS: fuzz_channels(data, size); break;
    case FUZZ_STREAM: fuzz_stream(data, size); break;
    }
    return 0;
}
