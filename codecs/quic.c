/* SPICE QUIC codec: each channel predicted from its neighbours, the residuals
 * Golomb-Rice coded with a code chosen per context bucket, runs for flat areas. */
#include "codecs/quic.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

#define QUIC_VERSION 0u
/* Longest residual codeword; longer Golomb-Rice codes turn into escapes. */
#define CODE_LIMIT 26
/* The models are updated after a pseudo-random gap of up to 2^step - 1
 * pixels; the step starts at 0 and grows by one every STEP_PIXELS pixels
 * a pass codes, up to MAX_STEP. */
#define MAX_STEP 6
#define STEP_PIXELS 2048
#define RUN_STATES 32

/* Low bytes of the reference's gap table: only gap & (2^step - 1) is used,
 * and the step never passes 6. Each pass draws entries 0, 1, 2... in turn,
 * wrapping at 256. */
static const uint8_t gap_table[256] = {
    0x42, 0x17, 0x53, 0x55, 0x07, 0x52, 0x28, 0x8e, 0x8c, 0xe0, 0xaf, 0xac,
    0x64, 0x86, 0x92, 0x4b, 0x44, 0x13, 0xea, 0x1d, 0x50, 0x7f, 0xb9, 0x33,
    0xd0, 0x03, 0x05, 0x4e, 0x0f, 0x9e, 0x94, 0x89, 0xa4, 0x6d, 0x43, 0xf9,
    0xbd, 0x00, 0x08, 0x45, 0x29, 0xce, 0x6b, 0x5b, 0xab, 0xbb, 0x1f, 0xe3,
    0x27, 0x7c, 0x2a, 0xa6, 0x4d, 0x36, 0x7e, 0xc1, 0x1a, 0xc3, 0x0b, 0x3d,
    0x74, 0xa2, 0xc7, 0xf0, 0x04, 0x3b, 0x16, 0x0c, 0x96, 0x88, 0xb2, 0x84,
    0x8a, 0x46, 0x2c, 0xc8, 0x8b, 0xee, 0xdf, 0x73, 0x75, 0x11, 0x01, 0x2b,
    0x6e, 0x3c, 0xe4, 0x76, 0x0a, 0x9b, 0x67, 0x6c, 0x56, 0xe9, 0x57, 0xc2,
    0xec, 0x40, 0x68, 0xb5, 0xa8, 0xb0, 0x90, 0xeb, 0x60, 0x5c, 0xe1, 0x4c,
    0x54, 0x02, 0x78, 0xbe, 0x77, 0xfa, 0x12, 0x14, 0x0d, 0x37, 0x26, 0x9d,
    0x79, 0xd3, 0x31, 0x21, 0x6f, 0xbf, 0xfb, 0x80, 0x23, 0xfd, 0x93, 0x19,
    0x2e, 0x66, 0xfc, 0xc4, 0x63, 0x41, 0x9a, 0xe8, 0x9c, 0xca, 0x85, 0x0e,
    0xd9, 0xd2, 0x70, 0xf1, 0xd4, 0x7b, 0x3e, 0xe2, 0xae, 0x87, 0xa1, 0x34,
    0x22, 0x7a, 0xc9, 0x5d, 0x48, 0xf7, 0xfe, 0xbc, 0xa5, 0x24, 0xe5, 0x72,
    0xc6, 0x83, 0x4a, 0x1c, 0x30, 0x98, 0x5a, 0x7d, 0x39, 0x1e, 0xcb, 0xb6,
    0x82, 0x06, 0x32, 0xef, 0x47, 0x91, 0xa3, 0x35, 0x20, 0xcc, 0xd7, 0xd1,
    0xc5, 0x15, 0x71, 0xb7, 0xb3, 0x2d, 0xb4, 0x1b, 0xe7, 0x99, 0xa7, 0xff,
    0xd6, 0xd8, 0xaa, 0xf4, 0x38, 0xe6, 0x69, 0xa9, 0xb8, 0xa0, 0xcd, 0x58,
    0xda, 0xf3, 0xdb, 0xf8, 0x3a, 0x65, 0x18, 0x6a, 0x8f, 0xdc, 0x51, 0x5e,
    0x5f, 0xcf, 0x10, 0x97, 0x59, 0xf6, 0x61, 0x62, 0x81, 0xdd, 0x9f, 0xf2,
    0xf5, 0x95, 0xb1, 0x4f, 0x2f, 0x49, 0xc0, 0xba, 0x25, 0xad, 0xde, 0x8d,
    0x09, 0xed, 0x3f, 0xd5,
};

/* A bucket's counters are halved once its best code's total passes this,
 * indexed by step (the reference's table for model evolution 3). */
