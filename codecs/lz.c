/* SPICE LZ codec: header checks, one bounds-checked FastLZ-style pass per
 * plane (RGB, then alpha for RGBA) over a row cursor that hides stride and
 * flip; palette streams inflate to bytes first. The encoder is at the end. */
#include "codecs/lz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Wire constants of the LZ bitstream (common/lz.c in spice-common). */
enum {
    LZ_MAX_LITERAL = 32,    /* control bytes below this start a literal run */
    LZ_FAR_OFFSET = 8191,   /* added to a 16-bit far distance */
    LZ_MAX_TYPE = FLOE_LZ_A8,
};

/* What one pass decodes: bytes per literal pixel, how many pixels a match
 * length of zero means, and whether only the alpha byte is written. */
enum lz_plane { LZ_PLANE_RGB24, LZ_PLANE_RGB16, LZ_PLANE_ALPHA, LZ_PLANE_A8 };

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

static int plt_pixels_per_byte(uint32_t type)
{
    return type <= FLOE_LZ_PLT1_BE ? 8 : type <= FLOE_LZ_PLT4_BE ? 2 : 1;
}

static bool is_palette(uint32_t type)
{
    return type >= FLOE_LZ_PLT1_LE && type <= FLOE_LZ_PLT8;
}

/* Sizes are checked as u32 before they become ints, so no field can overflow. */
static int check_sizes(uint32_t type, uint32_t w, uint32_t h, uint32_t stride)
{
    int bpp = rgb_bytes_per_pixel(type);

    if (w == 0 || h == 0 || w > FLOE_LZ_MAX_DIM || h > FLOE_LZ_MAX_DIM)
        return -EBADMSG;
    if ((uint64_t)w * h > (uint64_t)FLOE_LZ_MAX_PIXELS)
        return -EBADMSG;
    if (bpp == 0) {  /* palette: whole bytes a row, the last one maybe part padding */
        uint32_t ppb = (uint32_t)plt_pixels_per_byte(type);

        return stride == (w + ppb - 1) / ppb ? 0 : -EBADMSG;
    }
    return stride == w * (uint32_t)bpp ? 0 : -EBADMSG;
}

/* The header of any valid type: 0 or -EBADMSG. */
static int parse_header(const uint8_t *in, size_t len, struct floe_lz_info *info)
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
    info->has_alpha = type == FLOE_LZ_RGBA || type == FLOE_LZ_XXXA || type == FLOE_LZ_A8;
    return 0;
}

int floe_lz_peek(const uint8_t *in, size_t len, struct floe_lz_info *info)
{
    int ret = parse_header(in, len, info);

    if (ret < 0)
        return ret;
    return is_palette(info->type) || info->type == FLOE_LZ_XXXA ? -EOPNOTSUPP : 0;
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
        case LZ_PLANE_A8:
            *c->p = (uint32_t)src[0] << 24;
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
                                  [LZ_PLANE_ALPHA] = 1, [LZ_PLANE_A8] = 1 };
    static const size_t min_match[] = { [LZ_PLANE_RGB24] = 1, [LZ_PLANE_RGB16] = 2,
                                        [LZ_PLANE_ALPHA] = 3, [LZ_PLANE_A8] = 3 };
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

/* Header checks shared by the decoders: the caller's buffer, then the
 * stream's header (copied to info unless unreadable) against the size the
 * descriptor announced. */
static int begin_decode(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                        int out_stride, struct floe_lz_info *hdr, struct floe_lz_info *info)
{
    int ret = check_args(in, out, out_w, out_h, out_stride);

    if (ret < 0)
        return ret;
    ret = parse_header(in, len, hdr);
    if (ret < 0)
        return ret;
    if (info)
        *info = *hdr;
    return hdr->width == out_w && hdr->height == out_h ? 0 : -EBADMSG;
}

static void init_dec(struct lz_dec *d, const struct floe_lz_info *hdr, const uint8_t *in,
                     size_t len, uint32_t *out, int out_stride_bytes)
{
    d->in = in + FLOE_LZ_HEADER_SIZE;
    d->end = in + len;
    d->width = (size_t)hdr->width;
    d->height = (size_t)hdr->height;
    d->total = d->width * d->height;
    d->row_step = hdr->top_down ? out_stride_bytes : -out_stride_bytes;
    d->out = (uint8_t *)out +
             (hdr->top_down ? 0 : (ptrdiff_t)(hdr->height - 1) * out_stride_bytes);
}

