/* libFuzzer target for protocol/rfb's server-side parsers (handshake and the
 * incremental server-message parser). Input: u16 LE framebuffer width and
 * height (taken modulo 257), a u16 LE split point, then the server's bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/rfb/rfb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run small; the parser's own limits are unit-tested. */
#define FUZZ_MAX_PIXELS (1L << 16)

struct fb {
    uint32_t *px;
    int w, h;
};

static int fb_resize(struct fb *fb, int w, int h)
{
    free(fb->px);
    fb->px = NULL;
    if ((long)w * h > FUZZ_MAX_PIXELS)
        return -1;
    fb->px = calloc((size_t)w * h, 4);
    fb->w = w;
    fb->h = h;
    return fb->px ? 0 : -1;
}

/* Applies a rectangle the way the feed does, into an exact-size buffer, so
 * ASan sees any rectangle the parser let through outside the framebuffer. */
static int apply(struct fb *fb, const struct floe_rfb_rect *rc)
{
    int y;

    switch (rc->encoding) {
    case FLOE_RFB_ENC_RAW:
        if (rc->size != (size_t)rc->w * rc->h * 4)
            abort();
        for (y = 0; y < rc->h; y++)
            memcpy(fb->px + (size_t)(rc->y + y) * fb->w + rc->x, rc->pixels + (size_t)y * rc->w * 4,
                   (size_t)rc->w * 4);
        return 0;
    case FLOE_RFB_ENC_HEXTILE:
        /* the parser measured it with the same walk: it decodes */
        if (floe_rfb_hextile_decode(rc->pixels, rc->size, rc->w, rc->h,
                                    fb->px + (size_t)rc->y * fb->w + rc->x, (size_t)fb->w))
            abort();
        return 0;
    case FLOE_RFB_ENC_COPYRECT:
        for (y = 0; y < rc->h; y++)
            memmove(fb->px + (size_t)(rc->y + y) * fb->w + rc->x,
                    fb->px + (size_t)(rc->src_y + y) * fb->w + rc->src_x, (size_t)rc->w * 4);
        return 0;
    case FLOE_RFB_ENC_DESKTOP_SIZE:
        return fb_resize(fb, rc->w, rc->h);
    default:
        return 0;
    }
}

/* Runs the stream as a reader would that first has only `split` bytes;
 * returns a digest of what was parsed (the same whatever the split). */
static uint64_t run(const uint8_t *s, size_t n, size_t split, int w, int h)
{
    struct floe_rfb_parser p;
    struct floe_rfb_msg msg;
    struct fb fb = { 0 };
    size_t off = 0, have = split < n ? split : n, used;
    uint64_t digest = 0;
    int ret;

    floe_rfb_parser_init(&p, (uint16_t)w, (uint16_t)h);
    if (fb_resize(&fb, w, h) < 0)
        return 0;
    for (;;) {
        ret = floe_rfb_parse(&p, s + off, have - off, &msg, &used);
        if (ret == 0 && have < n) {
            have = n;
            continue;
        }
        digest = digest * 1000003 + (uint64_t)(ret + 8) * 64 + (ret == 1 ? msg.type : 0);
        if (ret != 1)
            break;
        if (used > have - off)
            abort();
        digest = digest * 1000003 + used;
        off += used;
        if (msg.type == FLOE_RFB_MSG_RECT && apply(&fb, &msg.u.rect) < 0)
            break;
    }
    if (ret < 0 && !p.error)
        abort();
    free(fb.px);
    return digest;
}

static void handshake(const uint8_t *s, size_t n)
{
    struct floe_rfb_server_init si;
    struct floe_rfb_security sec;
    char reason[64];
    uint32_t status;
    size_t used;
    int major, minor;

    floe_rfb_parse_version(s, n, &major, &minor, &used);
    floe_rfb_parse_security(s, n, &sec, reason, sizeof(reason), &used);
    floe_rfb_parse_security_result(s, n, &status, reason, sizeof(reason), &used);
    if (floe_rfb_parse_server_init(s, n, &si, &used) == 1 && (used > n || !memchr(si.name, 0, sizeof(si.name))))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *s;
    size_t n;
    int w, h;

    if (size < 6)
        return 0;
    w = (data[0] | data[1] << 8) % 257;
    h = (data[2] | data[3] << 8) % 257;
    n = size - 6;
    s = malloc(n ? n : 1);
    if (!s)
        return 0;
    memcpy(s, data + 6, n);
    handshake(s, n);
    if (w && h && run(s, n, n, w, h) != run(s, n, (size_t)(data[4] | data[5] << 8), w, h))
        abort();
    free(s);
    return 0;
}