static const uint16_t halving_limit[MAX_STEP + 1] = { 110, 550, 900, 800, 550, 400, 350 };

/* Run coding: in run state s a full "hit" stands for 2^run_bits[s] pixels;
 * a run ends with a zero bit and run_bits[s] bits of remainder. */
static const uint8_t run_bits[RUN_STATES] = {
    0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
    4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

/* ------------------------------------------------------------------------ */
/* code families: the codes for one channel depth (8 bits, or 5 for RGB16) */

struct family {
    unsigned bpc;
    uint8_t prefix[8];       /* code l: an escape starts with this many zero bits */
    uint8_t direct[8];       /* code l: values below this take the Golomb-Rice form */
    uint8_t esc_len[8];      /* code l: length of an escape codeword */
    uint8_t esc_bits[8];     /* code l: bits after an escape's zeros */
    uint8_t len[256][8];     /* codeword length of value v under code l */
    uint8_t word[256][8];    /* its bits (right-aligned) */
    uint8_t fold[256];       /* residual mod 2^bpc -> 0, -1, 1, -2, 2... as 0, 1, 2, 3, 4... */
    uint8_t unfold[256];
    uint8_t bucket[256];     /* context value -> bucket: floor(log2(v + 1)), at most bpc - 1 */
};

static struct family fam8, fam5;
static pthread_once_t families_once = PTHREAD_ONCE_INIT;

static unsigned ceil_log2(unsigned v)
{
    unsigned n = 0;

    while ((1u << n) < v)
        n++;
    return n;
}

static void family_init(struct family *f, unsigned bpc)
{
    unsigned levels = 1u << bpc;

    f->bpc = bpc;
    for (unsigned l = 0; l < bpc; l++) {
        unsigned zeros = CODE_LIMIT - bpc;

        if (zeros > (1u << (bpc - l)) - 1)
            zeros = (1u << (bpc - l)) - 1;
        f->prefix[l] = (uint8_t)zeros;
        f->direct[l] = (uint8_t)(zeros << l);
        f->esc_bits[l] = (uint8_t)ceil_log2(levels - (zeros << l));
        f->esc_len[l] = (uint8_t)(zeros + f->esc_bits[l]);
        for (unsigned v = 0; v < levels; v++) {
            if (v < f->direct[l]) {
                /* v >> l zeros, a one, then the low l bits of v */
                f->len[v][l] = (uint8_t)((v >> l) + l + 1);
                f->word[v][l] = (uint8_t)((1u << l) | (v & ((1u << l) - 1)));
            } else {
                f->len[v][l] = f->esc_len[l];
                f->word[v][l] = (uint8_t)(v - f->direct[l]);
            }
        }
    }
    for (unsigned v = 0; v < levels; v++) {
        unsigned b = 0;

        f->fold[v] = (uint8_t)(v < levels / 2 ? 2 * v : 2 * (levels - 1 - v) + 1);
        f->unfold[v] = (uint8_t)(v & 1 ? levels - 1 - v / 2 : v / 2);
        while (b + 1 < bpc && (2u << b) <= v + 1)
            b++;
        f->bucket[v] = (uint8_t)b;
    }
}

static void families_init(void)
{
    family_init(&fam8, 8);
    family_init(&fam5, 5);
}

/* ------------------------------------------------------------------------ */
/* adaptive state */

struct bucket {
    uint32_t count[8];   /* code length totals, per code */
    uint32_t best;
};

/* One channel's model and its row of residuals; res[-1] is the context of
 * the row's first pixel. Residuals of run pixels are left as they were. */
struct channel {
    struct bucket b[8];
    uint8_t *res;
};

/* What a pass (the RGB channels together, or alpha alone) shares. */
struct pass {
    unsigned wait;       /* pixels left before the next model update */
    unsigned gap_index;
    unsigned step;
    unsigned step_left;  /* pixels before the step grows */
    unsigned run_state;
    struct channel ch[3];
};

static void pass_init(struct pass *p, int nch, unsigned bpc, uint8_t *res, size_t width)
{
    memset(p, 0, sizeof(*p));
    p->gap_index = 255;
    p->step_left = STEP_PIXELS;
    for (int c = 0; c < nch; c++) {
        for (int i = 0; i < 8; i++)
            p->ch[c].b[i].best = bpc - 1;
        p->ch[c].res = res + (size_t)c * (width + 1) + 1;
    }
}

static inline unsigned next_gap(struct pass *p, unsigned mask)
{
    p->gap_index = (p->gap_index + 1) & 255;
    return gap_table[p->gap_index] & mask;
}

static inline void bucket_update(struct bucket *b, const uint8_t *len, unsigned bpc,
                                 unsigned limit)
{
    unsigned best = bpc - 1, best_total = b->count[best] += len[best];

    /* on a tie the higher-numbered code stays best */
    for (int l = (int)bpc - 2; l >= 0; l--) {
        unsigned total = b->count[l] += len[l];

        if (total < best_total) {
            best = (unsigned)l;
            best_total = total;
        }
    }
    b->best = best;
    if (best_total > limit)
        for (unsigned l = 0; l < bpc; l++)
            b->count[l] >>= 1;
}

/* Updates every channel's model with pixel x's residual, in its context. */
static ALWAYS_INLINE void model_update(struct pass *p, const struct family *f, int nch, int x)
{
    for (int c = 0; c < nch; c++) {
        struct channel *ch = &p->ch[c];

        bucket_update(&ch->b[f->bucket[ch->res[x - 1]]], f->len[ch->res[x]], f->bpc,
                      halving_limit[p->step]);
    }
}

/* ------------------------------------------------------------------------ */
/* bit I/O: 32-bit little-endian words, most significant bit first */

static inline uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Pending bits sit at the top of acc; whole words go out at once. */
struct bit_writer {
    uint64_t acc;
    unsigned n;
    uint8_t *p;
};

/* len 1..32; bits has nothing above len */
static inline void put_bits(struct bit_writer *w, uint32_t bits, unsigned len)
{
    w->acc |= (uint64_t)bits << (64 - w->n - len);
    w->n += len;
    if (w->n >= 32) {
        put_le32(w->p, (uint32_t)(w->acc >> 32));
        w->p += 4;
        w->acc <<= 32;
        w->n -= 32;
    }
}

/* At least 32 bits are always at the top of acc, so a codeword is decoded
 * from peek() alone. Words past the end read as zero and set `missing`: the
 * reference decoder loads exactly the same words and fails on that one. */
struct bit_reader {
    uint64_t acc;
    unsigned n;
    bool missing;
    const uint8_t *p, *end;
};

static inline void refill(struct bit_reader *r)
{
    uint32_t v = 0;

    if (r->end - r->p >= 4) {
        v = get_le32(r->p);
        r->p += 4;
    } else {
        r->missing = true;
    }
    r->acc |= (uint64_t)v << (32 - r->n);
    r->n += 32;
}

static inline uint32_t peek(const struct bit_reader *r)
{
    return (uint32_t)(r->acc >> 32);
}

/* len 1..32 */
static inline void skip(struct bit_reader *r, unsigned len)
{
    r->acc <<= len;
    r->n -= len;
    if (r->n < 32)
        refill(r);
}

/* A value coded with code l; may exceed the channel's range on bad input. */
static inline unsigned read_value(struct bit_reader *r, const struct family *f, unsigned l)
{
    uint32_t bits = peek(r);
    unsigned v, len;

    if (bits >> (32 - f->prefix[l])) {
        unsigned zeros = (unsigned)__builtin_clz(bits);

        len = zeros + 1 + l;
        v = zeros << l | ((bits >> (32 - len)) & ((1u << l) - 1));
    } else {
        len = f->esc_len[l];
        v = f->direct[l] + ((bits >> (32 - len)) & ((1u << f->esc_bits[l]) - 1));
    }
    skip(r, len);
    return v;
}

/* ------------------------------------------------------------------------ */
/* runs */

static void put_run(struct bit_writer *w, struct pass *p, unsigned n)
{
    unsigned hits = 0;

    while (n >= 1u << run_bits[p->run_state]) {
        n -= 1u << run_bits[p->run_state];
        hits++;
        if (p->run_state < RUN_STATES - 1)
            p->run_state++;
    }
    for (; hits >= 32; hits -= 32)
        put_bits(w, 0xffffffffu, 32);
    if (hits)
        put_bits(w, (1u << hits) - 1, hits);
    /* the remainder is below 2^bits, so its top bit is the run's end mark */
    put_bits(w, n, run_bits[p->run_state] + 1u);
    if (p->run_state)
        p->run_state--;
}

/* A run of at most `limit` pixels; -EBADMSG if longer. */
static int read_run(struct bit_reader *r, struct pass *p, unsigned limit, unsigned *out)
{
    unsigned n = 0, ones;

    do {
        uint32_t bits = peek(r);

        ones = ~bits ? (unsigned)__builtin_clz(~bits) : 32;
        for (unsigned i = 0; i < ones; i++) {
            n += 1u << run_bits[p->run_state];
            if (n > limit)
                return -EBADMSG;
            if (p->run_state < RUN_STATES - 1)
                p->run_state++;
        }
        skip(r, ones < 32 ? ones + 1 : 32);
    } while (ones == 32);
    if (run_bits[p->run_state]) {
        n += peek(r) >> (32 - run_bits[p->run_state]);
        skip(r, run_bits[p->run_state]);
    }
    if (p->run_state)
        p->run_state--;
    if (n > limit)
        return -EBADMSG;
    *out = n;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* rows: each pass is a span loop specialised by inlining for its layout */

/* Where a pass finds its channels in a 32-bit word, and how it writes them. */
struct layout {
    int nch;          /* 3: R, G, B at bits 16, 8, 0; 1: one channel at `shift` */
    int shift;
    unsigned bpc;
    uint32_t key;     /* the bits that make two pixels equal for runs */
    uint32_t keep;    /* decode: bits of the word another pass owns */
    bool gray;        /* decode: repeat the channel in R, G and B */
};

enum predictor { PRED_ZERO, PRED_LEFT, PRED_UP, PRED_MEAN };

static ALWAYS_INLINE int chan_shift(const struct layout *L, int c)
{
    return L->nch == 1 ? L->shift : 16 - 8 * c;
}

static ALWAYS_INLINE unsigned predict(enum predictor pr, const uint32_t *prev,
                                      const uint32_t *cur, int x, int sh)
{
    switch (pr) {
    case PRED_ZERO: return 0;
    case PRED_LEFT: return (cur[x - 1] >> sh) & 0xff;
    case PRED_UP: return (prev[x] >> sh) & 0xff;
    default: return (((cur[x - 1] >> sh) & 0xff) + ((prev[x] >> sh) & 0xff)) >> 1;
    }
}

/* Runs start where the row above repeats and the two pixels to the left match. */
static ALWAYS_INLINE bool run_starts(const struct layout *L, const uint32_t *prev,
                                     const uint32_t *cur, int x, int run_at)
{
    return x > 2 && x != run_at && !((prev[x - 1] ^ prev[x]) & L->key) &&
           !((cur[x - 1] ^ cur[x - 2]) & L->key);
}

/* What every pixel of a span touches, held in locals: the stores into the
 * residual rows are byte stores, which could alias anything in memory. */
struct span_view {
    uint8_t *res[3];
    struct bucket *b[3];
};

static ALWAYS_INLINE void view_init(struct span_view *v, struct pass *p, int nch)
{
    for (int c = 0; c < nch; c++) {
        v->res[c] = p->ch[c].res;
        v->b[c] = p->ch[c].b;
    }
}

static ALWAYS_INLINE void enc_pixel(const struct layout *L, const struct span_view *v,
                                    struct bit_writer *w, const uint32_t *prev,
                                    const uint32_t *cur, int x, enum predictor pr)
{
    const struct family *f = L->bpc == 8 ? &fam8 : &fam5;
    const unsigned top = (1u << L->bpc) - 1;

#pragma GCC unroll 3
    for (int c = 0; c < L->nch; c++) {
        int sh = chan_shift(L, c);
        unsigned r = f->fold[(((cur[x] >> sh) & 0xff) - predict(pr, prev, cur, x, sh)) & top];
        unsigned l = v->b[c][f->bucket[v->res[c][x - 1]]].best;

        v->res[c][x] = (uint8_t)r;
        put_bits(w, f->word[r][l], f->len[r][l]);
    }
}

/* The model's clock, the same for coder and decoder: the row's first pixel
 * counts down the wait carried from the row before... */
static ALWAYS_INLINE void tick_first(struct pass *p, const struct family *f, int nch,
                                     unsigned mask)
{
    if (p->wait) {
        p->wait--;
    } else {
        p->wait = next_gap(p, mask);
        model_update(p, f, nch, 0);
    }
}

/* ...and a coded pixel x at the stop updates the model: the next stop. */
static ALWAYS_INLINE int tick(struct pass *p, const struct family *f, int nch, int x, int stop,
                              unsigned mask)
{
    if (x != stop)
        return stop;
    model_update(p, f, nch, x);
    return x + 1 + (int)next_gap(p, mask);
}

/* Codes pixels [x, end) of a row (prev is NULL on the first row). */
static ALWAYS_INLINE void enc_span(const struct layout *L, struct pass *p, struct bit_writer *wp,
                                   const uint32_t *prev, const uint32_t *cur, int x, int end,
                                   unsigned mask)
{
    const struct family *f = L->bpc == 8 ? &fam8 : &fam5;
    struct bit_writer w = *wp;
    struct span_view v;
    int stop, run_at = 0;

    view_init(&v, p, L->nch);
    if (x == 0) {
        enc_pixel(L, &v, &w, prev, cur, 0, prev ? PRED_UP : PRED_ZERO);
        tick_first(p, f, L->nch, mask);
        x = 1;
    }
    stop = x + (int)p->wait;
    while (x < end) {
        if (prev && run_starts(L, prev, cur, x, run_at)) {
            int wait = stop - x;
            unsigned n = 0;

            run_at = x;
            while (x < end && !((cur[x] ^ cur[x - 1]) & L->key)) {
                x++;
                n++;
            }
            *wp = w;
            put_run(wp, p, n);
            w = *wp;
            if (x == end) {
                p->wait = (unsigned)wait;
                return;
            }
            stop = x + wait;
            continue;
        }
        enc_pixel(L, &v, &w, prev, cur, x, prev ? PRED_MEAN : PRED_LEFT);
        stop = tick(p, f, L->nch, x, stop, mask);
        x++;
    }
    p->wait = (unsigned)(stop - end);
    *wp = w;
}

static ALWAYS_INLINE int dec_pixel(const struct layout *L, const struct span_view *v,
                                   struct bit_reader *r, const uint32_t *prev, uint32_t *cur,
                                   int x, enum predictor pr)
{
    const struct family *f = L->bpc == 8 ? &fam8 : &fam5;
    const unsigned top = (1u << L->bpc) - 1;
    uint32_t word = 0;
    bool bad = false;

#pragma GCC unroll 3
    for (int c = 0; c < L->nch; c++) {
        int sh = chan_shift(L, c);
        unsigned val = read_value(r, f, v->b[c][f->bucket[v->res[c][x - 1]]].best);

        /* checked once per pixel; an out-of-range value only garbles the
         * pixel's later channels, which is then refused anyway */
        bad |= val > top;
        val &= 0xff;
        v->res[c][x] = (uint8_t)val;
        word |= ((f->unfold[val] + predict(pr, prev, cur, x, sh)) & top) << sh;
    }
    if (L->gray)
        word *= 0x010101u;
    cur[x] = (cur[x] & L->keep) | word;
    return bad ? -EBADMSG : 0;
}

/* Decodes pixels [x, end) of a row (prev is NULL on the first row). */
static ALWAYS_INLINE int dec_span(const struct layout *L, struct pass *p, struct bit_reader *rp,
                                  const uint32_t *prev, uint32_t *cur, int x, int end,
                                  unsigned mask)
{
    const struct family *f = L->bpc == 8 ? &fam8 : &fam5;
    struct bit_reader r = *rp;
    struct span_view v;
    int stop, run_at = 0, ret = -EBADMSG;

    view_init(&v, p, L->nch);
    if (x == 0) {
        if (dec_pixel(L, &v, &r, prev, cur, 0, prev ? PRED_UP : PRED_ZERO))
            goto out;
        tick_first(p, f, L->nch, mask);
        x = 1;
    }
    stop = x + (int)p->wait;
    while (x < end) {
        if (prev && run_starts(L, prev, cur, x, run_at)) {
            int wait = stop - x, bad;
            unsigned n = 0;

            run_at = x;
            *rp = r;
            bad = read_run(rp, p, (unsigned)(end - x), &n);
            r = *rp;
            if (bad)
                goto out;
            for (; n; n--, x++)
                cur[x] = (cur[x] & L->keep) | (cur[x - 1] & ~L->keep);
            if (x == end) {
                p->wait = (unsigned)wait;
                ret = 0;
                goto out;
            }
            stop = x + wait;
            continue;
        }
        if (dec_pixel(L, &v, &r, prev, cur, x, prev ? PRED_MEAN : PRED_LEFT))
            goto out;
        stop = tick(p, f, L->nch, x, stop, mask);
        x++;
    }
    p->wait = (unsigned)(stop - end);
    ret = 0;
out:
    *rp = r;
    return ret;
}

/* The passes, one specialised span function each. */
static const struct layout LAYOUT_RGB = { 3, 0, 8, 0x00ffffffu, 0, false };
static const struct layout LAYOUT_RGB16 = { 3, 0, 5, 0x00ffffffu, 0, false };
static const struct layout LAYOUT_ALPHA = { 1, 24, 8, 0xff000000u, 0x00ffffffu, false };
static const struct layout LAYOUT_GRAY = { 1, 0, 8, 0x000000ffu, 0, true };

typedef void (*enc_span_fn)(struct pass *p, struct bit_writer *w, const uint32_t *prev,
                            const uint32_t *cur, int x, int end, unsigned mask);
typedef int (*dec_span_fn)(struct pass *p, struct bit_reader *r, const uint32_t *prev,
                           uint32_t *cur, int x, int end, unsigned mask);

/* One encoder and one decoder span function per layout. The first row has
 * no row above: the compiler makes it its own copy without the run tests
 * and the vertical predictors, as the layout is constant in each. */
#define SPAN_FUNCTIONS(name, layout)                                                         \
    static void enc_##name(struct pass *p, struct bit_writer *w, const uint32_t *prev,       \
                           const uint32_t *cur, int x, int end, unsigned mask)               \
    {                                                                                        \
        if (prev)                                                                            \
            enc_span(&layout, p, w, prev, cur, x, end, mask);                                \
        else                                                                                 \
            enc_span(&layout, p, w, NULL, cur, x, end, mask);                                \
    }                                                                                        \
    static int dec_##name(struct pass *p, struct bit_reader *r, const uint32_t *prev,        \
                          uint32_t *cur, int x, int end, unsigned mask)                      \
    {                                                                                        \
        if (prev)                                                                            \
            return dec_span(&layout, p, r, prev, cur, x, end, mask);                         \
        return dec_span(&layout, p, r, NULL, cur, x, end, mask);                             \
    }