int floe_lz_decode(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                   int out_stride_bytes, struct floe_lz_info *info)
{
    struct floe_lz_info hdr;
    struct lz_dec d;
    int ret;

    ret = begin_decode(in, len, out, out_w, out_h, out_stride_bytes, &hdr, info);
    if (ret < 0)
        return ret;
    if (is_palette(hdr.type) || hdr.type == FLOE_LZ_XXXA)
        return -EOPNOTSUPP;
    init_dec(&d, &hdr, in, len, out, out_stride_bytes);
    switch (hdr.type) {
    case FLOE_LZ_RGB16: ret = decode_plane(&d, LZ_PLANE_RGB16); break;
    case FLOE_LZ_A8: ret = decode_plane(&d, LZ_PLANE_A8); break;
    default: ret = decode_plane(&d, LZ_PLANE_RGB24); break;
    }
    if (ret == 0 && hdr.type == FLOE_LZ_RGBA)
        ret = decode_plane(&d, LZ_PLANE_ALPHA);
    if (ret == 0 && d.in != d.end)
        ret = -EBADMSG;
    return ret;
}

int floe_lz_decode_alpha(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                         int out_stride_bytes, struct floe_lz_info *info)
{
    struct floe_lz_info hdr;
    struct lz_dec d;
    int ret;

    ret = begin_decode(in, len, out, out_w, out_h, out_stride_bytes, &hdr, info);
    if (ret < 0)
        return ret;
    if (hdr.type != FLOE_LZ_XXXA)
        return -EBADMSG;
    init_dec(&d, &hdr, in, len, out, out_stride_bytes);
    ret = decode_plane(&d, LZ_PLANE_ALPHA);
    if (ret == 0 && d.in != d.end)
        ret = -EBADMSG;
    return ret;
}

/* ------------------------------------------------------------------------ */
/* palette streams */

/* Inflates the byte stream of a palette picture into dst[0..total): the
 * same bitstream as the pixel planes with one-byte units, matches of 3 and
 * more. Consumes exactly the stream. */
static int inflate_bytes(struct lz_dec *d, uint8_t *dst, size_t total)
{
    size_t index = 0;

    while (index < total) {
        size_t left = total - index, len, dist;
        uint32_t ctrl;

        if (read_byte(d, &ctrl) < 0)
            return -EBADMSG;
        if (ctrl < LZ_MAX_LITERAL) {
            len = ctrl + 1;
            if (len > left || (size_t)(d->end - d->in) < len)
                return -EBADMSG;
            memcpy(dst + index, d->in, len);
            d->in += len;
        } else {
            if (read_match(d, ctrl, left, &len, &dist) < 0)
                return -EBADMSG;
            len += 3;
            if (len > left || dist > index)
                return -EBADMSG;
            for (size_t i = 0; i < len; i++)  /* forwards: overlaps repeat */
                dst[index + i] = dst[index - dist + i];
        }
        index += len;
    }
    return d->in == d->end ? 0 : -EBADMSG;
}

/* The palette index of pixel x in a row of packed indices. */
static inline unsigned plt_index(enum floe_lz_type type, const uint8_t *row, size_t x)
{
    switch (type) {
    case FLOE_LZ_PLT1_LE: return row[x / 8] >> (x % 8) & 1;
    case FLOE_LZ_PLT1_BE: return row[x / 8] >> (7 - x % 8) & 1;
    case FLOE_LZ_PLT4_LE: return row[x / 2] >> (x % 2 ? 4 : 0) & 15;
    case FLOE_LZ_PLT4_BE: return row[x / 2] >> (x % 2 ? 0 : 4) & 15;
    default: return row[x];
    }
}

/* Looks every index of the picture up; rows come in stream order. */
static int expand_palette(const struct floe_lz_info *hdr, const uint8_t *packed,
                          const uint32_t *palette, unsigned palette_len, uint8_t *out,
                          size_t out_stride)
{
    size_t w = (size_t)hdr->width, h = (size_t)hdr->height;

    for (size_t r = 0; r < h; r++) {
        const uint8_t *src = packed + r * (size_t)hdr->stride;
        size_t y = hdr->top_down ? r : h - 1 - r;
        uint32_t *dst = (uint32_t *)(void *)(out + y * out_stride);

        for (size_t x = 0; x < w; x++) {
            unsigned i = plt_index(hdr->type, src, x);

            if (i >= palette_len)
                return -EBADMSG;
            dst[x] = palette[i] & 0x00ffffffu;
        }
    }
    return 0;
}

