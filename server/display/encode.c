/* Images on the way out: each client gets a draw of pixels in the codec its
 * settings and the picture call for, from its pixmap cache when it already
 * holds the picture, and through its own GLZ dictionary. Encoding happens
 * when the message is about to be written, so queued draws a slow client
 * never gets cost nothing, and the cache and dictionary follow what the
 * client has really received. The codecs run on libuv's worker pool, one
 * job per client at a time; everything else stays on the loop thread.
 * Encodings that do not depend on the client are made once and shared. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecs/codec.h"
#include "common/log.h"
#include "protocol/spice/varmsgs.h"
#include "server/internal.h"

#define MAX_SHARED (FLOE_CODEC_SLOTS + 1)   /* encodings kept per image: each codec, raw */
#define MIN_COMPRESS_BYTES 54      /* smaller pictures go raw */
#define MIN_QUIC_SIDE 3            /* QUIC needs at least 3x3 */
#define MIN_CACHE_PIXELS 1024      /* smaller pictures are not cached */
#define MAX_EVICT 1000             /* ids one INVAL_LIST carries at most */
#define MAX_CACHE_PIXELS (64ull << 20)
#define CACHE_BUCKETS 1024u

struct shared_enc {
    const struct floe_codec *codec;   /* NULL: the raw bitmap */
    struct fsrv_msg *msg;             /* NULL: the codec does not take this picture */
    size_t img_at;
    size_t coded_len;                 /* the image payload's bytes */
    uint8_t type;                     /* the image type sent */
};

struct fsrv_msg_image {
    int width, height;
    uint64_t hash;         /* of the pixels and size: the image id when cached */
    int photo;             /* -1 until classified */
    int lossless;          /* never JPEG, whatever the client's settings */
    unsigned pending;      /* by floe_codecs index: shared encodings a job is making */
    int n_shared;
    struct shared_enc shared[MAX_SHARED];
    uint32_t pixels[];     /* width * height, rows packed */
};

struct cache_entry {
    uint64_t id;
    uint64_t pixels;
    struct cache_entry *next;            /* bucket chain */
    struct cache_entry *newer, *older;   /* least recently used at lru_old */
};

struct enc_job;

struct fsrv_display_enc {
    struct floe_server *srv;
    struct fsrv_chan *chan;
    struct enc_job *job;    /* the encoding on the worker pool, or NULL */
    int orphan;             /* the channel is gone: the job's end frees this */
    unsigned delay_ms;      /* FLOE_TEST_ENCODE_DELAY_MS: a slow codec, for tests */
    int preferred;          /* the client's choice (enum floe_image_compression) or -1 */
    int lz4_cap;
    struct floe_codec_params params;
    void *states[FLOE_CODEC_SLOTS];   /* by floe_codec_state_slot, made on first use */
    /* the client's pixmap cache as this server filled it */
    uint64_t cache_limit, cache_used;
    struct cache_entry *buckets[CACHE_BUCKETS];
    struct cache_entry *lru_new, *lru_old;
};

static void msg_image_free(struct fsrv_msg_image *img)
{
    for (int i = 0; i < img->n_shared; i++)
        fsrv_msg_unref(img->shared[i].msg);
    free(img);
}

/* A 64-bit hash of the picture; two words at a time, mixed like splitmix64. */
static uint64_t pixels_hash(const uint32_t *px, size_t n, int w, int h)
{
    uint64_t a = 0x9e3779b97f4a7c15ull ^ ((uint64_t)w << 32 | (uint32_t)h), b = ~a;
    size_t i = 0;

    for (; i + 1 < n; i += 2) {
        a = (a ^ px[i]) * 0xff51afd7ed558ccdull;
        b = (b ^ px[i + 1]) * 0xc4ceb9fe1a85ec53ull;
        a ^= a >> 29;
        b ^= b >> 31;
    }
    if (i < n)
        a = (a ^ px[i]) * 0xff51afd7ed558ccdull;
    a ^= b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2);
    a = (a ^ (a >> 30)) * 0xbf58476d1ce4e5b9ull;
    a = (a ^ (a >> 27)) * 0x94d049bb133111ebull;
    return a ^ (a >> 31);
}