SPAN_FUNCTIONS(rgb, LAYOUT_RGB)
SPAN_FUNCTIONS(alpha, LAYOUT_ALPHA)
SPAN_FUNCTIONS(rgb16, LAYOUT_RGB16)
SPAN_FUNCTIONS(gray, LAYOUT_GRAY)

/* Sets the row's first context: 0 on the first row, else the residual the
 * pixel above it had. */
static void row_start(struct pass *p, int nch, bool first)
{
    for (int c = 0; c < nch; c++)
        p->ch[c].res[-1] = first ? 0 : p->ch[c].res[0];
}

/* The step grows every STEP_PIXELS pixels, so a row is cut into spans
 * where it does; the next gap is drawn with the new mask. */
static void advance_step(struct pass *p)
{
    p->step++;
    p->step_left = STEP_PIXELS;
}

static void enc_row(enc_span_fn span, struct pass *p, int nch, struct bit_writer *w,
                    const uint32_t *prev, const uint32_t *cur, unsigned width)
{
    unsigned pos = 0;

    row_start(p, nch, !prev);
    while (p->step < MAX_STEP && p->step_left <= width - pos) {
        span(p, w, prev, cur, (int)pos, (int)(pos + p->step_left), (1u << p->step) - 1);
        pos += p->step_left;
        advance_step(p);
    }
    if (pos < width) {
        span(p, w, prev, cur, (int)pos, (int)width, (1u << p->step) - 1);
        if (p->step < MAX_STEP)
            p->step_left -= width - pos;
    }
}

