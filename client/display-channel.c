/* A DISPLAY channel (one per monitor): surfaces, monitors and the image
 * cache under the client lock; draw messages go to draw.c; anything
 * unknown is logged once. */
#include "client/display.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codecs/codec.h"
#include "common/log.h"
#include "protocol/spice/varmsgs.h"

#define MAX_SURFACE_BYTES (1ull << 30)

void fcli_display_init(struct fcli_display *d, uint64_t cache_pixels)
{
    memset(d, 0, sizeof(*d));
    pixman_region32_init(&d->damage);
    for (int i = 0; i < FLOE_CLIENT_MAX_HEADS; i++)
        pixman_region32_init(&d->head_damage[i]);
    fcli_image_cache_init(&d->cache, cache_pixels);
    d->glz_window = FLOE_CLIENT_GLZ_WINDOW;
}

void fcli_display_fini(struct fcli_display *d)
{
    for (int i = 0; i < FLOE_CLIENT_MAX_SURFACES; i++)
        fcli_surface_free(d->surfaces[i]);
    memset(d->surfaces, 0, sizeof(d->surfaces));
    d->primary = NULL;
    pixman_region32_fini(&d->damage);
    for (int i = 0; i < FLOE_CLIENT_MAX_HEADS; i++)
        pixman_region32_fini(&d->head_damage[i]);
    fcli_image_cache_fini(&d->cache);
    fcli_display_codecs_reset(d);
    fcli_streams_fini(d);
}

/* Returns a RESIZE event to emit (1) or not (0), or -errno. */
static int surface_create(struct fcli_display *d, const uint8_t *body, size_t len)
{
    struct spice_surface_create m;
    struct fcli_surface *s;
    struct floe_rbuf r;
    int err;

    floe_rbuf_init(&r, body, len);
    spice_surface_create_get(&r, &m);
    if (r.bad || m.surface_id >= FLOE_CLIENT_MAX_SURFACES) {
        floe_err("display: bad SURFACE_CREATE (surface %u)", m.surface_id);
        return -EBADMSG;
    }
    if (d->surfaces[m.surface_id]) {
        floe_warn("display: surface %u created twice, replacing it", m.surface_id);
        d->surface_bytes -= (uint64_t)d->surfaces[m.surface_id]->width *
                            d->surfaces[m.surface_id]->height * 4;
        if (d->primary == d->surfaces[m.surface_id])
            d->primary = NULL;
        fcli_surface_free(d->surfaces[m.surface_id]);
        d->surfaces[m.surface_id] = NULL;
    }
    if (d->surface_bytes + (uint64_t)m.width * m.height * 4 > MAX_SURFACE_BYTES) {
        floe_err("display: surfaces would take more than %llu bytes",
                 (unsigned long long)MAX_SURFACE_BYTES);
        return -ENOMEM;
    }
    s = fcli_surface_new(m.surface_id, m.width, m.height, m.format, m.flags, &err);
    if (!s) {
        floe_err("display: cannot create surface %u (%ux%u format %u)", m.surface_id, m.width,
                 m.height, m.format);
        return err;
    }
    d->surfaces[m.surface_id] = s;
    d->surface_bytes += (uint64_t)m.width * m.height * 4;
    floe_debug("display: surface %u %ux%u format %u%s", m.surface_id, m.width, m.height,
               m.format, s->primary ? " (primary)" : "");
    if (!s->primary)
        return 0;
    if (d->primary)
        d->primary->primary = 0; /* the old one lives on as an off-screen surface */
    d->primary = s;
    d->primary_serial++;
    pixman_region32_reset(&d->damage, &(pixman_box32_t){ 0, 0, s->width, s->height });
    d->dirty = 1;
    return 1;
}

static int surface_destroy(struct fcli_display *d, const uint8_t *body, size_t len)
{
    struct spice_surface_destroy m;
    struct floe_rbuf r;
    struct fcli_surface *s;
    int was_primary;

    floe_rbuf_init(&r, body, len);
    spice_surface_destroy_get(&r, &m);
    if (r.bad)
        return -EBADMSG;
    s = m.surface_id < FLOE_CLIENT_MAX_SURFACES ? d->surfaces[m.surface_id] : NULL;
    if (!s) {
        floe_debug("display: destroy of unknown surface %u ignored", m.surface_id);
        return 0;
    }
    was_primary = s == d->primary;
    d->surface_bytes -= (uint64_t)s->width * s->height * 4;
    d->surfaces[m.surface_id] = NULL;
    fcli_surface_free(s);
    if (!was_primary)
        return 0;
    d->primary = NULL;
    d->primary_serial++;
    pixman_region32_clear(&d->damage);
    return 1;
}

static int inval_list(struct fcli_display *d, const uint8_t *body, size_t len)
{
    const uint8_t *items;
    uint16_t count;

    if (spice_inval_list_parse(body, len, &count, &items))
        return -EBADMSG;
    for (uint16_t i = 0; i < count; i++) {
        uint8_t type;
        uint64_t id;

        spice_resource_at(items, i, &type, &id);
        if (type == SPICE_RES_TYPE_PIXMAP)
            fcli_image_cache_remove(&d->cache, id);
    }
    return 0;
}

