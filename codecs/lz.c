/* SPICE LZ decoder: header checks, then one bounds-checked FastLZ-style pass
 * per plane (RGB, then alpha for RGBA) over a row cursor that hides stride and flip. */
#include "codecs/lz.h"

#include <errno.h>

/* Wire constants of the LZ bitstream (common/lz.c in spice-common). */
enum {
    LZ_MAX_LITERAL = 32,    /* control bytes below this start a literal run */
    LZ_FAR_OFFSET = 8191,   /* added to a 16-bit far distance */
    LZ_MAX_TYPE = FLOE_LZ_A8,
};

/* What one pass decodes: bytes per literal pixel, how many pixels a match
 * length of zero means, and whether only the alpha byte is written. */
enum lz_plane { LZ_PLANE_RGB24, LZ_PLANE_RGB16, LZ_PLANE_ALPHA };

/* A position in the picture, in stream order (row 0 is the first decoded). */
struct lz_pos {
    uint32_t *p;
    size_t row;
    size_t col;
};

struct lz_dec {
    const uint8_t *in;
    const uint8_t *end;
    uint8_t *out;        /* first byte of stream row 0 */
    ptrdiff_t row_step;  /* bytes from one stream row to the next (negative: bottom-up) */
    size_t width;
    size_t height;
    size_t total;        /* width * height */
};

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int rgb_bytes_per_pixel(uint32_t type)
{
    switch (type) {
    case FLOE_LZ_RGB16: return 2;
    case FLOE_LZ_RGB24: return 3;
    case FLOE_LZ_RGB32:
    case FLOE_LZ_RGBA:
    case FLOE_LZ_XXXA: return 4;
    case FLOE_LZ_A8: return 1;
    default: return 0;
    }
}

/* Sizes are checked as u32 before they become ints, so no field can overflow. */
static int check_sizes(uint32_t type, uint32_t w, uint32_t h, uint32_t stride)
{
    int bpp = rgb_bytes_per_pixel(type);

    if (w == 0 || h == 0 || w > FLOE_LZ_MAX_DIM || h > FLOE_LZ_MAX_DIM)
        return -EBADMSG;
    if ((uint64_t)w * h > (uint64_t)FLOE_LZ_MAX_PIXELS)
        return -EBADMSG;
    if (bpp == 0) {  /* palette: at most ceil(w / pixels-per-byte) bytes a row */
        uint32_t ppb = type <= FLOE_LZ_PLT1_BE ? 8 : type <= FLOE_LZ_PLT4_BE ? 2 : 1;

        return stride == 0 || stride > (w + ppb - 1) / ppb ? -EBADMSG : 0;
    }
    return stride == w * (uint32_t)bpp ? 0 : -EBADMSG;
}

int floe_lz_peek(const uint8_t *in, size_t len, struct floe_lz_info *info)
{
    uint32_t type, w, h, stride, top_down;
    int ret;

    if (!in || !info || len < FLOE_LZ_HEADER_SIZE)
        return -EBADMSG;
    if (get_be32(in) != FLOE_LZ_MAGIC || get_be32(in + 4) != FLOE_LZ_VERSION)
        return -EBADMSG;
    type = get_be32(in + 8);
    w = get_be32(in + 12);
    h = get_be32(in + 16);
    stride = get_be32(in + 20);
    top_down = get_be32(in + 24);
    if (type == 0 || type > LZ_MAX_TYPE || top_down > 1)
        return -EBADMSG;
    ret = check_sizes(type, w, h, stride);
    if (ret < 0)
        return ret;
    info->type = (enum floe_lz_type)type;
    info->width = (int)w;
    info->height = (int)h;
    info->stride = (int)stride;
    info->top_down = top_down != 0;
    info->has_alpha = type == FLOE_LZ_RGBA;
    if (type != FLOE_LZ_RGB16 && type != FLOE_LZ_RGB24 && type != FLOE_LZ_RGB32 &&
        type != FLOE_LZ_RGBA)
        return -EOPNOTSUPP;
    return 0;
}

static uint32_t *row_ptr(const struct lz_dec *d, size_t row)
{
    return (uint32_t *)(void *)(d->out + (ptrdiff_t)row * d->row_step);
}

static void pos_set(const struct lz_dec *d, struct lz_pos *c, size_t index)
{
    c->row = index / d->width;
    c->col = index - c->row * d->width;
    c->p = c->row < d->height ? row_ptr(d, c->row) + c->col : NULL;
}

/* Never forms a pointer for the row past the last one. */
static inline void pos_next(const struct lz_dec *d, struct lz_pos *c)
{
    if (++c->col < d->width) {
        c->p++;
        return;
    }
    c->col = 0;
    if (++c->row < d->height)
        c->p = row_ptr(d, c->row);
}

/* 5-bit channel to 8 bits, replicating the top bits as the reference does. */
static inline uint32_t expand5(uint32_t v)
{
    return (v << 3) | (v >> 2);
}

/* Writes count literal pixels at c; the caller checked input and room. */
static void put_literals(const struct lz_dec *d, struct lz_pos *c, enum lz_plane plane,
                         const uint8_t *src, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint32_t v;

        switch (plane) {
        case LZ_PLANE_RGB24:  /* b, g, r */
            *c->p = (uint32_t)src[2] << 16 | (uint32_t)src[1] << 8 | src[0];
            src += 3;
            break;
        case LZ_PLANE_RGB16:  /* big-endian x1r5g5b5 */
            v = (uint32_t)src[0] << 8 | src[1];
            *c->p = expand5((v >> 10) & 31) << 16 | expand5((v >> 5) & 31) << 8 |
                    expand5(v & 31);
            src += 2;
            break;
        case LZ_PLANE_ALPHA:
            *c->p = (*c->p & 0x00ffffffu) | (uint32_t)src[0] << 24;
            src += 1;
            break;
        }
        pos_next(d, c);
    }
}