static int dec_row(dec_span_fn span, struct pass *p, int nch, struct bit_reader *r,
                   const uint32_t *prev, uint32_t *cur, unsigned width)
{
    unsigned pos = 0;

    row_start(p, nch, !prev);
    while (p->step < MAX_STEP && p->step_left <= width - pos) {
        if (span(p, r, prev, cur, (int)pos, (int)(pos + p->step_left), (1u << p->step) - 1))
            return -EBADMSG;
        pos += p->step_left;
        advance_step(p);
    }
    if (pos < width) {
        if (span(p, r, prev, cur, (int)pos, (int)width, (1u << p->step) - 1))
            return -EBADMSG;
        if (p->step < MAX_STEP)
            p->step_left -= width - pos;
    }
    return r->missing ? -EBADMSG : 0;
}

/* ------------------------------------------------------------------------ */
/* decoding */

static int check_size(int w, int h, int stride)
{
    if (w <= 0 || h <= 0 || stride <= 0 || stride % 4 || stride / 4 < w)
        return -EINVAL;
    if (w > FLOE_QUIC_MAX_DIM || h > FLOE_QUIC_MAX_DIM || (long)w * h > FLOE_QUIC_MAX_PIXELS)
        return -EINVAL;
    return 0;
}

int floe_quic_peek(const uint8_t *in, size_t len, struct floe_quic_info *info)
{
    uint32_t type;

    if (!in || len < FLOE_QUIC_HEADER_SIZE)
        return -EBADMSG;
    type = get_le32(in + 8);
    if (get_le32(in) != FLOE_QUIC_MAGIC || get_le32(in + 4) != QUIC_VERSION ||
        type < FLOE_QUIC_GRAY || type > FLOE_QUIC_RGBA)
        return -EBADMSG;
    info->type = (enum floe_quic_type)type;
    info->width = get_le32(in + 12);
    info->height = get_le32(in + 16);
    return 0;
}