/* The heads to show: those on the primary surface (surface 0), in order;
 * 1 if they changed. */
static int monitors_config(struct fcli_display *d, const uint8_t *body, size_t len)
{
    struct fcli_head keep[FLOE_CLIENT_MAX_HEADS];
    const uint8_t *heads;
    uint16_t count, max;
    int n = 0;

    if (spice_monitors_config_parse(body, len, &count, &max, &heads))
        return -EBADMSG;
    for (uint16_t i = 0; i < count; i++) {
        struct spice_monitor_head h;

        spice_monitor_head_at(heads, i, &h);
        floe_debug("display: monitor %u: surface %u %ux%u+%u+%u", h.monitor_id, h.surface_id,
                   h.width, h.height, h.x, h.y);
        if (h.surface_id != 0 || h.width == 0 || h.height == 0 || h.width > 16384 ||
            h.height > 16384 || h.x > 16384 || h.y > 16384)
            continue;
        if (n == FLOE_CLIENT_MAX_HEADS) {
            floe_warn("display: more than %d heads: the others are not shown",
                      FLOE_CLIENT_MAX_HEADS);
            break;
        }
        keep[n++] = (struct fcli_head){ (int)h.x, (int)h.y, (int)h.width, (int)h.height };
    }
    return fcli_display_set_heads(d, n, keep);
}

static void reset(struct fcli_display *d)
{
    if (!d->primary)
        return;
    fcli_canvas_clear(d->primary);
    pixman_region32_reset(&d->damage,
                          &(pixman_box32_t){ 0, 0, d->primary->width, d->primary->height });
    d->dirty = 1;
}

/* Handles one message with the client lock held; *ev gets an event to emit. */
static int display_locked(struct fcli_display *d, uint16_t type, const uint8_t *body, size_t len,
                          int *ev)
{
    int rc;

    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_FILL: case SPICE_MSG_DISPLAY_DRAW_OPAQUE:
    case SPICE_MSG_DISPLAY_DRAW_COPY: case SPICE_MSG_DISPLAY_DRAW_BLEND:
    case SPICE_MSG_DISPLAY_DRAW_BLACKNESS: case SPICE_MSG_DISPLAY_DRAW_WHITENESS:
    case SPICE_MSG_DISPLAY_DRAW_INVERS: case SPICE_MSG_DISPLAY_DRAW_ROP3:
    case SPICE_MSG_DISPLAY_DRAW_STROKE: case SPICE_MSG_DISPLAY_DRAW_TEXT:
    case SPICE_MSG_DISPLAY_DRAW_TRANSPARENT: case SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND:
    case SPICE_MSG_DISPLAY_DRAW_COMPOSITE: case SPICE_MSG_DISPLAY_COPY_BITS:
        return fcli_draw(d, type, body, len);
    case SPICE_MSG_DISPLAY_STREAM_CREATE: case SPICE_MSG_DISPLAY_STREAM_DATA:
    case SPICE_MSG_DISPLAY_STREAM_DATA_SIZED: case SPICE_MSG_DISPLAY_STREAM_CLIP:
    case SPICE_MSG_DISPLAY_STREAM_DESTROY: case SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL:
    case SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT:
        return fcli_stream_message(d, type, body, len, fcli_now_ms());
    case SPICE_MSG_DISPLAY_SURFACE_CREATE:
        rc = surface_create(d, body, len);
        *ev = rc == 1 ? FLOE_CLIENT_EVENT_RESIZE : -1;
        return rc < 0 ? rc : 0;
    case SPICE_MSG_DISPLAY_SURFACE_DESTROY:
        rc = surface_destroy(d, body, len);
        *ev = rc == 1 ? FLOE_CLIENT_EVENT_RESIZE : -1;
        return rc < 0 ? rc : 0;
    case SPICE_MSG_DISPLAY_MARK:
        d->marks++;
        *ev = FLOE_CLIENT_EVENT_MARK;
        return 0;
    case SPICE_MSG_DISPLAY_RESET:
        reset(d);
        return 0;
    case SPICE_MSG_DISPLAY_INVAL_LIST:
        return inval_list(d, body, len);
    case SPICE_MSG_DISPLAY_INVAL_ALL_PIXMAPS:
        fcli_image_cache_clear(&d->cache);
        return 0;
    case SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES:
        fcli_display_palettes_clear(d);
        return 0;
    case SPICE_MSG_DISPLAY_INVAL_PALETTE:
        if (len < 8)
            return -EBADMSG;
        fcli_display_palette_remove(d, floe_le64(body));
        return 0;
    case SPICE_MSG_DISPLAY_MODE:
        return 0;
    case SPICE_MSG_DISPLAY_MONITORS_CONFIG:
        rc = monitors_config(d, body, len);
        *ev = rc == 1 ? FLOE_CLIENT_EVENT_RESIZE : -1;
        return rc < 0 ? rc : 0;
    default:
        if (type < sizeof(d->warned_msg) && !d->warned_msg[type]) {
            d->warned_msg[type] = 1;
            floe_warn("display: message %u not supported yet, ignored (logged once)", type);
        }
        return 0;
    }
}

