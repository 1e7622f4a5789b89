/* The DISPLAY channel of one client, one per monitor: DISPLAY_INIT starts
 * the full picture, then it follows the model; a client too slow to keep up
 * gets its pending draws replaced by the newest pixels of the area they
 * covered. */
#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "server/internal.h"

#define DISPLAY_QUEUE_LIMIT (24u << 20)

struct display_client {
    int synced;
    struct fsrv_display_enc *enc;   /* codecs, cache and dictionary: from DISPLAY_INIT on */
    int preferred;                  /* PREFERRED_COMPRESSION before DISPLAY_INIT, or 0 */
    uint8_t glz_id;                 /* the client's GLZ dictionary id ... */
    int glz_own;                    /* ... and whether this channel uses it */
};

int fsrv_display_synced(struct fsrv_chan *c)
{
    struct display_client *dc = c->priv;

    return dc && dc->synced;
}

static void display_linked(struct fsrv_chan *c)
{
    c->priv = calloc(1, sizeof(struct display_client));
    if (!c->priv) {
        fsrv_chan_close(c, "out of memory");
        return;
    }
    c->queue_limit = DISPLAY_QUEUE_LIMIT;
    fsrv_chan_set_ack(c, 20);
    fsrv_chan_ping(c);
}

/* A GLZ dictionary is the client's, named by an id: a client may give every
 * display channel the same one (remote-viewer does) and then keeps one window
 * ordered by one sequence of image ids. Only the first channel to name a
 * dictionary uses it; the others of the session use LZ instead of GLZ. */
static int glz_taken(struct fsrv_chan *c, uint8_t id)
{
    for (int k = 0; c->sess && k < c->srv->monitors; k++) {
        struct fsrv_chan *o = c->sess->display[k];
        struct display_client *odc = o && o != c ? o->priv : NULL;

        if (odc && odc->synced && odc->glz_own && odc->glz_id == id)
            return 1;
    }
    return 0;
}

static int display_init(struct fsrv_chan *c, struct spice_display_init *init)
{
    struct display_client *dc = c->priv;

    dc->glz_id = init->glz_dictionary_id;
    dc->glz_own = init->glz_dictionary_window_size > 0 && !glz_taken(c, dc->glz_id);
    if (!dc->glz_own && init->glz_dictionary_window_size > 0) {
        floe_debug("%s: display %u: GLZ dictionary %u is another channel's: LZ instead",
                   c->peer, c->id, dc->glz_id);
        init->glz_dictionary_window_size = 0;
    }
    dc->enc = fsrv_display_enc_new(c, init);
    if (!dc->enc)
        return -ENOMEM;
    if (dc->preferred)
        fsrv_display_enc_prefer(dc->enc, (uint8_t)dc->preferred);
    dc->synced = 1;
    fsrv_display_client_sync(c);
    return 0;
}

static int display_handle(struct fsrv_chan *c, uint16_t type, const uint8_t *body, uint32_t len)
{
    struct display_client *dc = c->priv;
    struct floe_rbuf r;
    struct spice_display_init init;

    floe_rbuf_init(&r, body, len);
    switch (type) {
    case SPICE_MSGC_DISPLAY_INIT:
        spice_display_init_get(&r, &init);
        if (r.bad)
            return -EBADMSG;
        return dc->synced ? 0 : display_init(c, &init);
    case SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION: {
        struct spice_preferred_compression pc;

        spice_preferred_compression_get(&r, &pc);
        if (r.bad)
            return -EBADMSG;
        /* an unknown value is ignored, as the reference server does */
        if (pc.image_compression < 1 || pc.image_compression > 7)
            floe_warn("%s: display: unknown preferred compression %u", c->peer,
                      pc.image_compression);
        else if (dc->enc)
            fsrv_display_enc_prefer(dc->enc, pc.image_compression);
        else
            dc->preferred = pc.image_compression;
        return 0;
    }
    default:
        floe_debug("%s: display: ignoring message %u", c->peer, type);
        return 0;
    }
}

/* Drops a queued draw, adding its area to the region in `arg`. */
static int drop_draw(const struct fsrv_msg *m, void *arg)
{
    if (!m->has_box)
        return 0;
    pixman_region32_union_rect(arg, arg, m->box.x1, m->box.y1, (unsigned)(m->box.x2 - m->box.x1),
                               (unsigned)(m->box.y2 - m->box.y1));
    return 1;
}

/* Drops every queued draw and queues the current pixels of their area. */
static void display_overflow(struct fsrv_chan *c)
{
    struct display_client *dc = c->priv;
    const struct fsrv_surface *sf = &c->srv->primary[c->id];
    pixman_region32_t rg;

    /* what replaces the dropped draws is at most a surface of pixels (so is
     * the first picture): wait for twice that, so one overflow is not
     * followed by another at once; chan.c keeps this from recursing */
    if (!dc || c->queued_bytes < 2 * (size_t)sf->width * sf->height * 4)
        return;
    pixman_region32_init(&rg);
    fsrv_chan_drop(c, drop_draw, &rg);
    floe_debug("%s: slow client: %d pending rectangles replaced by pixels", c->peer,
               pixman_region32_n_rects(&rg));
    fsrv_display_send_region(c, &rg);
    pixman_region32_fini(&rg);
}

static struct fsrv_msg *display_prepare(struct fsrv_chan *c, struct fsrv_msg *m)
{
    struct display_client *dc = c->priv;

    return fsrv_display_enc_prepare(c, dc ? dc->enc : NULL, m);
}

static void display_closed(struct fsrv_chan *c)
{
    struct display_client *dc = c->priv;

    if (dc)
        fsrv_display_enc_free(dc->enc);
    free(c->priv);
    c->priv = NULL;
}

const struct fsrv_chan_ops fsrv_display_ops = {
    .linked = display_linked,
    .handle = display_handle,
    .overflow = display_overflow,
    .prepare = display_prepare,
    .closed = display_closed,
};
