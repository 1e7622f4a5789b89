/* SPICE GLZ codec: header checks, the client's window of decoded images and
 * its bounds-checked decoder, then the server's dictionary and encoder. */
#include "codecs/glz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Wire constants (common/lz_common.h and the GLZ encoder in spice). */
enum {
    GLZ_MAX_LITERAL = 32,          /* control bytes below this start literals */
    GLZ_SHORT_OFFSET = 1 << 12,    /* pixel counts below this take the short form */
    GLZ_MEDIUM_OFFSET = 1 << 17,   /* ... below this the medium one */
    GLZ_MAX_OFFSET = 1 << 25,      /* the long form's limit */
    GLZ_FLAG_TOP_DOWN = 0x10,
};

#define RGB_MASK 0x00ffffffu

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static uint32_t window_size(uint32_t pixels)
{
    if (pixels == 0)
        return FLOE_GLZ_DEFAULT_WINDOW;
    return pixels > FLOE_GLZ_MAX_WINDOW ? FLOE_GLZ_MAX_WINDOW : pixels;
}

/* Bytes a literal pixel takes in the RGB pass. */
static uint32_t literal_bytes(uint32_t type)
{
    switch (type) {
    case FLOE_GLZ_RGB16: return 2;
    case FLOE_GLZ_RGB24:
    case FLOE_GLZ_RGB32:
    case FLOE_GLZ_RGBA: return 3;
    default: return 0;
    }
}

/* The header's stride counts the pixel's bytes in the server's bitmap. */
static uint32_t stride_bytes(uint32_t type)
{
    return type == FLOE_GLZ_RGB16 ? 2 : type == FLOE_GLZ_RGB24 ? 3 : 4;
}

int floe_glz_peek(const uint8_t *in, size_t len, struct floe_glz_info *info)
{
    uint32_t type, w, h, stride;

    if (!in || !info || len < FLOE_GLZ_HEADER_SIZE)
        return -EBADMSG;
    if (get_be32(in) != FLOE_GLZ_MAGIC || get_be32(in + 4) != FLOE_GLZ_VERSION)
        return -EBADMSG;
    type = in[8] & 0x0f;
    w = get_be32(in + 9);
    h = get_be32(in + 13);
    stride = get_be32(in + 17);
    if ((in[8] & ~(GLZ_FLAG_TOP_DOWN | 0x0f)) || literal_bytes(type) == 0)
        return -EBADMSG;
    if (w == 0 || h == 0 || w > FLOE_GLZ_MAX_DIM || h > FLOE_GLZ_MAX_DIM ||
        (uint64_t)w * h > (uint64_t)FLOE_GLZ_MAX_PIXELS)
        return -EBADMSG;
    if ((uint64_t)stride != (uint64_t)w * stride_bytes(type))
        return -EBADMSG;
    info->type = (enum floe_glz_type)type;
    info->width = (int)w;
    info->height = (int)h;
    info->top_down = (in[8] & GLZ_FLAG_TOP_DOWN) != 0;
    info->has_alpha = type == FLOE_GLZ_RGBA;
    info->id = (uint64_t)get_be32(in + 21) << 32 | get_be32(in + 25);
    info->win_head_dist = get_be32(in + 29);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* the decoder's window */

/* A decoded image, its pixels in stream order (as matches count them). */
struct glz_image {
    uint64_t id;
    uint32_t *px;
    uint32_t npix;
};

struct floe_glz_window {
    uint32_t limit;          /* pixels kept between decodes, at most */
    size_t max_images;
    struct glz_image *img;   /* ascending ids */
    size_t n, cap;
    uint64_t pixels;
    uint64_t floor;          /* images below this id were released */
};

struct floe_glz_window *floe_glz_window_new(uint32_t pixels)
{
    struct floe_glz_window *w = calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    w->limit = window_size(pixels);
    /* tiny images cost more in bookkeeping than in pixels: cap their number */
    w->max_images = w->limit / 8 + 1024;
    return w;
}

void floe_glz_window_reset(struct floe_glz_window *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->img[i].px);
    w->n = 0;
    w->pixels = 0;
    w->floor = 0;
}

void floe_glz_window_free(struct floe_glz_window *w)
{
    if (!w)
        return;
    floe_glz_window_reset(w);
    free(w->img);
    free(w);
}

size_t floe_glz_window_images(const struct floe_glz_window *w)
{
    return w ? w->n : 0;
}

uint64_t floe_glz_window_pixels(const struct floe_glz_window *w)
{
    return w ? w->pixels : 0;
}