int floe_lz_decode_plt(const uint8_t *in, size_t len, const uint32_t *palette, int palette_len,
                       uint32_t *out, int out_w, int out_h, int out_stride_bytes,
                       struct floe_lz_info *info)
{
    struct floe_lz_info hdr;
    struct lz_dec d;
    uint8_t *packed;
    size_t total;
    int ret;

    if (palette_len > 0 && !palette)
        return -EINVAL;
    ret = begin_decode(in, len, out, out_w, out_h, out_stride_bytes, &hdr, info);
    if (ret < 0)
        return ret;
    if (!is_palette(hdr.type) || palette_len < 1 || palette_len > 256)
        return -EBADMSG;
    /* stride is ceil(width / pixels-per-byte): never more than width bytes */
    total = (size_t)hdr.stride * (size_t)hdr.height;
    packed = malloc(total);
    if (!packed)
        return -ENOMEM;
    init_dec(&d, &hdr, in, len, out, out_stride_bytes);
    ret = inflate_bytes(&d, packed, total);
    if (ret == 0)
        ret = expand_palette(&hdr, packed, palette, (unsigned)palette_len, (uint8_t *)out,
                             (size_t)out_stride_bytes);
    free(packed);
    return ret;
}

/* ------------------------------------------------------------------------ */
/* encoder */

/* One pass finds matches through a hash of the next three pixels' keys (the
 * RGB bytes, or the alpha byte) into a table of last positions; a pixel
 * equal to the one before and the two after starts a run (distance 1)
 * without a lookup. Three pixels of context rather than two keep two-colour
 * text from matching only its latest, shortest repeats. Matches start at 3
 * pixels (the alpha format's minimum; 2 or 4 bytes for RGB's 9), far alpha
 * ones at 5 (4 bytes for 5). */
enum {
    ENC_HASH_BITS = 14,
    ENC_NEAR_DIST = 8191,    /* the longest distance of the 2-byte form */
    ENC_FAR_DIST = 73727,    /* 8192 + 65535: the longest of the 4-byte form */
    ENC_SKIP_LOG = 5,        /* after 32 misses in a row look at every other pixel, ... */
};

struct lz_enc {
    const uint32_t *px;      /* the picture's pixels, packed, stream order */
    size_t total;
    uint32_t *htab;          /* 1 << ENC_HASH_BITS positions */
};

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static uint8_t *put_header(uint8_t *p, enum floe_lz_type type, int w, int h)
{
    p = put_be32(p, FLOE_LZ_MAGIC);
    p = put_be32(p, FLOE_LZ_VERSION);
    p = put_be32(p, type);
    p = put_be32(p, (uint32_t)w);
    p = put_be32(p, (uint32_t)h);
    p = put_be32(p, (uint32_t)w * 4);
    return put_be32(p, 1);   /* top-down */
}

/* What a pass compares: RGB bytes, or the alpha byte (255 when forced). */
static inline __attribute__((always_inline)) uint32_t enc_key(uint32_t v, bool alpha,
                                                              uint32_t force)
{
    return alpha ? (v | force) >> 24 : v & 0x00ffffffu;
}

/* Literal runs of up to 32 pixels, each behind its count less one. */
static inline __attribute__((always_inline)) uint8_t *
emit_literals(uint8_t *op, const uint32_t *px, size_t from, size_t to, bool alpha, uint32_t force)
{
    while (from < to) {
        size_t n = to - from < LZ_MAX_LITERAL ? to - from : LZ_MAX_LITERAL;

        *op++ = (uint8_t)(n - 1);
        for (size_t i = from; i < from + n; i++) {
            uint32_t v = px[i];

            if (alpha) {
                *op++ = (uint8_t)((v | force) >> 24);
            } else {
                op[0] = (uint8_t)v;
                op[1] = (uint8_t)(v >> 8);
                op[2] = (uint8_t)(v >> 16);
                op += 3;
            }
        }
        from += n;
    }
    return op;
}

/* A match: field = length less the pass's minimum (1 RGB, 3 alpha), d =
 * distance less one. The 3-bit length field holds 1..6 (field 0..5); 7
 * means more bytes follow, 255 each while at least that much is left. A
 * distance code of 31, 255 is the escape to a 16-bit far distance. */