static inline uint32_t *row_at(uint32_t *base, size_t stride, size_t y)
{
    return (uint32_t *)(void *)((uint8_t *)base + y * stride);
}

/* 5-bit channels (bytes below 32) to 8 bits: (v << 3) | (v >> 2). */
static void widen_rgb16(uint32_t *dst, const uint32_t *src, size_t width)
{
    for (size_t x = 0; x < width; x++)
        dst[x] = src[x] << 3 | ((src[x] >> 2) & 0x070707u);
}

struct decode_job {
    struct bit_reader r;
    uint32_t *out;
    size_t stride, width, height;
    uint8_t *res;        /* residual rows of all channels */
    uint32_t *scratch;   /* RGB16: two rows of 5-bit channels */
};

static int decode_rows(struct decode_job *j, enum floe_quic_type type)
{
    struct pass main, alpha;
    dec_span_fn span = type == FLOE_QUIC_GRAY ? dec_gray : type == FLOE_QUIC_RGB16 ? dec_rgb16
                                                                                  : dec_rgb;
    int nch = type == FLOE_QUIC_GRAY ? 1 : 3;
    unsigned w = (unsigned)j->width;

    pass_init(&main, nch, type == FLOE_QUIC_RGB16 ? 5 : 8, j->res, j->width);
    pass_init(&alpha, 1, 8, j->res + 3 * (j->width + 1), j->width);
    for (size_t y = 0; y < j->height; y++) {
        uint32_t *cur = row_at(j->out, j->stride, y);
        const uint32_t *prev = y ? row_at(j->out, j->stride, y - 1) : NULL;

        if (j->scratch) {
            cur = j->scratch + (y & 1) * j->width;
            prev = y ? j->scratch + ((y - 1) & 1) * j->width : NULL;
        }
        if (dec_row(span, &main, nch, &j->r, prev, cur, w))
            return -EBADMSG;
        if (type == FLOE_QUIC_RGBA && dec_row(dec_alpha, &alpha, 1, &j->r, prev, cur, w))
            return -EBADMSG;
        if (j->scratch)
            widen_rgb16(row_at(j->out, j->stride, y), cur, j->width);
    }
    return 0;
}