struct fsrv_msg *fsrv_image_msg_new(int monitor, const pixman_box32_t *b, const uint32_t *pixels,
                                    int stride)
{
    int w = b->x2 - b->x1, h = b->y2 - b->y1;
    struct fsrv_msg *m = fsrv_msg_new(SPICE_MSG_DISPLAY_DRAW_COPY, NULL, 0);
    struct fsrv_msg_image *img;

    if (!m)
        return NULL;
    img = malloc(sizeof(*img) + (size_t)w * h * 4);
    if (!img) {
        fsrv_msg_unref(m);
        return NULL;
    }
    memset(img, 0, sizeof(*img));
    img->width = w;
    img->height = h;
    img->photo = -1;
    for (int y = 0; y < h; y++)
        memcpy(img->pixels + (size_t)y * w,
               (const uint8_t *)pixels + (size_t)y * stride, (size_t)w * 4);
    /* the id names the picture in the client's pixmap cache, which a client
     * may share between its display channels (remote-viewer does): each
     * monitor's channel keeps its own ids, so one channel's evictions never
     * take a picture another channel's mirror still counts on */
    img->hash = pixels_hash(img->pixels, (size_t)w * h, w, h) ^ ((uint64_t)monitor << 56);
    m->has_box = 1;
    m->opaque = 1;
    m->box = *b;
    m->image = img;
    /* constant over the message's life: queues add and later subtract it */
    m->image_bytes = (size_t)w * h * 4;
    m->image_free = msg_image_free;
    return m;
}

/* Photographs have mostly small, non-zero steps between neighbours; text
 * and UI have runs of equal pixels and sharp edges. Samples a grid of
 * horizontal and vertical neighbour pairs. */
int fsrv_pixels_photographic(const uint32_t *px, int w, int h, int stride_px)
{
    int equal = 0, smooth = 0, sharp = 0;
    int ystep = h / 48 + 1, xstep = w / 48 + 1;

    if (w < 16 || h < 16)
        return 0;
    for (int y = 0; y + 1 < h; y += ystep) {
        for (int x = 0; x + 1 < w; x += xstep) {
            uint32_t p = px[(size_t)y * stride_px + x];
            uint32_t q[2] = { px[(size_t)y * stride_px + x + 1],
                              px[(size_t)(y + 1) * stride_px + x] };

            for (int k = 0; k < 2; k++) {
                int d = abs((int)(p >> 16 & 255) - (int)(q[k] >> 16 & 255)) +
                        abs((int)(p >> 8 & 255) - (int)(q[k] >> 8 & 255)) +
                        abs((int)(p & 255) - (int)(q[k] & 255));

                if (d == 0)
                    equal++;
                else if (d <= 48)
                    smooth++;
                else
                    sharp++;
            }
        }
    }
    return smooth > 2 * equal && smooth > 3 * sharp;
}

static int looks_photographic(const struct fsrv_msg_image *img)
{
    return fsrv_pixels_photographic(img->pixels, img->width, img->height, img->width);
}

void fsrv_image_msg_lossless(struct fsrv_msg *m)
{
    if (m && m->image)
        m->image->lossless = 1;
}

static struct shared_enc *shared_find(struct fsrv_msg_image *img, const struct floe_codec *codec)
{
    for (int i = 0; i < img->n_shared; i++)
        if (img->shared[i].codec == codec)
            return &img->shared[i];
    return NULL;
}

/* Notes that codec does not take img, so other clients skip it. */
static void shared_refuse(struct fsrv_msg_image *img, const struct floe_codec *codec)
{
    if (shared_find(img, codec) || img->n_shared == MAX_SHARED)
        return;
    memset(&img->shared[img->n_shared], 0, sizeof(img->shared[0]));
    img->shared[img->n_shared++].codec = codec;
}

/* The client-independent message of one coding (codec NULL: raw), made once;
 * the entry found may be a refusal (msg NULL). */
static struct shared_enc *shared_get(struct fsrv_msg *m, const struct floe_codec *codec,
                                     struct floe_bytes *coded, const struct floe_coded *meta)
{
    struct fsrv_msg_image *img = m->image;
    struct spice_display_base base;
    struct floe_wbuf w;
    struct shared_enc *se = shared_find(img, codec);