static int is_draw(uint16_t type)
{
    return (type >= SPICE_MSG_DISPLAY_DRAW_FILL && type <= SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND) ||
           type == SPICE_MSG_DISPLAY_DRAW_COMPOSITE || type == SPICE_MSG_DISPLAY_COPY_BITS;
}

static int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Once a second, to a server that takes them: how busy rendering draw
 * messages kept this client (floe's RENDER_REPORT), so that it renders for
 * a client that falls behind. */
#define REPORT_PERIOD_MS 1000

static void render_account(struct fcli_chan *ch, struct fcli_display *d, int64_t t0, int64_t t1)
{
    struct floe_wbuf w;
    int64_t ms = t1 / 1000;

    if (!spice_caps_has(ch->peer_caps.channel, FLOE_DISPLAY_CAP_RENDER_REPORT))
        return;
    if (!d->report_ms)
        d->report_ms = t0 / 1000;
    d->busy_us += t1 - t0;
    d->report_draws++;
    if (ms - d->report_ms < REPORT_PERIOD_MS)
        return;
    floe_wbuf_init(&w, 64);
    spice_floe_render_report_put(&w, &(struct spice_floe_render_report){
        .period_ms = (uint32_t)(ms - d->report_ms), .draws = d->report_draws,
        .busy_us = d->busy_us > UINT32_MAX ? UINT32_MAX : (uint32_t)d->busy_us });
    fcli_chan_send_wbuf(ch, FLOE_MSGC_DISPLAY_RENDER_REPORT, &w);
    d->report_ms = ms;
    d->busy_us = 0;
    d->report_draws = 0;
}

static int display_message(struct fcli_chan *ch, uint16_t type, const uint8_t *body, size_t len)
{
    struct floe_client *c = ch->client;
    struct fcli_display *d = &c->displays[ch->id];
    struct spice_stream_report reports[FLOE_CLIENT_REPORTS_OUT];
    int draw = is_draw(type), ev = -1, rc, nrep;
    int64_t t0 = draw ? mono_us() : 0;

    if (draw && d->render_delay_us)
        usleep(d->render_delay_us);
    pthread_mutex_lock(&c->lock);
    rc = display_locked(d, type, body, len, &ev);
    nrep = fcli_stream_reports_take(d, reports, FLOE_CLIENT_REPORTS_OUT);
    pthread_mutex_unlock(&c->lock);
    for (int i = 0; i < nrep; i++) {
        struct floe_wbuf w;

        floe_wbuf_init(&w, 64);
        spice_stream_report_put(&w, &reports[i]);
        fcli_chan_send_wbuf(ch, SPICE_MSGC_DISPLAY_STREAM_REPORT, &w);
    }
    if (draw)
        render_account(ch, d, t0, mono_us());
    if (!rc && ev >= 0)
        ch->owner->emit_fn(c, (enum floe_client_event)ev);
    return rc;
}

/* Each display channel has its own pixmap cache and GLZ window, and names
 * them with ids of its own (channel id + 1), so a server shares neither
 * between monitors (the reference server shares what has the same id). */
static void display_linked(struct fcli_chan *ch)
{
    struct floe_client *c = ch->client;
    struct fcli_display *d = &c->displays[ch->id];
    uint8_t id = (uint8_t)(ch->id + 1);
    struct spice_display_init m = { id, d->cache.limit, id, (int32_t)FLOE_CLIENT_GLZ_WINDOW };
    struct floe_wbuf w;

    const char *delay = getenv("FLOE_TEST_RENDER_DELAY_US");

    d->report_ms = d->busy_us = 0;
    d->report_draws = 0;
    d->render_delay_us = delay ? (unsigned)strtoul(delay, NULL, 10) : 0;
    /* a new connection: the server starts new GLZ ids, caches and palettes */
    pthread_mutex_lock(&c->lock);
    fcli_display_codecs_reset(d);
    fcli_image_cache_clear(&d->cache);
    pthread_mutex_unlock(&c->lock);

    floe_wbuf_init(&w, 64);
    spice_display_init_put(&w, &m);
    fcli_chan_send_wbuf(ch, SPICE_MSGC_DISPLAY_INIT, &w);
    /* by default nothing is asked: the server's setting decides */
    if (ch->client->preferred_compression > 0 &&
        spice_caps_has(ch->peer_caps.channel, SPICE_DISPLAY_CAP_PREF_COMPRESSION)) {
        floe_wbuf_init(&w, 64);
        spice_preferred_compression_put(&w, &(struct spice_preferred_compression){
            .image_compression = (uint8_t)ch->client->preferred_compression });
        fcli_chan_send_wbuf(ch, SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION, &w);
    }
}

const struct fcli_chan_ops fcli_display_ops = {
    .name = "display",
    .linked_fn = display_linked,
    .message_fn = display_message,
};