int floe_quic_decode(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                     int out_stride_bytes, int *has_alpha)
{
    struct floe_quic_info info;
    struct decode_job j;
    int ret;

    if (!in || !out)
        return -EINVAL;
    ret = check_size(out_w, out_h, out_stride_bytes);
    if (ret < 0)
        return ret;
    ret = floe_quic_peek(in, len, &info);
    if (ret < 0)
        return ret;
    if (info.width != (uint32_t)out_w || info.height != (uint32_t)out_h)
        return -EBADMSG;
    if (has_alpha)
        *has_alpha = info.type == FLOE_QUIC_RGBA;
    pthread_once(&families_once, families_init);

    memset(&j, 0, sizeof(j));
    j.out = out;
    j.stride = (size_t)out_stride_bytes;
    j.width = (size_t)out_w;
    j.height = (size_t)out_h;
    j.res = malloc(4 * (j.width + 1));
    if (info.type == FLOE_QUIC_RGB16)
        j.scratch = malloc(2 * 4 * j.width);
    if (!j.res || (info.type == FLOE_QUIC_RGB16 && !j.scratch)) {
        ret = -ENOMEM;
        goto out;
    }
    /* the header's words are read; the reader holds the next one */
    j.r.p = in + FLOE_QUIC_HEADER_SIZE;
    j.r.end = in + (len & ~(size_t)3);
    refill(&j.r);
    ret = decode_rows(&j, info.type);
out:
    free(j.scratch);
    free(j.res);
    return ret;
}