    if (se)
        return se;
    if (img->n_shared == MAX_SHARED)
        return NULL;
    memset(&base, 0, sizeof(base));
    base.box = (struct spice_rect){ m->box.y1, m->box.x1, m->box.y2, m->box.x2 };
    base.clip.type = SPICE_CLIP_NONE;
    floe_wbuf_init(&w, 0);
    se = &img->shared[img->n_shared];
    if (!codec) {
        se->img_at = spice_draw_copy_bitmap_put(&w, 0, &base, NULL, img->hash,
                                                (uint32_t)img->width, (uint32_t)img->height,
                                                (const uint8_t *)img->pixels,
                                                (uint32_t)img->width * 4);
    } else {
        struct spice_image_desc desc = { img->hash, meta->type, 0, (uint32_t)img->width,
                                         (uint32_t)img->height };

        se->img_at = spice_draw_copy_image_put(&w, 0, &base, NULL, &desc, meta->flags,
                                               meta->aux, coded->data, coded->len);
    }
    se->msg = fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_DRAW_COPY, &w);
    if (!se->msg)
        return NULL;
    se->codec = codec;
    se->coded_len = codec ? coded->len : (size_t)img->width * img->height * 4;
    se->type = codec ? meta->type : SPICE_IMAGE_BITMAP;
    img->n_shared++;
    return se;
}

/* --- the client's pixmap cache, mirrored ------------------------------- */

static struct cache_entry *cache_find(struct fsrv_display_enc *e, uint64_t id)
{
    for (struct cache_entry *ce = e->buckets[id % CACHE_BUCKETS]; ce; ce = ce->next)
        if (ce->id == id)
            return ce;
    return NULL;
}

static void lru_unlink(struct fsrv_display_enc *e, struct cache_entry *ce)
{
    if (ce->newer)
        ce->newer->older = ce->older;
    else
        e->lru_new = ce->older;
    if (ce->older)
        ce->older->newer = ce->newer;
    else
        e->lru_old = ce->newer;
    ce->newer = ce->older = NULL;
}

static void lru_push(struct fsrv_display_enc *e, struct cache_entry *ce)
{
    ce->older = e->lru_new;
    ce->newer = NULL;
    if (e->lru_new)
        e->lru_new->newer = ce;
    else
        e->lru_old = ce;
    e->lru_new = ce;
}

static void cache_remove(struct fsrv_display_enc *e, struct cache_entry *ce)
{
    struct cache_entry **pp = &e->buckets[ce->id % CACHE_BUCKETS];

    while (*pp != ce)
        pp = &(*pp)->next;
    *pp = ce->next;
    lru_unlink(e, ce);
    e->cache_used -= ce->pixels;
    free(ce);
}

/* Makes room for `pixels` and records `id`; the ids evicted to make room go
 * into an INVAL_LIST in *inval (NULL when none were). 0, or -1 when the
 * picture is not to be cached. */
static int cache_add(struct fsrv_display_enc *e, uint64_t id, uint64_t pixels,
                     struct fsrv_msg **inval)
{
    struct cache_entry *ce;
    struct floe_wbuf w;
    uint64_t evicted[MAX_EVICT];
    uint16_t n = 0;

    *inval = NULL;
    if (pixels < MIN_CACHE_PIXELS || pixels > e->cache_limit / 8)
        return -1;
    ce = calloc(1, sizeof(*ce));
    if (!ce)
        return -1;
    while (e->cache_used + pixels > e->cache_limit && e->lru_old && n < MAX_EVICT) {
        evicted[n++] = e->lru_old->id;
        cache_remove(e, e->lru_old);
    }
    if (e->cache_used + pixels > e->cache_limit) {
        free(ce);
        ce = NULL;   /* still send the evictions done */
    } else {
        ce->id = id;
        ce->pixels = pixels;
        ce->next = e->buckets[id % CACHE_BUCKETS];
        e->buckets[id % CACHE_BUCKETS] = ce;
        lru_push(e, ce);
        e->cache_used += pixels;
    }
    if (n) {
        floe_wbuf_init(&w, 0);
        spice_inval_list_put(&w, SPICE_RES_TYPE_PIXMAP, evicted, n);
        *inval = fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_INVAL_LIST, &w);
    }
    return ce ? 0 : -1;
}

static void cache_clear(struct fsrv_display_enc *e)
{
    while (e->lru_old)
        cache_remove(e, e->lru_old);
}

/* --- per-client choice ------------------------------------------------- */

