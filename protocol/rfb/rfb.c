/* RFB 3.8 client-side encoders and the incremental server-message parser;
 * see rfb.h. Bytes go through the bounded wire.h buffers, big-endian here. */
#include "protocol/rfb/rfb.h"

#include <errno.h>
#include <string.h>

const struct floe_rfb_pixel_format floe_rfb_xrgb = {
    .bpp = 32, .depth = 24, .big_endian = 0, .true_colour = 1,
    .red_max = 255, .green_max = 255, .blue_max = 255,
    .red_shift = 16, .green_shift = 8, .blue_shift = 0,
};

/* ---- big-endian writers and readers over floe_wbuf / floe_rbuf ---- */

static void put_be16(struct floe_wbuf *w, uint16_t v)
{
    uint8_t *p = floe_wbuf_grow(w, 2);

    if (p) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    }
}

static void put_be32(struct floe_wbuf *w, uint32_t v)
{
    uint8_t *p = floe_wbuf_grow(w, 4);

    if (p) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

static uint16_t get_be16(struct floe_rbuf *r)
{
    const uint8_t *p = floe_get_bytes(r, 2);

    return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static uint32_t get_be32(struct floe_rbuf *r)
{
    const uint8_t *p = floe_get_bytes(r, 4);

    return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

static void copy_string(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    if (!dst || !cap)
        return;
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* ---- handshake ---- */

static int parse_digits(const uint8_t *p)
{
    int v = 0, i;

    for (i = 0; i < 3; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int floe_rfb_parse_version(const uint8_t *buf, size_t len, int *major, int *minor, size_t *used)
{
    if (len < FLOE_RFB_VERSION_LEN)
        return 0;
    if (memcmp(buf, "RFB ", 4) != 0 || buf[7] != '.' || buf[11] != '\n')
        return -EBADMSG;
    *major = parse_digits(buf + 4);
    *minor = parse_digits(buf + 8);
    if (*major < 0 || *minor < 0)
        return -EBADMSG;
    if (*major < 3 || (*major == 3 && *minor < 8))
        return -EPROTONOSUPPORT;
    *used = FLOE_RFB_VERSION_LEN;
    return 1;
}

/* A u32 length and that many bytes of text, copied into reason. */
static int parse_reason(struct floe_rbuf *r, char *reason, size_t cap)
{
    uint32_t n = get_be32(r);
    const uint8_t *p;

    if (r->bad)
        return 0;
    if (n > FLOE_RFB_MAX_REASON)
        return -E2BIG;
    p = floe_get_bytes(r, n);
    if (!p)
        return 0;
    copy_string(reason, cap, p, n);
    return 1;
}

int floe_rfb_parse_security(const uint8_t *buf, size_t len, struct floe_rfb_security *sec,
                            char *reason, size_t reason_cap, size_t *used)
{
    struct floe_rbuf r;
    const uint8_t *types;
    int ret;

    floe_rbuf_init(&r, buf, len);
    sec->n = floe_get_u8(&r);
    if (r.bad)
        return 0;
    if (sec->n == 0) {
        ret = parse_reason(&r, reason, reason_cap);
        if (ret <= 0)
            return ret;
    } else {
        types = floe_get_bytes(&r, (size_t)sec->n);
        if (!types)
            return 0;
        memcpy(sec->types, types, (size_t)sec->n);
    }
    *used = r.pos;
    return 1;
}

int floe_rfb_parse_security_result(const uint8_t *buf, size_t len, uint32_t *status,
                                   char *reason, size_t reason_cap, size_t *used)
{
    struct floe_rbuf r;
    int ret;

    floe_rbuf_init(&r, buf, len);
    *status = get_be32(&r);
    if (r.bad)
        return 0;
    if (*status != 0) {
        ret = parse_reason(&r, reason, reason_cap);
        if (ret <= 0)
            return ret;
    }
    *used = r.pos;
    return 1;
}

static int size_ok(uint32_t w, uint32_t h)
{
    return w > 0 && h > 0 && w <= FLOE_RFB_MAX_DIM && h <= FLOE_RFB_MAX_DIM &&
           (long)w * (long)h <= FLOE_RFB_MAX_PIXELS;
}

static void get_pixel_format(struct floe_rbuf *r, struct floe_rfb_pixel_format *pf)
{
    pf->bpp = floe_get_u8(r);
    pf->depth = floe_get_u8(r);
    pf->big_endian = floe_get_u8(r);
    pf->true_colour = floe_get_u8(r);
    pf->red_max = get_be16(r);
    pf->green_max = get_be16(r);
    pf->blue_max = get_be16(r);
    pf->red_shift = floe_get_u8(r);
    pf->green_shift = floe_get_u8(r);
    pf->blue_shift = floe_get_u8(r);
    floe_get_bytes(r, 3);
}

int floe_rfb_parse_server_init(const uint8_t *buf, size_t len, struct floe_rfb_server_init *si,
                               size_t *used)
{
    struct floe_rbuf r;
    uint32_t n;
    const uint8_t *name;

    floe_rbuf_init(&r, buf, len);
    si->width = get_be16(&r);
    si->height = get_be16(&r);
    get_pixel_format(&r, &si->format);
    n = get_be32(&r);
    if (r.bad)
        return 0;
    if (!size_ok(si->width, si->height) || n > FLOE_RFB_MAX_NAME)
        return -E2BIG;
    name = floe_get_bytes(&r, n);
    if (!name)
        return 0;
    copy_string(si->name, sizeof(si->name), name, n);
    *used = r.pos;
    return 1;
}

/* ---- client messages ---- */

void floe_rfb_put_version(struct floe_wbuf *w)
{
    floe_put_bytes(w, "RFB 003.008\n", FLOE_RFB_VERSION_LEN);
}

void floe_rfb_put_security_choice(struct floe_wbuf *w, uint8_t type)
{
    floe_put_u8(w, type);
}

void floe_rfb_put_client_init(struct floe_wbuf *w, int shared)
{
    floe_put_u8(w, shared ? 1 : 0);
}

void floe_rfb_put_set_pixel_format(struct floe_wbuf *w, const struct floe_rfb_pixel_format *pf)
{
    floe_put_u8(w, 0);
    floe_put_zero(w, 3);
    floe_put_u8(w, pf->bpp);
    floe_put_u8(w, pf->depth);
    floe_put_u8(w, pf->big_endian);
    floe_put_u8(w, pf->true_colour);
    put_be16(w, pf->red_max);
    put_be16(w, pf->green_max);
    put_be16(w, pf->blue_max);
    floe_put_u8(w, pf->red_shift);
    floe_put_u8(w, pf->green_shift);
    floe_put_u8(w, pf->blue_shift);
    floe_put_zero(w, 3);
}

void floe_rfb_put_set_encodings(struct floe_wbuf *w, const int32_t *enc, uint16_t n)
{
    uint16_t i;

    floe_put_u8(w, 2);
    floe_put_u8(w, 0);
    put_be16(w, n);
    for (i = 0; i < n; i++)
        put_be32(w, (uint32_t)enc[i]);
}

void floe_rfb_put_update_request(struct floe_wbuf *w, int incremental, uint16_t x, uint16_t y,
                                 uint16_t width, uint16_t height)
{
    floe_put_u8(w, 3);
    floe_put_u8(w, incremental ? 1 : 0);
    put_be16(w, x);
    put_be16(w, y);
    put_be16(w, width);
    put_be16(w, height);
}

void floe_rfb_put_key(struct floe_wbuf *w, int down, uint32_t keysym)
{
    floe_put_u8(w, 4);
    floe_put_u8(w, down ? 1 : 0);
    floe_put_zero(w, 2);
    put_be32(w, keysym);
}

void floe_rfb_put_qemu_key(struct floe_wbuf *w, int down, uint32_t keysym, uint32_t keycode)
{
    floe_put_u8(w, 255);
    floe_put_u8(w, 0);
    put_be16(w, down ? 1 : 0);
    put_be32(w, keysym);
    put_be32(w, keycode);
}

void floe_rfb_put_pointer(struct floe_wbuf *w, uint8_t buttons, uint16_t x, uint16_t y)
{
    floe_put_u8(w, 5);
    floe_put_u8(w, buttons);
    put_be16(w, x);
    put_be16(w, y);
}

uint32_t floe_rfb_xt_keycode(uint32_t xt)
{
    if (xt >= 1 && xt < 0x80)
        return xt;
    if ((xt & 0xff00) == 0xe000 && xt <= 0xe0ff && (xt & 0xff) >= 1 && (xt & 0xff) < 0x80)
        return 0x80 | (xt & 0x7f);
    return 0;
}

/* ---- server messages ---- */

void floe_rfb_parser_init(struct floe_rfb_parser *p, uint16_t fb_w, uint16_t fb_h)
{
    memset(p, 0, sizeof(*p));
    p->fb_w = fb_w;
    p->fb_h = fb_h;
}

static int fail(struct floe_rfb_parser *p, int err, const char *why)
{
    p->error = why;
    return err;
}

static int inside(const struct floe_rfb_parser *p, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    return x + w <= p->fb_w && y + h <= p->fb_h;
}

/* The body of one rectangle after its 12-byte header, read from r. */
static int parse_rect_body(struct floe_rfb_parser *p, struct floe_rbuf *r, struct floe_rfb_rect *rc)
{
    int ret;

    switch (rc->encoding) {
    case FLOE_RFB_ENC_RAW:
        if (!inside(p, rc->x, rc->y, rc->w, rc->h))
            return fail(p, -ERANGE, "raw rectangle outside the framebuffer");
        rc->size = (size_t)rc->w * rc->h * FLOE_RFB_BPP;
        rc->pixels = floe_get_bytes(r, rc->size);
        return rc->pixels ? 1 : 0;
    case FLOE_RFB_ENC_HEXTILE:
        if (!inside(p, rc->x, rc->y, rc->w, rc->h))
            return fail(p, -ERANGE, "hextile rectangle outside the framebuffer");
        ret = floe_rfb_hextile_size(r->p + r->pos, floe_rbuf_left(r), rc->w, rc->h, &rc->size);
        if (ret < 0)
            return fail(p, ret, "bad hextile tile");
        rc->pixels = ret ? floe_get_bytes(r, rc->size) : NULL;
        return ret;
    case FLOE_RFB_ENC_COPYRECT:
        rc->src_x = get_be16(r);
        rc->src_y = get_be16(r);
        if (r->bad)
            return 0;
        if (!inside(p, rc->x, rc->y, rc->w, rc->h) || !inside(p, rc->src_x, rc->src_y, rc->w, rc->h))
            return fail(p, -ERANGE, "copy rectangle outside the framebuffer");
        return 1;
    case FLOE_RFB_ENC_DESKTOP_SIZE:
        if (!size_ok(rc->w, rc->h))
            return fail(p, -E2BIG, "desktop size empty or over the limits");
        return 1;
    case FLOE_RFB_ENC_QEMU_EXT_KEY:
        return 1;
    default:
        return fail(p, -EBADMSG, "rectangle with an encoding that was not asked for");
    }
}

static int parse_rect(struct floe_rfb_parser *p, const uint8_t *buf, size_t len,
                      struct floe_rfb_msg *msg, size_t *used)
{
    struct floe_rfb_rect *rc = &msg->u.rect;
    struct floe_rbuf r;
    int ret;

    memset(msg, 0, sizeof(*msg));
    msg->type = FLOE_RFB_MSG_RECT;
    floe_rbuf_init(&r, buf, len);
    rc->x = get_be16(&r);
    rc->y = get_be16(&r);
    rc->w = get_be16(&r);
    rc->h = get_be16(&r);
    rc->encoding = (int32_t)get_be32(&r);
    if (r.bad)
        return 0;
    ret = parse_rect_body(p, &r, rc);
    if (ret <= 0)
        return ret;
    if (rc->encoding == FLOE_RFB_ENC_DESKTOP_SIZE) {
        p->fb_w = rc->w;
        p->fb_h = rc->h;
    }
    p->rects_left--;
    *used = r.pos;
    return 1;
}

static int parse_message(struct floe_rfb_parser *p, struct floe_rbuf *r, struct floe_rfb_msg *msg)
{
    uint8_t type = floe_get_u8(r);
    uint32_t n;

    memset(msg, 0, sizeof(*msg));
    switch (type) {
    case 0:
        floe_get_u8(r);
        msg->type = FLOE_RFB_MSG_UPDATE_BEGIN;
        msg->u.nrects = get_be16(r);
        if (r->bad)
            return 0;
        p->in_update = 1;
        p->rects_left = msg->u.nrects;
        return 1;
    case 1:
        msg->type = FLOE_RFB_MSG_COLOURMAP;
        floe_get_bytes(r, 3);
        n = get_be16(r);
        return r->bad || !floe_get_bytes(r, (size_t)n * 6) ? 0 : 1;
    case 2:
        msg->type = FLOE_RFB_MSG_BELL;
        return 1;
    case 3:
        msg->type = FLOE_RFB_MSG_CUT_TEXT;
        floe_get_bytes(r, 3);
        n = get_be32(r);
        if (r->bad)
            return 0;
        if (n > FLOE_RFB_MAX_CUT_TEXT)
            return fail(p, -E2BIG, "cut text over the limit");
        msg->u.text.len = n;
        msg->u.text.p = floe_get_bytes(r, n);
        return msg->u.text.p ? 1 : 0;
    default:
        return fail(p, -EBADMSG, "unknown server message type");
    }
}

int floe_rfb_parse(struct floe_rfb_parser *p, const uint8_t *buf, size_t len,
                   struct floe_rfb_msg *msg, size_t *used)
{
    struct floe_rbuf r;
    int ret;

    if (p->in_update && p->rects_left == 0) {
        memset(msg, 0, sizeof(*msg));
        msg->type = FLOE_RFB_MSG_UPDATE_END;
        p->in_update = 0;
        *used = 0;
        return 1;
    }
    if (p->in_update)
        return parse_rect(p, buf, len, msg, used);
    if (len == 0)
        return 0;
    floe_rbuf_init(&r, buf, len);
    ret = parse_message(p, &r, msg);
    if (ret == 1)
        *used = r.pos;
    return ret;
}