static uint8_t *put_match(uint8_t *op, size_t field, size_t d)
{
    bool far = d >= ENC_NEAR_DIST;
    uint32_t hi = far ? 31 : (uint32_t)(d >> 8);

    if (field < 6) {
        *op++ = (uint8_t)((field + 1) << 5 | hi);
    } else {
        *op++ = (uint8_t)(7 << 5 | hi);
        for (field -= 6; field >= 255; field -= 255)
            *op++ = 255;
        *op++ = (uint8_t)field;
    }
    if (far) {
        d -= ENC_NEAR_DIST;
        *op++ = 255;
        *op++ = (uint8_t)(d >> 8);
        *op++ = (uint8_t)d;
    } else {
        *op++ = (uint8_t)d;
    }
    return op;
}

static inline __attribute__((always_inline)) uint32_t enc_hash(const uint32_t *p, bool alpha,
                                                               uint32_t force)
{
    uint32_t k;

    if (alpha)
        k = enc_key(p[0], true, force) | enc_key(p[1], true, force) << 8 |
            enc_key(p[2], true, force) << 16;
    else
        k = enc_key(p[0], false, 0) * 0x9e3779b1u ^ enc_key(p[1], false, 0) ^
            enc_key(p[2], false, 0) * 0xc2b2ae3du;
    return (k * 0x85ebca77u) >> (32 - ENC_HASH_BITS);
}

/* Encodes every pixel of e->px once into op (room for 4 bytes a pixel is
 * there) and returns the end. alpha and force are constants at each call,
 * so each pass gets its own tight loop. */
static inline __attribute__((always_inline)) uint8_t *
encode_plane(const struct lz_enc *e, uint8_t *op, bool alpha, uint32_t force)
{
    const uint32_t *px = e->px;
    const size_t n = e->total, need = 3, bias = alpha ? 3 : 1;
    const size_t far_min = alpha ? 5 : 3;
    size_t i = 1, lit = 0, misses = 0;

    memset(e->htab, 0, sizeof(uint32_t) << ENC_HASH_BITS);
    while (i + need <= n) {
        uint32_t k = enc_key(px[i], alpha, force);
        size_t cand, len, max = n - i;

        if (enc_key(px[i - 1], alpha, force) == k && enc_key(px[i + 1], alpha, force) == k &&
            enc_key(px[i + 2], alpha, force) == k) {
            cand = i - 1;
        } else {
            uint32_t h = enc_hash(px + i, alpha, force);

            cand = e->htab[h];
            e->htab[h] = (uint32_t)i;
            if (cand >= i || i - cand > ENC_FAR_DIST || enc_key(px[cand], alpha, force) != k ||
                enc_key(px[cand + 1], alpha, force) != enc_key(px[i + 1], alpha, force) ||
                enc_key(px[cand + 2], alpha, force) != enc_key(px[i + 2], alpha, force)) {
                i += 1 + (misses++ >> ENC_SKIP_LOG);
                continue;
            }
        }
        for (len = need; len < max; len++)
            if (enc_key(px[cand + len], alpha, force) != enc_key(px[i + len], alpha, force))
                break;
        if (i - cand > ENC_NEAR_DIST && len < far_min) {
            i++;
            continue;
        }
        op = emit_literals(op, px, lit, i, alpha, force);
        op = put_match(op, len - bias, i - cand - 1);
        i += len;
        lit = i;
        misses = 0;
        if (i + need <= n + 1)  /* the match's last pixel starts later lookups too */
            e->htab[enc_hash(px + i - 1, alpha, force)] = (uint32_t)(i - 1);
    }
    return emit_literals(op, px, lit, n, alpha, force);
}

static uint8_t *encode_rgb(const struct lz_enc *e, uint8_t *op)
{
    return encode_plane(e, op, false, 0);
}

static uint8_t *encode_alpha(const struct lz_enc *e, uint8_t *op, bool opaque)
{
    if (opaque)
        return encode_plane(e, op, true, 0xff000000u);
    return encode_plane(e, op, true, 0);
}

static int check_picture(const uint32_t *pixels, int width, int height, int stride_bytes)
{
    if (!pixels || width <= 0 || height <= 0 || width > FLOE_LZ_MAX_DIM ||
        height > FLOE_LZ_MAX_DIM || (long)width * height > FLOE_LZ_MAX_PIXELS ||
        stride_bytes <= 0 || stride_bytes % 4 || stride_bytes / 4 < width)
        return -EINVAL;
    return 0;
}