static const struct floe_codec *codec_named(const char *name)
{
    return floe_codec_by_name(name);
}

/* always, never, or auto: on a link the MAIN channel's network test found slow */
static int wan_on(enum floe_wan when, const struct fsrv_chan *c)
{
    return when == FLOE_WAN_ALWAYS || (when == FLOE_WAN_AUTO && c->sess && c->sess->slow_link);
}

int fsrv_display_enc_lossy(const struct fsrv_chan *c)
{
    return wan_on(c->srv->opt.jpeg_wan, c);
}

/* The codecs to try for img, best first; the raw bitmap comes after them. */
static int choose(struct fsrv_display_enc *e, const struct fsrv_chan *c,
                  struct fsrv_msg_image *img, const struct floe_codec **out)
{
    int mode = e->preferred >= 0 ? e->preferred : (int)e->srv->opt.image_compression;
    int n = 0, quic_ok = img->width >= MIN_QUIC_SIDE && img->height >= MIN_QUIC_SIDE;
    const char *first = NULL;

    if (mode == FLOE_IMAGE_OFF || (size_t)img->width * img->height * 4 < MIN_COMPRESS_BYTES)
        return 0;
    if ((mode == FLOE_IMAGE_AUTO_GLZ || mode == FLOE_IMAGE_AUTO_LZ) && quic_ok) {
        if (img->photo < 0)
            img->photo = looks_photographic(img);
        if (img->photo)
            mode = FLOE_IMAGE_QUIC;
    }
    switch (mode) {
    case FLOE_IMAGE_QUIC:
        if (!quic_ok)
            return 0;
        first = wan_on(e->srv->opt.jpeg_wan, c) && !img->lossless ? "jpeg" : "quic";
        break;
    case FLOE_IMAGE_AUTO_GLZ:
    case FLOE_IMAGE_GLZ:
        /* a client that states no GLZ window gets LZ, as from the reference */
        if (!e->params.glz_window)
            first = "lz";
        else
            first = wan_on(e->srv->opt.zlib_glz_wan, c) ? "zlib-glz" : "glz";
        break;
    case FLOE_IMAGE_LZ4:
        first = e->lz4_cap ? "lz4" : "lz";
        break;
    default:
        first = "lz";
        break;
    }
    if ((out[n] = codec_named(first)))
        n++;
    if (first[0] == 'j' && (out[n] = codec_named("quic")))
        n++;
    if (strcmp(first, "lz") && (out[n] = codec_named("lz")))
        n++;
    if (e->lz4_cap && strcmp(first, "lz4") && (out[n] = codec_named("lz4")))
        n++;
    return n;
}

static void *codec_state(struct fsrv_display_enc *e, const struct floe_codec *codec)
{
    int i = floe_codec_state_slot(codec);

    if (!codec->state_new || i < 0 || i >= FLOE_CODEC_SLOTS)
        return NULL;
    if (!e->states[i])
        e->states[i] = codec->state_new(&e->params);
    return e->states[i];
}

/* --- encoding on the worker pool --------------------------------------- */

#define MAX_CHAIN 6
#define POOL_MIN_PIXELS 16384   /* smaller pictures are encoded on the loop thread */

/* One client's encoding of one picture. The loop thread plans the codecs to
 * try, best first; the worker runs them until one takes the picture; the
 * loop thread then builds the message. The worker touches only the job, the
 * picture's pixels (copied when queued, never changed after) and this
 * client's codec states, which no other job uses: a client has at most one
 * job, and states are made and freed on the loop thread while it has none. */
struct enc_job {
    uv_work_t req;
    struct fsrv_display_enc *e;
    struct fsrv_msg *m;                      /* a reference */
    int n;
    const struct floe_codec *codecs[MAX_CHAIN];
    void *states[MAX_CHAIN];
    uint8_t shared[MAX_CHAIN];               /* 1: the shared encoding exists, stop there */
    unsigned marked;                         /* the img->pending bits this job set */
    unsigned delay_ms;
    /* the worker's results */
    int at;                                  /* the codec that took the picture, or n */
    int fatal;                               /* a codec with memory failed: the client is lost */
    unsigned refused;                        /* by chain index: codecs that did not take it */
    struct floe_bytes coded;
    struct floe_coded meta;
};