/* Index of the first image whose id is `id` or more. */
static size_t window_lower_bound(const struct floe_glz_window *w, uint64_t id)
{
    size_t lo = 0, hi = w->n;

    /* most references name one of the newest images: try the contiguous guess */
    if (w->n && w->img[w->n - 1].id >= id && w->img[w->n - 1].id - id < w->n) {
        size_t guess = w->n - 1 - (size_t)(w->img[w->n - 1].id - id);

        if (w->img[guess].id == id)
            return guess;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (w->img[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct glz_image *window_find(const struct floe_glz_window *w, uint64_t id)
{
    size_t i = window_lower_bound(w, id);

    return i < w->n && w->img[i].id == id ? &w->img[i] : NULL;
}

/* What decoding image `h` would leave in the window: refused (before anything
 * is allocated) if that is over the window's limits. *release is the new
 * floor, *nrel how many of the oldest images go. */
static int window_plan(const struct floe_glz_window *w, const struct floe_glz_info *h,
                       uint32_t npix, uint64_t *release, size_t *nrel)
{
    uint64_t floor = w->floor, freed = 0;
    size_t i = 0;

    if (h->win_head_dist > h->id || h->id < w->floor || npix >= w->limit)
        return -EBADMSG;
    if (window_find(w, h->id))
        return -EBADMSG;
    /* an image arriving after a newer one moves nothing */
    if (w->n == 0 || h->id > w->img[w->n - 1].id) {
        if (h->id - h->win_head_dist > floor)
            floor = h->id - h->win_head_dist;
        for (; i < w->n && w->img[i].id < floor; i++)
            freed += w->img[i].npix;
    }
    if (w->pixels - freed + npix > w->limit || w->n - i + 1 > w->max_images)
        return -EBADMSG;
    *release = floor;
    *nrel = i;
    return 0;
}

/* Adds an image (px owned from now on) after dropping the nrel oldest ones. */
static int window_commit(struct floe_glz_window *w, uint64_t id, uint32_t *px, uint32_t npix,
                         uint64_t floor, size_t nrel)
{
    size_t at;

    if (w->n - nrel + 1 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        struct glz_image *p;

        while (cap < w->n - nrel + 1)
            cap *= 2;
        p = realloc(w->img, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        w->img = p;
        w->cap = cap;
    }
    for (size_t i = 0; i < nrel; i++) {
        w->pixels -= w->img[i].npix;
        free(w->img[i].px);
    }
    w->n -= nrel;
    memmove(w->img, w->img + nrel, w->n * sizeof(*w->img));
    w->floor = floor;
    at = window_lower_bound(w, id);
    memmove(w->img + at + 1, w->img + at, (w->n - at) * sizeof(*w->img));
    w->img[at] = (struct glz_image){ .id = id, .px = px, .npix = npix };
    w->n++;
    w->pixels += npix;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* decoding */

enum glz_pass { PASS_RGB32, PASS_RGB16, PASS_ALPHA };

struct glz_dec {
    const uint8_t *in, *end;
    uint32_t *px;                  /* the new image, stream order */
    size_t n;
    const struct floe_glz_window *w;
    uint64_t id;
    uint32_t head_dist;
    uint32_t foreign_mask;         /* kept of pixels copied from other images */
};

/* A match's fields: length (unbiased), pixel count, image distance. */
struct glz_ref {
    size_t len;
    uint32_t ofs;
    uint32_t img;
};

#define NEED(d, k) do { if ((size_t)((d)->end - (d)->in) < (size_t)(k)) return -EBADMSG; } while (0)

/* Reads the rest of a match after control byte ctrl; lengths over `limit`
 * are refused while they are summed, so they cannot overflow. */
static int read_ref(struct glz_dec *d, uint32_t ctrl, size_t limit, struct glz_ref *r)
{
    uint32_t code, flag;

    r->len = ctrl >> 5;
    r->ofs = ctrl & 15;
    if (r->len == 7) {
        do {
            NEED(d, 1);
            code = *d->in++;
            r->len += code;
            if (r->len > limit)
                return -EBADMSG;
        } while (code == 255);
    }
    NEED(d, 2);
    r->ofs |= (uint32_t)d->in[0] << 4;
    code = d->in[1];
    d->in += 2;
    flag = code >> 6;
    NEED(d, flag);
    if (!(ctrl & 16)) {
        r->img = code & 63;
        for (uint32_t i = 0; i < flag; i++)
            r->img |= (uint32_t)*d->in++ << (6 + 8 * i);
        return 0;
    }
    r->ofs |= (code & 31) << 12;
    r->img = 0;
    for (uint32_t i = 0; i < flag; i++)
        r->img |= (uint32_t)*d->in++ << (8 * i);
    if (code & 32) {
        NEED(d, 1);
        r->ofs |= (uint32_t)*d->in++ << 17;
    }
    return 0;
}

/* 5-bit channel to 8 bits, replicating the top bits as the reference does. */
static inline uint32_t expand5(uint32_t v)
{
    return (v << 3) | (v >> 2);
}

static void put_literals(struct glz_dec *d, enum glz_pass pass, size_t at, size_t count)
{
    const uint8_t *s = d->in;
    uint32_t *o = d->px + at;

    switch (pass) {
    case PASS_RGB32:
        for (size_t i = 0; i < count; i++, s += 3)
            o[i] = (uint32_t)s[2] << 16 | (uint32_t)s[1] << 8 | s[0];
        break;
    case PASS_RGB16:
        for (size_t i = 0; i < count; i++, s += 2) {
            uint32_t v = (uint32_t)s[0] << 8 | s[1];

            o[i] = expand5((v >> 10) & 31) << 16 | expand5((v >> 5) & 31) << 8 | expand5(v & 31);
        }
        break;
    case PASS_ALPHA:
        for (size_t i = 0; i < count; i++, s++)
            o[i] = (o[i] & RGB_MASK) | (uint32_t)*s << 24;
        break;
    }
    d->in = s;
}

/* Copies a checked match to pixel `at`: front to back, so an overlapping one
 * repeats its source as the format intends. */
static int copy_ref(struct glz_dec *d, enum glz_pass pass, size_t at, const struct glz_ref *r)
{
    const uint32_t *src;
    uint32_t *o = d->px + at;
    uint32_t mask = RGB_MASK;

    if (r->img == 0) {
        if ((size_t)r->ofs + 1 > at)
            return -EBADMSG;
        src = o - r->ofs - 1;
    } else {
        const struct glz_image *ref;

        /* the image named no older than this image's own head: never trust
         * the window to still hold anything else */
        if (r->img > d->head_dist)
            return -EBADMSG;
        ref = window_find(d->w, d->id - r->img);
        if (!ref || r->ofs > ref->npix || r->len > ref->npix - r->ofs)
            return -EBADMSG;
        src = ref->px + r->ofs;
        mask = d->foreign_mask;
    }
    if (pass == PASS_ALPHA) {
        for (size_t i = 0; i < r->len; i++)
            o[i] = (o[i] & RGB_MASK) | (src[i] & ~RGB_MASK);
    } else if (r->img == 0) {
        for (size_t i = 0; i < r->len; i++)
            o[i] = src[i];
    } else {
        for (size_t i = 0; i < r->len; i++)
            o[i] = src[i] & mask;
    }
    return 0;
}

/* One pass over all d->n pixels; consumes exactly that pass's bytes. */
static int decode_pass(struct glz_dec *d, enum glz_pass pass)
{
    size_t bias = pass == PASS_ALPHA ? 2 : pass == PASS_RGB16 ? 1 : 0;
    size_t bpp = pass == PASS_ALPHA ? 1 : pass == PASS_RGB16 ? 2 : 3;
    size_t at = 0;

    while (at < d->n) {
        size_t left = d->n - at;
        uint32_t ctrl;
        struct glz_ref r;

        NEED(d, 1);
        ctrl = *d->in++;
        if (ctrl < GLZ_MAX_LITERAL) {
            size_t count = ctrl + 1;

            if (count > left || (size_t)(d->end - d->in) / bpp < count)
                return -EBADMSG;
            put_literals(d, pass, at, count);
            at += count;
            continue;
        }
        if (read_ref(d, ctrl, left, &r) < 0)
            return -EBADMSG;
        r.len += bias;
        if (r.len > left || copy_ref(d, pass, at, &r) < 0)
            return -EBADMSG;
        at += r.len;
    }
    return 0;
}

/* Stream order to the caller's rows, top first. */
static void store_rows(const uint32_t *px, const struct floe_glz_info *h, uint32_t *out,
                       int stride_bytes)
{
    size_t w = (size_t)h->width;

    for (int y = 0; y < h->height; y++) {
        int row = h->top_down ? y : h->height - 1 - y;
        uint32_t *o = (uint32_t *)(void *)((uint8_t *)out + (size_t)row * (size_t)stride_bytes);

        memcpy(o, px + (size_t)y * w, w * 4);
    }
}

static int check_args(const struct floe_glz_window *w, const uint8_t *in, const uint32_t *out,
                      int out_w, int out_h, int out_stride)
{
    if (!w || !in || !out || out_w <= 0 || out_h <= 0 || out_stride <= 0 || out_stride % 4)
        return -EINVAL;
    if (out_w > FLOE_GLZ_MAX_DIM || out_h > FLOE_GLZ_MAX_DIM || out_stride / 4 < out_w)
        return -EINVAL;
    return 0;
}

int floe_glz_decode(struct floe_glz_window *w, const uint8_t *in, size_t len, uint32_t *out,
                    int out_w, int out_h, int out_stride_bytes, struct floe_glz_info *info)
{
    struct floe_glz_info h;
    struct glz_dec d;
    uint64_t floor;
    size_t nrel;
    int ret;

    ret = check_args(w, in, out, out_w, out_h, out_stride_bytes);
    if (ret < 0)
        return ret;
    ret = floe_glz_peek(in, len, &h);
    if (ret < 0)
        return ret;
    if (info)
        *info = h;
    if (h.width != out_w || h.height != out_h)
        return -EBADMSG;
    d.n = (size_t)out_w * (size_t)out_h;
    ret = window_plan(w, &h, (uint32_t)d.n, &floor, &nrel);
    if (ret < 0)
        return ret;
    d.px = malloc(d.n * 4);
    if (!d.px)
        return -ENOMEM;
    d.in = in + FLOE_GLZ_HEADER_SIZE;
    d.end = in + len;
    d.w = w;
    d.id = h.id;
    d.head_dist = h.win_head_dist;
    d.foreign_mask = h.has_alpha ? ~0u : RGB_MASK;
    ret = decode_pass(&d, h.type == FLOE_GLZ_RGB16 ? PASS_RGB16 : PASS_RGB32);
    if (ret == 0 && h.has_alpha)
        ret = decode_pass(&d, PASS_ALPHA);
    if (ret == 0 && d.in != d.end)
        ret = -EBADMSG;
    if (ret == 0)
        ret = window_commit(w, h.id, d.px, (uint32_t)d.n, floor, nrel);
    if (ret < 0) {
        free(d.px);
        return ret;
    }
    store_rows(d.px, &h, out, out_stride_bytes);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* the encoder's dictionary */

/* Images the dictionary keeps at most, whatever their size: a head the
 * encoder moves early only makes the client free sooner. A power of two:
 * image i lives in slot i % ENC_MAX_IMAGES. */
#define ENC_SLOT_BITS 10
#define ENC_MAX_IMAGES (1u << ENC_SLOT_BITS)
/* Hash buckets of the last ENC_WAYS places each 3-pixel key was seen. */
#define ENC_HASH_LOG 17
#define ENC_WAYS 4
#define ENC_MIN_MATCH 3
/* How many pixels ahead the encoder asks for its bucket. */
#define ENC_PREFETCH 4

struct enc_image {
    uint64_t id;
    uint32_t *px;        /* a copy of the picture, top row first */
    uint32_t npix;
    uint32_t width;
    bool alpha;
    bool live;
};

/* A place to match from: image slot and pixel; checked on use. */
struct enc_entry {
    uint32_t slot;
    uint32_t pos;
};

/* The last places a key was seen, newest first. A tag holds the slot in its
 * low ENC_SLOT_BITS and more bits of the key's hash above them: most
 * entries that cannot match are passed over without reading their pixels,
 * which lie anywhere in the window and would each cost a cache miss. */
struct enc_bucket {
    uint32_t tag[ENC_WAYS];
    uint32_t pos[ENC_WAYS];
};

struct floe_glz_dict {
    uint32_t limit;
    uint64_t next_id;
    uint64_t head_id;        /* oldest live image, when count > 0 */
    size_t count;            /* live images: ids head_id .. next_id - 1 */
    uint64_t pixels;
    struct enc_image slot[ENC_MAX_IMAGES];
    struct enc_bucket *htab;
};

struct floe_glz_dict *floe_glz_dict_new(uint32_t pixels)
{
    struct floe_glz_dict *d = calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    /* buckets aligned to cache lines: one probe, one line. Zeroed entries
     * name slot 0 at pixel 0: checked like any other */
    d->htab = aligned_alloc(64, sizeof(*d->htab) << ENC_HASH_LOG);
    if (!d->htab) {
        free(d);
        return NULL;
    }
    memset(d->htab, 0, sizeof(*d->htab) << ENC_HASH_LOG);
    d->limit = window_size(pixels);
    return d;
}

static void dict_drop_head(struct floe_glz_dict *d)
{
    struct enc_image *im = &d->slot[d->head_id % ENC_MAX_IMAGES];

    d->pixels -= im->npix;
    free(im->px);
    im->px = NULL;
    im->live = false;
    d->head_id++;
    d->count--;
}

void floe_glz_dict_reset(struct floe_glz_dict *d)
{
    if (!d)
        return;
    while (d->count)
        dict_drop_head(d);
    d->head_id = d->next_id;
}

void floe_glz_dict_free(struct floe_glz_dict *d)
{
    if (!d)
        return;
    floe_glz_dict_reset(d);
    free(d->htab);
    free(d);
}

/* ------------------------------------------------------------------------ */
/* encoding */

struct glz_enc {
    struct floe_glz_dict *d;
    const struct enc_image *cur;
    uint32_t slot;
    uint8_t *op;             /* output, room reserved for the worst case */
    /* the last match's source and the last one in an earlier image, as
     * image and offset from the current pixel: moved or repeated content
     * matches there again, row after row */
    struct enc_entry rep[2];
    int64_t rep_delta[2];
};

/* The 72-bit key of three pixels, hashed: the top bits pick the bucket,
 * bits below them make the tag. */
static inline uint64_t hash3(const uint32_t *p)
{
    uint64_t h = ((uint64_t)(p[0] & RGB_MASK) | (uint64_t)(p[1] & RGB_MASK) << 24) *
                 0x9E3779B97F4A7C15ull;

    return h ^ (uint64_t)(p[2] & RGB_MASK) * 0xC2B2AE3D27D4EB4Full;
}

static inline struct enc_bucket *hash_bucket(const struct glz_enc *e, uint64_t h)
{
    return &e->d->htab[h >> (64 - ENC_HASH_LOG)];
}

static inline uint32_t hash_tag(uint64_t h, uint32_t slot)
{
    return ((uint32_t)(h >> 15) & ~((1u << ENC_SLOT_BITS) - 1)) | slot;
}

static inline void bucket_add(struct enc_bucket *b, uint32_t tag, uint32_t pos)
{
    for (int k = ENC_WAYS - 1; k > 0; k--) {
        b->tag[k] = b->tag[k - 1];
        b->pos[k] = b->pos[k - 1];
    }
    b->tag[0] = tag;
    b->pos[0] = pos;
}

/* Writes a match: code is the length less the pass's bias (1 or more), ofs
 * the pixel count (distance - 1 in this image, else the offset in image
 * `img` back). The caller keeps ofs below GLZ_MAX_OFFSET and img below 2^24. */
static uint8_t *put_match(uint8_t *op, size_t code, uint32_t ofs, uint32_t img)
{
    uint8_t low = (uint8_t)((ofs >= GLZ_SHORT_OFFSET ? 16 : 0) | (ofs & 15));

    if (code < 7) {
        *op++ = (uint8_t)(code << 5 | low);
    } else {
        *op++ = (uint8_t)(7 << 5 | low);
        for (code -= 7; code >= 255; code -= 255)
            *op++ = 255;
        *op++ = (uint8_t)code;
    }
    *op++ = (uint8_t)(ofs >> 4);
    if (ofs < GLZ_SHORT_OFFSET) {
        /* two flag bits: how many more bytes of image distance follow */
        int more = img < 1u << 6 ? 0 : img < 1u << 14 ? 1 : img < 1u << 22 ? 2 : 3;

        *op++ = (uint8_t)(more << 6 | (img & 63));
        for (int i = 0; i < more; i++)
            *op++ = (uint8_t)(img >> (6 + 8 * i));
    } else {
        int more = img == 0 ? 0 : img < 1u << 8 ? 1 : img < 1u << 16 ? 2 : 3;
        uint8_t longer = ofs >= GLZ_MEDIUM_OFFSET ? 32 : 0;

        *op++ = (uint8_t)(more << 6 | longer | ((ofs >> 12) & 31));
        for (int i = 0; i < more; i++)
            *op++ = (uint8_t)(img >> (8 * i));
        if (longer)
            *op++ = (uint8_t)(ofs >> 17);
    }
    return op;
}

/* Literal pixels [from, to) of the RGB pass, in runs of at most 32. */
static uint8_t *put_rgb_literals(uint8_t *op, const uint32_t *px, size_t from, size_t to)
{
    while (from < to) {
        size_t n = to - from < GLZ_MAX_LITERAL ? to - from : GLZ_MAX_LITERAL;

        *op++ = (uint8_t)(n - 1);
        for (size_t i = 0; i < n; i++) {
            uint32_t v = px[from + i];

            op[0] = (uint8_t)v;
            op[1] = (uint8_t)(v >> 8);
            op[2] = (uint8_t)(v >> 16);
            op += 3;
        }
        from += n;
    }
    return op;
}

static inline size_t match_rgb(const uint32_t *a, const uint32_t *b, size_t max)
{
    size_t n = 0;

    while (n < max && !((a[n] ^ b[n]) & RGB_MASK))
        n++;
    return n;
}

/* The pixels a hash entry points at, if they are still in the window and of
 * the current kind; *max bounds a match from there. */
static const uint32_t *entry_pixels(const struct glz_enc *e, const struct enc_entry *en,
                                    size_t at, size_t *max, uint32_t *img)
{
    const struct enc_image *im = &e->d->slot[en->slot % ENC_MAX_IMAGES];

    /* an entry may outlive its image: the slot's image now is checked */
    if (!im->live || im->alpha != e->cur->alpha)
        return NULL;
    if (im == e->cur) {
        if (en->pos >= at || at - en->pos - 1 >= GLZ_MAX_OFFSET)
            return NULL;
        *max = e->cur->npix - at;
        *img = 0;
    } else {
        if (en->pos >= im->npix || en->pos >= GLZ_MAX_OFFSET)
            return NULL;
        *max = im->npix - en->pos;
        if (*max > e->cur->npix - at)
            *max = e->cur->npix - at;
        *img = (uint32_t)(e->cur->id - im->id);
    }
    return im->px + en->pos;
}

/* Tries the entry for pixel `at`: a longer match than *best replaces it. */
static void try_entry(struct glz_enc *e, const struct enc_entry *en, size_t at, size_t *best,
                      struct enc_entry *from, uint32_t *ofs, uint32_t *img)
{
    const uint32_t *px = e->cur->px;
    size_t max, n;
    uint32_t im;
    const uint32_t *ref = entry_pixels(e, en, at, &max, &im);

    if (!ref || (ref[0] ^ px[at]) & RGB_MASK || max <= *best)
        return;
    n = match_rgb(ref, px + at, max);
    if (n > *best) {
        *best = n;
        *from = *en;
        *img = im;
        *ofs = im ? en->pos : (uint32_t)(at - en->pos - 1);
    }
}

/* The longest match for pixel `at`: at the last match's source shifted
 * along, or among its bucket's entries, which then records `at`. Returns
 * its length (0: none worth a match). */
static size_t find_match(struct glz_enc *e, size_t at, uint32_t *ofs, uint32_t *img)
{
    const uint32_t *px = e->cur->px;
    uint64_t h = hash3(px + at);
    struct enc_bucket *b = hash_bucket(e, h);
    uint32_t tag = hash_tag(h, e->slot);
    struct enc_entry from = { 0 };
    size_t best = 0;

    for (int k = 0; k < 2; k++) {
        int64_t rep = (int64_t)at + e->rep_delta[k];

        if (rep >= 0 && rep < (int64_t)UINT32_MAX) {
            struct enc_entry r = { e->rep[k].slot, (uint32_t)rep };

            try_entry(e, &r, at, &best, &from, ofs, img);
        }
    }
    for (int k = 0; k < ENC_WAYS; k++) {
        if ((b->tag[k] ^ tag) >> ENC_SLOT_BITS)
            continue;
        try_entry(e, &(struct enc_entry){ b->tag[k] % ENC_MAX_IMAGES, b->pos[k] }, at, &best,
                  &from, ofs, img);
    }
    bucket_add(b, tag, (uint32_t)at);
    if (best < ENC_MIN_MATCH)
        return 0;
    for (int k = *img ? 1 : 0; k >= 0; k--) {
        e->rep[k] = from;
        e->rep_delta[k] = (int64_t)from.pos - (int64_t)at;
    }
    return best;
}

/* Buckets lie anywhere in a table much larger than the cache: the one a
 * few pixels ahead is asked for early (a hint only). */
static inline void prefetch_ahead(const struct glz_enc *e, size_t at)
{
    if (at + ENC_PREFETCH + ENC_MIN_MATCH <= e->cur->npix)
        __builtin_prefetch(hash_bucket(e, hash3(e->cur->px + at + ENC_PREFETCH)));
}

/* The RGB pass: runs, then hashed matches in this image or earlier ones. */
static void encode_rgb(struct glz_enc *e)
{
    const uint32_t *px = e->cur->px;
    size_t n = e->cur->npix, at = 0, lit = 0, misses = 0;

    while (at + ENC_MIN_MATCH <= n) {
        uint32_t p = px[at] & RGB_MASK, ofs = 0, img = 0;
        size_t len = 0;

        if (at > 0 && !((px[at - 1] & RGB_MASK) ^ p) && !((px[at + 1] & RGB_MASK) ^ p) &&
            !((px[at + 2] & RGB_MASK) ^ p))
            len = 3 + match_rgb(px + at + 2, px + at + 3, n - at - 3);
        else
            len = find_match(e, at, &ofs, &img);
        prefetch_ahead(e, at);
        if (!len) {
            /* incompressible stretches are probed more sparsely (down to
             * one pixel in 4): what is skipped goes out as literals */
            at += 1 + (misses < 3 << 6 ? misses++ >> 6 : 3);
            continue;
        }
        misses = 0;
        e->op = put_rgb_literals(e->op, px, lit, at);
        e->op = put_match(e->op, len, ofs, img);
        at += len;
        lit = at;
        /* the match's tail starts a key the next repeat may need */
        if (at - 1 + ENC_MIN_MATCH <= n && len > 1) {
            uint64_t h = hash3(px + at - 1);

            bucket_add(hash_bucket(e, h), hash_tag(h, e->slot), (uint32_t)(at - 1));
        }
    }
    e->op = put_rgb_literals(e->op, px, lit, n);
}

/* The alpha pass of RGBA pictures: runs, and the row above; no hashing
 * (alpha planes are mostly flat or follow shapes drawn row by row). */
static void encode_alpha(struct glz_enc *e)
{
    const uint32_t *px = e->cur->px;
    size_t n = e->cur->npix, w = e->cur->width, at = 0, lit = 0;

    while (at < n) {
        size_t len = 0, dist = 0;

        if (at > 0 && at + 3 <= n && (px[at - 1] >> 24) == (px[at] >> 24)) {
            while (at + len < n && (px[at + len] >> 24) == (px[at - 1] >> 24))
                len++;
            dist = 1;
        }
        if (len < 3 && at >= w && w > 1 && w - 1 < GLZ_MAX_OFFSET) {
            len = 0;
            while (at + len < n && (px[at + len] >> 24) == (px[at + len - w] >> 24))
                len++;
            dist = w;
        }
        if (len < 4) {
            at++;
            continue;
        }
        while (lit < at) {
            size_t k = at - lit < GLZ_MAX_LITERAL ? at - lit : GLZ_MAX_LITERAL;

            *e->op++ = (uint8_t)(k - 1);
            for (size_t i = 0; i < k; i++)
                *e->op++ = (uint8_t)(px[lit + i] >> 24);
            lit += k;
        }
        e->op = put_match(e->op, len - 2, (uint32_t)(dist - 1), 0);
        at += len;
        lit = at;
    }
    while (lit < n) {
        size_t k = n - lit < GLZ_MAX_LITERAL ? n - lit : GLZ_MAX_LITERAL;

        *e->op++ = (uint8_t)(k - 1);
        for (size_t i = 0; i < k; i++)
            *e->op++ = (uint8_t)(px[lit + i] >> 24);
        lit += k;
    }
}

/* The most a picture of n pixels can take. RGB: literals are the worst case
 * (3 bytes a pixel and a control byte each 32): a match of L >= 3 pixels
 * costs at most 3 * L - 2 bytes, paying for the control byte it adds. */
static size_t encode_bound(size_t n, bool alpha)
{
    size_t rgb = 3 * n + n / 16 + 16;

    /* an alpha match (4 pixels at least) may cost its 4 bytes and a control byte */
    return FLOE_GLZ_HEADER_SIZE + rgb + (alpha ? 2 * n + 16 : 0);
}

static uint8_t *put_header(uint8_t *op, const struct enc_image *im, uint32_t head_dist)
{
    op = put_be32(op, FLOE_GLZ_MAGIC);
    op = put_be32(op, FLOE_GLZ_VERSION);
    *op++ = (uint8_t)(GLZ_FLAG_TOP_DOWN | (im->alpha ? FLOE_GLZ_RGBA : FLOE_GLZ_RGB32));
    op = put_be32(op, im->width);
    op = put_be32(op, im->npix / im->width);
    op = put_be32(op, im->width * 4);
    op = put_be32(op, (uint32_t)(im->id >> 32));
    op = put_be32(op, (uint32_t)im->id);
    return put_be32(op, head_dist);
}

/* Copies the picture, packed, top row first: the dictionary's own pixels. */
static uint32_t *copy_picture(const uint32_t *pixels, int width, int height, int stride_bytes)
{
    uint32_t *px = malloc((size_t)width * (size_t)height * 4);

    if (!px)
        return NULL;
    for (int y = 0; y < height; y++)
        memcpy(px + (size_t)y * (size_t)width,
               (const uint8_t *)pixels + (size_t)y * (size_t)stride_bytes, (size_t)width * 4);
    return px;
}

int floe_glz_encode(struct floe_glz_dict *d, const uint32_t *pixels, int width, int height,
                    int stride_bytes, bool alpha, struct floe_bytes *out)
{
    struct glz_enc e;
    struct enc_image *im;
    size_t n;
    uint32_t *px;

    if (!d || !pixels || !out || width <= 0 || height <= 0 || width > FLOE_GLZ_MAX_DIM ||
        height > FLOE_GLZ_MAX_DIM || stride_bytes % 4 || stride_bytes / 4 < width)
        return -EINVAL;
    n = (size_t)width * (size_t)height;
    /* the reference's rule: a picture must be smaller than the window */
    if (n >= d->limit)
        return -EINVAL;
    if (floe_bytes_reserve(out, encode_bound(n, alpha)))
        return -ENOMEM;
    px = copy_picture(pixels, width, height, stride_bytes);
    if (!px)
        return -ENOMEM;
    while (d->count && (d->pixels + n > d->limit || d->count >= ENC_MAX_IMAGES))
        dict_drop_head(d);
    if (!d->count)
        d->head_id = d->next_id;
    im = &d->slot[d->next_id % ENC_MAX_IMAGES];
    *im = (struct enc_image){ .id = d->next_id, .px = px, .npix = (uint32_t)n,
                              .width = (uint32_t)width, .alpha = alpha, .live = true };
    d->next_id++;
    d->count++;
    d->pixels += n;

    e.d = d;
    e.cur = im;
    e.slot = (uint32_t)(im->id % ENC_MAX_IMAGES);
    /* to start with: the row above, and the same place one image back */
    e.rep[0] = (struct enc_entry){ e.slot, 0 };
    e.rep_delta[0] = -(int64_t)im->width;
    e.rep[1] = (struct enc_entry){ (uint32_t)((im->id - 1) % ENC_MAX_IMAGES), 0 };
    e.rep_delta[1] = 0;
    e.op = out->data + out->len;
    e.op = put_header(e.op, im, (uint32_t)(im->id - d->head_id));
    encode_rgb(&e);
    if (alpha)
        encode_alpha(&e);
    out->len = (size_t)(e.op - out->data);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* the codec table */

struct glz_state {
    struct floe_codec_params params;
    struct floe_glz_dict *dict;
    struct floe_glz_window *win;
};

void *floe_glz_state_new(const struct floe_codec_params *p)
{
    struct glz_state *s = calloc(1, sizeof(*s));

    if (s && p)
        s->params = *p;
    return s;
}

void floe_glz_state_free(void *state)
{
    struct glz_state *s = state;

    if (!s)
        return;
    floe_glz_dict_free(s->dict);
    floe_glz_window_free(s->win);
    free(s);
}

struct floe_glz_dict *floe_glz_state_dict(void *state)
{
    struct glz_state *s = state;

    if (s && !s->dict)
        s->dict = floe_glz_dict_new(s->params.glz_window);
    return s ? s->dict : NULL;
}

const struct floe_codec_params *floe_glz_state_params(void *state)
{
    struct glz_state *s = state;

    return s ? &s->params : NULL;
}

struct floe_glz_window *floe_glz_state_window(void *state)
{
    struct glz_state *s = state;

    if (s && !s->win)
        s->win = floe_glz_window_new(s->params.glz_window);
    return s ? s->win : NULL;
}

static int codec_encode(void *state, const struct floe_pic *pic, struct floe_bytes *out,
                        struct floe_coded *meta)
{
    struct floe_glz_dict *d = floe_glz_state_dict(state);

    if (!state || !pic || !meta)
        return -EINVAL;
    if (!d)
        return -ENOMEM;
    meta->type = FLOE_GLZ_IMAGE_TYPE;
    meta->flags = 0;
    meta->aux = 0;
    return floe_glz_encode(d, pic->pixels, pic->width, pic->height, pic->stride, pic->alpha,
                           out);
}

int floe_glz_state_decode(void *state, const struct floe_coded *in, struct floe_pic *out)
{
    struct floe_glz_window *w = floe_glz_state_window(state);
    struct floe_glz_info info;
    int ret;

    if (!state || !in || !out)
        return -EINVAL;
    if (!w)
        return -ENOMEM;
    ret = floe_glz_decode(w, in->data, in->len, out->pixels, out->width, out->height,
                          out->stride, &info);
    out->alpha = ret == 0 && info.has_alpha;
    return ret;
}

const struct floe_codec floe_codec_glz = {
    .name = "glz",
    .type = FLOE_GLZ_IMAGE_TYPE,
    .state_group = "glz",
    .state_new = floe_glz_state_new,
    .state_free = floe_glz_state_free,
    .encode = codec_encode,
    .decode = floe_glz_state_decode,
};