/* ------------------------------------------------------------------------ */
/* encoding */

/* Worst case per pixel: three 26-bit residuals, an alpha one, and an empty
 * run before each pass's pixel (a hit and 16 bits): under 18 bytes. */
#define ROW_BOUND(width) (18 * (size_t)(width) + 16)

/* 8-bit channels to the 5 bits RGB16 codes. */
static void narrow_rgb16(uint32_t *dst, const uint32_t *src, size_t width)
{
    for (size_t x = 0; x < width; x++)
        dst[x] = (src[x] >> 3) & 0x001f1f1fu;
}

struct encode_job {
    struct bit_writer w;
    struct floe_bytes *out;
    const uint32_t *pixels;
    size_t stride, width, height;
    uint8_t *res;
    uint32_t *scratch;
};

static int encode_rows(struct encode_job *j, enum floe_quic_type type)
{
    struct pass main, alpha;
    enc_span_fn span = type == FLOE_QUIC_GRAY ? enc_gray : type == FLOE_QUIC_RGB16 ? enc_rgb16
                                                                                  : enc_rgb;
    int nch = type == FLOE_QUIC_GRAY ? 1 : 3;
    unsigned w = (unsigned)j->width;

    pass_init(&main, nch, type == FLOE_QUIC_RGB16 ? 5 : 8, j->res, j->width);
    pass_init(&alpha, 1, 8, j->res + 3 * (j->width + 1), j->width);
    for (size_t y = 0; y < j->height; y++) {
        const uint32_t *row = row_at((uint32_t *)j->pixels, j->stride, y);
        const uint32_t *above = y ? row_at((uint32_t *)j->pixels, j->stride, y - 1) : NULL;
        const uint32_t *cur = row, *prev = above;

        if (j->scratch) {
            narrow_rgb16(j->scratch + (y & 1) * j->width, row, j->width);
            cur = j->scratch + (y & 1) * j->width;
            prev = y ? j->scratch + ((y - 1) & 1) * j->width : NULL;
        }
        if (floe_bytes_reserve(j->out, ROW_BOUND(j->width)))
            return -ENOMEM;
        j->w.p = j->out->data + j->out->len;
        enc_row(span, &main, nch, &j->w, prev, cur, w);
        if (type == FLOE_QUIC_RGBA)
            enc_row(enc_alpha, &alpha, 1, &j->w, above, row, w);
        j->out->len = (size_t)(j->w.p - j->out->data);
    }
    /* the last partial word, then the zero word decoders read ahead into */
    if (floe_bytes_reserve(j->out, 8))
        return -ENOMEM;
    j->w.p = j->out->data + j->out->len;
    if (j->w.n)
        put_bits(&j->w, 0, 32 - j->w.n);
    put_bits(&j->w, 0, 32);
    j->out->len = (size_t)(j->w.p - j->out->data);
    return 0;
}