static unsigned codec_bit(const struct floe_codec *codec)
{
    for (int i = 0; floe_codecs[i]; i++)
        if (floe_codecs[i] == codec)
            return 1u << i;
    return 0;
}

static void job_free(struct enc_job *j)
{
    j->m->image->pending &= ~j->marked;
    fsrv_msg_unref(j->m);
    floe_bytes_free(&j->coded);
    free(j);
}

/* Plans img's encoding for this client: 1 when codecs must run, 0 when the
 * shared encodings answer already, -EAGAIN when another client's job is
 * making the shared encoding this one would start with. */
static int job_plan(struct fsrv_display_enc *e, const struct fsrv_chan *c, struct enc_job *j)
{
    struct fsrv_msg_image *img = j->m->image;
    const struct floe_codec *codecs[MAX_CHAIN];
    int n = choose(e, c, img, codecs), run = 0;

    for (int i = 0; i < n; i++) {
        const struct floe_codec *codec = codecs[i];
        int history = codec->state_group != NULL;
        struct shared_enc *se = history ? NULL : shared_find(img, codec);
        unsigned bit = codec_bit(codec);
        void *state = NULL;

        if (se && !se->msg)
            continue;   /* it did not take the picture for another client */
        if (!se && !history && (img->pending & bit) && !run)
            return -EAGAIN;
        if (!se && codec->state_new && !(state = codec_state(e, codec)))
            continue;
        j->codecs[j->n] = codec;
        j->states[j->n] = state;
        j->shared[j->n++] = se != NULL;
        if (se)
            break;
        run = 1;
        if (!history && !(img->pending & bit)) {
            img->pending |= bit;
            j->marked |= bit;
        }
    }
    return run;
}

static void job_work(uv_work_t *req)
{
    struct enc_job *j = (struct enc_job *)req;
    struct fsrv_msg_image *img = j->m->image;
    struct floe_pic pic = { img->pixels, img->width, img->height, img->width * 4, false };
    size_t raw = (size_t)img->width * img->height * 4;

    j->at = j->n;
    if (j->delay_ms)
        usleep(j->delay_ms * 1000);
    for (int i = 0; i < j->n; i++) {
        int history = j->codecs[i]->state_group != NULL, rc;

        if (j->shared[i]) {
            j->at = i;
            return;
        }
        memset(&j->meta, 0, sizeof(j->meta));
        rc = j->codecs[i]->encode(j->states[i], &pic, &j->coded, &j->meta);
        /* an encoding no smaller than the bitmap is dropped, except GLZ's:
         * its dictionary holds the picture now */
        if (rc == 0 && (history || j->coded.len < raw)) {
            j->at = i;
            return;
        }
        floe_bytes_free(&j->coded);
        /* -EINVAL: a picture this codec does not take, refused before its
         * memory saw it; any other failure of a codec with memory leaves the
         * client's window behind the dictionary for good */
        if (history && rc != -EINVAL) {
            j->fatal = 1;
            return;
        }
        if (!history && rc != -ENOMEM)
            j->refused |= 1u << i;
    }
}

static struct fsrv_msg *draw_copy_own(const struct fsrv_msg *m, const struct enc_job *j,
                                      size_t *img_at)
{
    const struct fsrv_msg_image *img = m->image;
    struct spice_display_base base;
    struct spice_image_desc desc = { img->hash, j->meta.type, 0, (uint32_t)img->width,
                                     (uint32_t)img->height };
    struct floe_wbuf w;

    memset(&base, 0, sizeof(base));
    base.box = (struct spice_rect){ m->box.y1, m->box.x1, m->box.y2, m->box.x2 };
    base.clip.type = SPICE_CLIP_NONE;
    floe_wbuf_init(&w, 0);
    *img_at = spice_draw_copy_image_put(&w, 0, &base, NULL, &desc, j->meta.flags, j->meta.aux,
                                        j->coded.data, j->coded.len);
    return fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_DRAW_COPY, &w);
}

/* What the codecs made, as a message for this client (a new reference), or
 * NULL when none took the picture or memory ran out (*fatal: for good). */
struct coding {
    size_t img_at;   /* where the image starts in the message's body */
    int own;         /* the message is this client's alone (may be changed) */
    int lossy;
    int fatal;
};