/* Points e at the pixels in stream order: the picture itself when its rows
 * are packed, else a packed copy left in *copy for the caller to free. */
static int enc_begin(struct lz_enc *e, const uint32_t *pixels, int width, int height,
                     int stride_bytes, uint32_t **copy)
{
    size_t w = (size_t)width, h = (size_t)height;

    *copy = NULL;
    e->total = w * h;
    e->htab = malloc(sizeof(uint32_t) << ENC_HASH_BITS);
    if (!e->htab)
        return -ENOMEM;
    if ((size_t)stride_bytes == 4 * w) {
        e->px = pixels;
        return 0;
    }
    *copy = malloc(e->total * 4);
    if (!*copy)
        return -ENOMEM;
    for (size_t y = 0; y < h; y++)
        memcpy(*copy + y * w, (const uint8_t *)pixels + y * (size_t)stride_bytes, 4 * w);
    e->px = *copy;
    return 0;
}

/* Worst case of a stream: literals cost 3 bytes a pixel (1 for alpha) and
 * a count byte per 32; a match taken costs at most 2 bytes a pixel. */
static size_t worst_case(size_t total, bool rgb, bool alpha)
{
    return FLOE_LZ_HEADER_SIZE + (rgb ? 4 * total : 0) + (alpha ? 2 * total : 0);
}

static int encode_stream(const uint32_t *pixels, int width, int height, int stride_bytes,
                         enum floe_lz_type type, bool opaque, struct floe_bytes *out)
{
    bool rgb = type != FLOE_LZ_XXXA, alpha = type != FLOE_LZ_RGB32;
    struct lz_enc e;
    uint32_t *copy;
    uint8_t *op;
    int ret = check_picture(pixels, width, height, stride_bytes);

    if (ret < 0)
        return ret;
    ret = enc_begin(&e, pixels, width, height, stride_bytes, &copy);
    if (ret == 0)
        ret = floe_bytes_reserve(out, worst_case(e.total, rgb, alpha));
    if (ret < 0)
        goto out;
    op = put_header(out->data + out->len, type, width, height);
    if (rgb)
        op = encode_rgb(&e, op);
    if (alpha)
        op = encode_alpha(&e, op, opaque);
    out->len = (size_t)(op - out->data);
out:
    free(copy);
    free(e.htab);
    return ret;
}

int floe_lz_encode(const uint32_t *pixels, int width, int height, int stride_bytes, bool alpha,
                   struct floe_bytes *out)
{
    if (!out)
        return -EINVAL;
    return encode_stream(pixels, width, height, stride_bytes,
                         alpha ? FLOE_LZ_RGBA : FLOE_LZ_RGB32, false, out);
}

int floe_lz_encode_alpha(const uint32_t *pixels, int width, int height, int stride_bytes,
                         bool opaque, struct floe_bytes *out)
{
    if (!out)
        return -EINVAL;
    return encode_stream(pixels, width, height, stride_bytes, FLOE_LZ_XXXA, opaque, out);
}

/* ------------------------------------------------------------------------ */
/* codec table entries */

static int lz_codec_encode(void *state, const struct floe_pic *pic, struct floe_bytes *out,
                           struct floe_coded *meta)
{
    meta->type = 101; /* SPICE_IMAGE_TYPE_LZ_RGB */
    meta->flags = 0;
    meta->aux = 0;
    return floe_lz_encode(pic->pixels, pic->width, pic->height, pic->stride, pic->alpha, out);
}

static int lz_codec_decode(void *state, const struct floe_coded *in, struct floe_pic *out)
{
    struct floe_lz_info info;
    int ret = floe_lz_decode(in->data, in->len, out->pixels, out->width, out->height,
                             out->stride, &info);

    out->alpha = ret == 0 && info.has_alpha;
    return ret;
}

static int lz_plt_codec_decode(void *state, const struct floe_coded *in, struct floe_pic *out)
{
    out->alpha = false;
    return floe_lz_decode_plt(in->data, in->len, in->palette, in->palette_len, out->pixels,
                              out->width, out->height, out->stride, NULL);
}

const struct floe_codec floe_codec_lz = {
    .name = "lz",
    .type = 101,
    .encode = lz_codec_encode,
    .decode = lz_codec_decode,
};

const struct floe_codec floe_codec_lz_plt = {
    .name = "lz-plt",
    .type = 100,
    .decode = lz_plt_codec_decode,
};