int floe_quic_encode_type(const uint32_t *pixels, int width, int height, int stride_bytes,
                          enum floe_quic_type type, struct floe_bytes *out)
{
    struct encode_job j;
    uint8_t head[FLOE_QUIC_HEADER_SIZE];
    size_t start;
    int ret = -ENOMEM;

    if (!pixels || !out || check_size(width, height, stride_bytes) || type < FLOE_QUIC_GRAY ||
        type > FLOE_QUIC_RGBA)
        return -EINVAL;
    pthread_once(&families_once, families_init);
    memset(&j, 0, sizeof(j));
    j.out = out;
    j.pixels = pixels;
    j.stride = (size_t)stride_bytes;
    j.width = (size_t)width;
    j.height = (size_t)height;
    j.res = malloc(4 * (j.width + 1));
    if (type == FLOE_QUIC_RGB16)
        j.scratch = malloc(2 * 4 * j.width);
    if (!j.res || (type == FLOE_QUIC_RGB16 && !j.scratch))
        goto out;
    put_le32(head, FLOE_QUIC_MAGIC);
    put_le32(head + 4, QUIC_VERSION);
    put_le32(head + 8, type);
    put_le32(head + 12, (uint32_t)width);
    put_le32(head + 16, (uint32_t)height);
    start = out->len;
    if (floe_bytes_append(out, head, sizeof(head)))
        goto out;
    ret = encode_rows(&j, type);
    if (ret < 0)
        out->len = start;
out:
    free(j.scratch);
    free(j.res);
    return ret;
}

int floe_quic_encode(const uint32_t *pixels, int width, int height, int stride_bytes,
                     int alpha, struct floe_bytes *out)
{
    return floe_quic_encode_type(pixels, width, height, stride_bytes,
                                 alpha ? FLOE_QUIC_RGBA : FLOE_QUIC_RGB32, out);
}

static int codec_encode(void *state, const struct floe_pic *pic, struct floe_bytes *out,
                        struct floe_coded *meta)
{
    meta->type = 1; /* SPICE_IMAGE_TYPE_QUIC */
    meta->flags = 0;
    meta->aux = 0;
    return floe_quic_encode(pic->pixels, pic->width, pic->height, pic->stride, pic->alpha, out);
}

static int codec_decode(void *state, const struct floe_coded *in, struct floe_pic *out)
{
    int alpha = 0, ret;

    ret = floe_quic_decode(in->data, in->len, out->pixels, out->width, out->height, out->stride,
                           &alpha);
    out->alpha = alpha;
    return ret;
}

const struct floe_codec floe_codec_quic = {
    .name = "quic",
    .type = 1,
    .encode = codec_encode,
    .decode = codec_decode,
};