static struct fsrv_msg *job_message(struct enc_job *j, struct coding *cd)
{
    struct fsrv_display_enc *e = j->e;
    struct fsrv_msg_image *img = j->m->image;
    const struct floe_codec *codec;
    struct fsrv_msg *out;
    struct shared_enc *se;
    uint8_t type;

    for (int i = 0; i < j->n; i++)
        if (j->refused & 1u << i)
            shared_refuse(img, j->codecs[i]);
    cd->fatal = j->fatal;
    if (j->fatal || j->at == j->n)
        return NULL;
    codec = j->codecs[j->at];
    if (codec->state_group) {
        out = draw_copy_own(j->m, j, &cd->img_at);
        cd->own = 1;
        cd->fatal = !out;
        type = j->meta.type;
        e->srv->stats.image_bytes_coded += j->coded.len;
    } else {
        /* another client's job may have made it meanwhile: that one is kept */
        se = j->shared[j->at] ? shared_find(img, codec)
                              : shared_get(j->m, codec, &j->coded, &j->meta);
        if (!se || !se->msg)
            return NULL;
        out = fsrv_msg_ref(se->msg);
        cd->img_at = se->img_at;
        type = se->type;
        e->srv->stats.image_bytes_coded += se->coded_len;
    }
    if (out && type < 128)
        e->srv->stats.images_by_type[type]++;
    cd->lossy = out && codec->lossy;
    return out;
}

static struct fsrv_msg *from_cache_msg(const struct fsrv_msg *m)
{
    const struct fsrv_msg_image *img = m->image;
    struct spice_display_base base;
    struct spice_image_desc desc = { img->hash, SPICE_IMAGE_FROM_CACHE, 0,
                                     (uint32_t)img->width, (uint32_t)img->height };
    struct floe_wbuf w;

    memset(&base, 0, sizeof(base));
    base.box = (struct spice_rect){ m->box.y1, m->box.x1, m->box.y2, m->box.x2 };
    base.clip.type = SPICE_CLIP_NONE;
    floe_wbuf_init(&w, 0);
    spice_draw_copy_image_put(&w, 0, &base, NULL, &desc, 0, 0, NULL, 0);
    return fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_DRAW_COPY, &w);
}

/* What goes now: the INVAL_LIST of evictions when there is one, out put
 * back at the queue's head behind it; else out. */
static struct fsrv_msg *evictions_first(struct fsrv_chan *c, struct fsrv_msg *out,
                                        struct fsrv_msg *inval)
{
    int rc;

    if (!inval)
        return out;
    rc = fsrv_chan_push_front(c, out);
    fsrv_msg_unref(out);
    if (rc < 0) {
        fsrv_msg_unref(inval);
        fsrv_chan_close(c, "out of memory");
        return NULL;
    }
    return inval;
}

/* The job's result for c: the message to write now (a new reference), with
 * anything that must follow it put back at the queue's head; NULL when
 * nothing is to be written (c may be closing, and e freed, then). */
static struct fsrv_msg *job_finish(struct fsrv_chan *c, struct enc_job *j)
{
    struct fsrv_display_enc *e = j->e;
    struct fsrv_msg *m = j->m, *out, *inval = NULL;
    struct fsrv_msg_image *img = m->image;
    struct coding cd = { 0 };

    out = job_message(j, &cd);
    if (cd.fatal) {
        fsrv_chan_close(c, "out of memory while encoding an image");
        return NULL;
    }
    if (!out) {
        struct shared_enc *se = shared_get(m, NULL, NULL, NULL);

        if (!se)
            return NULL;
        out = fsrv_msg_ref(se->msg);
        cd.img_at = se->img_at;
        e->srv->stats.images_by_type[SPICE_IMAGE_BITMAP]++;
        e->srv->stats.image_bytes_coded += se->coded_len;
    }
    /* lossy pictures are not cached: a later draw of them must be exact */
    if (e->cache_limit && !cd.lossy &&
        cache_add(e, img->hash, (uint64_t)img->width * img->height, &inval) == 0) {
        struct fsrv_msg *flagged = cd.own ? out : fsrv_msg_new(out->type, out->body, out->len);

        if (flagged) {
            flagged->body[cd.img_at + SPICE_IMAGE_DESC_FLAGS_AT] |= SPICE_IMAGE_CACHE_ME;
            if (flagged != out)
                fsrv_msg_unref(out);
            out = flagged;
        } else {
            /* the client would not get the picture into its cache */
            cache_remove(e, cache_find(e, img->hash));
        }
    }
    return evictions_first(c, out, inval);
}