/* Copies len pixels from dist pixels back, front to back: overlapping runs
 * repeat as the format intends. The caller checked dist and len. */
static void copy_match(const struct lz_dec *d, struct lz_pos *c, enum lz_plane plane,
                       size_t index, size_t dist, size_t len)
{
    struct lz_pos ref;

    pos_set(d, &ref, index - dist);
    for (size_t i = 0; i < len; i++) {
        if (plane == LZ_PLANE_ALPHA)
            *c->p = (*c->p & 0x00ffffffu) | (*ref.p & 0xff000000u);
        else
            *c->p = *ref.p;
        pos_next(d, &ref);
        pos_next(d, c);
    }
}

static int read_byte(struct lz_dec *d, uint32_t *v)
{
    if (d->in == d->end)
        return -EBADMSG;
    *v = *d->in++;
    return 0;
}

/* Parses a match's length and distance (both unbiased) after control byte ctrl;
 * lengths beyond limit are refused as they are read, so they cannot overflow. */
static int read_match(struct lz_dec *d, uint32_t ctrl, size_t limit, size_t *len, size_t *dist)
{
    uint32_t code, hi, lo;
    size_t n = (ctrl >> 5) - 1;
    size_t ofs = (size_t)(ctrl & 31) << 8;

    if (n == 6) {
        do {
            if (read_byte(d, &code) < 0)
                return -EBADMSG;
            n += code;
            if (n > limit)
                return -EBADMSG;
        } while (code == 255);
    }
    if (read_byte(d, &code) < 0)
        return -EBADMSG;
    ofs += code;
    if (code == 255 && ofs - code == (size_t)31 << 8) {
        if (read_byte(d, &hi) < 0 || read_byte(d, &lo) < 0)
            return -EBADMSG;
        ofs = (hi << 8 | lo) + LZ_FAR_OFFSET;
    }
    *len = n;
    *dist = ofs + 1;
    return 0;
}

/* One pass over all d->total pixels; consumes exactly the plane's stream. */
static int decode_plane(struct lz_dec *d, enum lz_plane plane)
{
    static const size_t bpp[] = { [LZ_PLANE_RGB24] = 3, [LZ_PLANE_RGB16] = 2,
                                  [LZ_PLANE_ALPHA] = 1 };
    static const size_t min_match[] = { [LZ_PLANE_RGB24] = 1, [LZ_PLANE_RGB16] = 2,
                                        [LZ_PLANE_ALPHA] = 3 };
    struct lz_pos c;
    size_t index = 0;

    pos_set(d, &c, 0);
    while (index < d->total) {
        size_t left = d->total - index, len, dist;
        uint32_t ctrl;

        if (read_byte(d, &ctrl) < 0)
            return -EBADMSG;
        if (ctrl < LZ_MAX_LITERAL) {
            len = ctrl + 1;
            if (len > left || (size_t)(d->end - d->in) / bpp[plane] < len)
                return -EBADMSG;
            put_literals(d, &c, plane, d->in, len);
            d->in += len * bpp[plane];
        } else {
            if (read_match(d, ctrl, left, &len, &dist) < 0)
                return -EBADMSG;
            len += min_match[plane];
            if (len > left || dist > index)
                return -EBADMSG;
            copy_match(d, &c, plane, index, dist, len);
        }
        index += len;
    }
    return 0;
}

static int check_args(const uint8_t *in, uint32_t *out, int out_w, int out_h, int out_stride)
{
    if (!in || !out || out_w <= 0 || out_h <= 0 || out_stride <= 0 || out_stride % 4)
        return -EINVAL;
    if (out_w > FLOE_LZ_MAX_DIM || out_h > FLOE_LZ_MAX_DIM || out_stride / 4 < out_w)
        return -EINVAL;
    return 0;
}

int floe_lz_decode(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                   int out_stride_bytes, struct floe_lz_info *info)
{
    struct floe_lz_info hdr;
    struct lz_dec d;
    int ret;

    ret = check_args(in, out, out_w, out_h, out_stride_bytes);
    if (ret < 0)
        return ret;
    ret = floe_lz_peek(in, len, &hdr);
    if (info && ret != -EBADMSG)
        *info = hdr;
    if (ret < 0)
        return ret;
    if (hdr.width != out_w || hdr.height != out_h)
        return -EBADMSG;
    d.in = in + FLOE_LZ_HEADER_SIZE;
    d.end = in + len;
    d.width = (size_t)out_w;
    d.height = (size_t)out_h;
    d.total = d.width * d.height;
    d.row_step = hdr.top_down ? out_stride_bytes : -out_stride_bytes;
    d.out = (uint8_t *)out + (hdr.top_down ? 0 : (ptrdiff_t)(out_h - 1) * out_stride_bytes);
    ret = decode_plane(&d, hdr.type == FLOE_LZ_RGB16 ? LZ_PLANE_RGB16 : LZ_PLANE_RGB24);
    if (ret == 0 && hdr.type == FLOE_LZ_RGBA)
        ret = decode_plane(&d, LZ_PLANE_ALPHA);
    if (ret == 0 && d.in != d.end)
        ret = -EBADMSG;
    return ret;
}