/* Channels that wait for a shared encoding look again: a job has ended. */
static void wake_waiting(struct floe_server *s)
{
    for (struct fsrv_chan *o = s->chans; o; o = o->next)
        if (o->held == HELD_WAITING) {
            o->held = HELD_NO;
            fsrv_chan_flush(o);
        }
}

static void enc_destroy(struct fsrv_display_enc *e);

/* Back on the loop thread: the result goes to the head of the channel's
 * queue, unless the channel went away meanwhile. */
static void job_after(uv_work_t *req, int status)
{
    struct enc_job *j = (struct enc_job *)req;
    struct fsrv_display_enc *e = j->e;
    struct floe_server *s = e->srv;
    struct fsrv_chan *c = e->chan;
    struct fsrv_msg *now;

    e->job = NULL;
    if (status < 0)
        j->at = j->n;
    if (e->orphan) {
        job_free(j);
        enc_destroy(e);
        wake_waiting(s);
        return;
    }
    c->held = HELD_NO;
    now = job_finish(c, j);   /* may close c and free e */
    job_free(j);
    if (now) {
        if (fsrv_chan_push_front(c, now) < 0)
            fsrv_chan_close(c, "out of memory");
        fsrv_msg_unref(now);
    }
    wake_waiting(s);
    fsrv_chan_flush(c);
}

/* A draw operation's message whose source image the client may cache
 * (m->cached): FROM_CACHE when it has it; else the image, flagged to be
 * kept when there is room (evictions told first). */
static struct fsrv_msg *op_cache_prepare(struct fsrv_chan *c, struct fsrv_display_enc *e,
                                         struct fsrv_msg *m)
{
    struct cache_entry *ce;
    struct fsrv_msg *out, *inval = NULL;

    if (!e || !e->cache_limit)
        return fsrv_msg_ref(m);
    if ((ce = cache_find(e, m->cache_id))) {
        lru_unlink(e, ce);
        lru_push(e, ce);
        e->srv->stats.cache_hits++;
        e->srv->stats.images_by_type[SPICE_IMAGE_FROM_CACHE]++;
        return fsrv_msg_ref(m->cached);
    }
    if (cache_add(e, m->cache_id, m->cache_pixels, &inval) < 0) {
        out = fsrv_msg_ref(m);
    } else if ((out = fsrv_msg_new(m->type, m->body, m->len))) {
        out->body[m->cache_img_at + SPICE_IMAGE_DESC_FLAGS_AT] |= SPICE_IMAGE_CACHE_ME;
    } else {
        /* the client would not get the image into its cache */
        cache_remove(e, cache_find(e, m->cache_id));
        out = fsrv_msg_ref(m);
    }
    return evictions_first(c, out, inval);
}

struct fsrv_msg *fsrv_display_enc_prepare(struct fsrv_chan *c, struct fsrv_display_enc *e,
                                          struct fsrv_msg *m)
{
    struct fsrv_msg_image *img = m->image;
    struct cache_entry *ce;
    struct enc_job *j;
    struct fsrv_msg *out;
    int rc, pool;

    if (!img && m->cached)
        return op_cache_prepare(c, e, m);
    if (!img)
        return fsrv_msg_ref(m);
    if (!e) {
        struct shared_enc *se = shared_get(m, NULL, NULL, NULL);

        return se ? fsrv_msg_ref(se->msg) : NULL;
    }
    if (e->cache_limit && (ce = cache_find(e, img->hash))) {
        lru_unlink(e, ce);
        lru_push(e, ce);
        e->srv->stats.images++;
        e->srv->stats.image_bytes_raw += (uint64_t)img->width * img->height * 4;
        e->srv->stats.cache_hits++;
        e->srv->stats.images_by_type[SPICE_IMAGE_FROM_CACHE]++;
        return from_cache_msg(m);
    }
    j = calloc(1, sizeof(*j));
    if (!j) {
        fsrv_chan_close(c, "out of memory");
        return NULL;
    }
    j->e = e;
    j->m = fsrv_msg_ref(m);
    rc = job_plan(e, c, j);
    if (rc == -EAGAIN) {
        /* the picture goes back to the head until that job has ended */
        job_free(j);
        if (fsrv_chan_push_front(c, m) < 0) {
            fsrv_chan_close(c, "out of memory");
            return NULL;
        }
        c->held = HELD_WAITING;
        return NULL;
    }
    e->srv->stats.images++;
    e->srv->stats.image_bytes_raw += (uint64_t)img->width * img->height * 4;
    /* a small picture costs less to encode than the trip to a worker */
    pool = rc > 0 && (uint64_t)img->width * img->height >= POOL_MIN_PIXELS;
    j->delay_ms = pool ? e->delay_ms : 0;
    if (pool && uv_queue_work(e->srv->loop, &j->req, job_work, job_after) == 0) {
        e->job = j;
        c->held = HELD_ENCODING;
        return NULL;
    }
    job_work(&j->req);
    out = job_finish(c, j);
    job_free(j);
    return out;
}

/* --- life cycle -------------------------------------------------------- */

struct fsrv_display_enc *fsrv_display_enc_new(struct fsrv_chan *c,
                                              const struct spice_display_init *init)
{
    struct fsrv_display_enc *e = calloc(1, sizeof(*e));
    const char *delay;

    if (!e)
        return NULL;
    e->srv = c->srv;
    e->chan = c;
    e->preferred = -1;
    /* a test makes every encoding slow to see the loop stay free meanwhile */
    if ((delay = getenv("FLOE_TEST_ENCODE_DELAY_MS"))) {
        unsigned long ms = strtoul(delay, NULL, 10);

        e->delay_ms = ms > 10000 ? 10000 : (unsigned)ms;
    }
    e->lz4_cap = spice_caps_has(c->caps.channel, SPICE_DISPLAY_CAP_LZ4_COMPRESSION);
    e->cache_limit = init->pixmap_cache_size < MAX_CACHE_PIXELS ? init->pixmap_cache_size
                                                                : MAX_CACHE_PIXELS;
    /* with one cache for all its display channels the client's size is
     * shared: each monitor's channel fills its part only (of the monitors
     * its session was offered) */
    e->cache_limit /= (uint64_t)(c->sess && c->sess->monitors > 0 ? c->sess->monitors
                                                                  : c->srv->monitors);
    e->params.jpeg_quality = c->srv->opt.jpeg_quality;
    e->params.glz_window = init->glz_dictionary_window_size > 0
                               ? (uint32_t)init->glz_dictionary_window_size : 0;
    return e;
}

static void enc_destroy(struct fsrv_display_enc *e)
{
    for (int i = 0; floe_codecs[i] && i < FLOE_CODEC_SLOTS; i++)
        if (e->states[i])
            floe_codecs[i]->state_free(e->states[i]);
    cache_clear(e);
    free(e);
}

void fsrv_display_enc_free(struct fsrv_display_enc *e)
{
    if (!e)
        return;
    /* the worker may be using the codec states: the job's end frees them */
    if (e->job) {
        e->orphan = 1;
        e->chan = NULL;
        return;
    }
    enc_destroy(e);
}

int fsrv_display_enc_prefer(struct fsrv_display_enc *e, uint8_t compression)
{
    /* SPICE_IMAGE_COMPRESSION_*: 1 off, 2 auto_glz, 3 auto_lz, 4 quic, 5 glz, 6 lz, 7 lz4 */
    static const int modes[] = { -1, FLOE_IMAGE_OFF, FLOE_IMAGE_AUTO_GLZ, FLOE_IMAGE_AUTO_LZ,
                                 FLOE_IMAGE_QUIC, FLOE_IMAGE_GLZ, FLOE_IMAGE_LZ,
                                 FLOE_IMAGE_LZ4 };

    if (compression == 0 || compression >= sizeof(modes) / sizeof(modes[0]))
        return -EINVAL;
    e->preferred = modes[compression];
    return 0;
}

int floe_image_compression_parse(const char *name)
{
    static const char *const names[] = { "auto_glz", "auto_lz", "quic", "glz", "lz", "lz4",
                                         "off" };

    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

int floe_wan_parse(const char *name)
{
    if (!strcmp(name, "auto"))
        return FLOE_WAN_AUTO;
    if (!strcmp(name, "never"))
        return FLOE_WAN_NEVER;
    if (!strcmp(name, "always"))
        return FLOE_WAN_ALWAYS;
    return -1;
}
