/* A DISPLAY channel (one per monitor): surfaces, draw commands and the image
 * cache, applied to pixman surfaces under the client lock; anything unknown
 * is logged once. */
#include "client/display.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codec.h"
#include "common/log.h"
#include "protocol/spice/varmsgs.h"

#define MAX_SURFACE_BYTES (1ull << 30)

enum { MISC_MASK, MISC_ROP, MISC_BRUSH, MISC_CACHE_MISS, MISC_BITMAP, MISC_PALETTE };

static const char *const image_type_names[] = {
    [SPICE_IMAGE_BITMAP] = "BITMAP", [SPICE_IMAGE_QUIC] = "QUIC",
    [SPICE_IMAGE_LZ_PLT] = "LZ_PLT", [SPICE_IMAGE_LZ_RGB] = "LZ_RGB",
    [SPICE_IMAGE_GLZ_RGB] = "GLZ_RGB", [SPICE_IMAGE_FROM_CACHE] = "FROM_CACHE",
    [SPICE_IMAGE_SURFACE] = "SURFACE", [SPICE_IMAGE_JPEG] = "JPEG",
    [SPICE_IMAGE_FROM_CACHE_LOSSLESS] = "FROM_CACHE_LOSSLESS",
    [SPICE_IMAGE_ZLIB_GLZ_RGB] = "ZLIB_GLZ_RGB", [SPICE_IMAGE_JPEG_ALPHA] = "JPEG_ALPHA",
    [SPICE_IMAGE_LZ4] = "LZ4",
};

static const char *image_type_name(uint8_t t)
{
    if (t < sizeof(image_type_names) / sizeof(image_type_names[0]) && image_type_names[t])
        return image_type_names[t];
    return "unknown";
}

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
}

static void warn_once(uint8_t *flag, const char *what, unsigned v)
{
    if (*flag)
        return;
    *flag = 1;
    floe_warn("display: %s %u not supported yet, skipped (logged once)", what, v);
}

static struct fcli_surface *surface_get(struct fcli_display *d, uint32_t id)
{
    struct fcli_surface *s = id < FLOE_CLIENT_MAX_SURFACES ? d->surfaces[id] : NULL;

    if (!s)
        floe_err("display: draw on surface %u that does not exist", id);
    return s;
}

/* Records that rgn of s changed. */
static void touched(struct fcli_display *d, struct fcli_surface *s, pixman_region32_t *rgn)
{
    d->draws++;
    if (!s->primary)
        return;
    pixman_region32_union(&d->damage, &d->damage, rgn);
    d->dirty = 1;
}

static void cache_placeholder(struct fcli_display *d, const struct spice_image *img)
{
    if (img->desc.flags & SPICE_IMAGE_CACHE_ME)
        fcli_image_cache_put(&d->cache, img->desc.id, NULL,
                             (uint64_t)img->desc.width * img->desc.height);
}

static int image_bitmap(struct fcli_display *d, const struct spice_image *img,
                        pixman_image_t **out)
{
    int err;
    pixman_image_t *px = fcli_bitmap_decode(d, img, &err);

    if (!px && err == -ENOTSUP) {
        warn_once(&d->warned_misc[MISC_BITMAP], "bitmap format", img->bitmap.format);
        cache_placeholder(d, img);
        return 1;
    }
    if (!px && err == -ENOENT) {
        warn_once(&d->warned_misc[MISC_PALETTE], "bitmap with a palette not kept, id",
                  (unsigned)img->palette_id);
        cache_placeholder(d, img);
        return 1;
    }
    if (!px) {
        if (err == -EBADMSG)
            floe_err("display: bitmap %ux%u stride %u does not fit its data", img->bitmap.x,
                     img->bitmap.y, img->bitmap.stride);
        return err;
    }
    if (img->desc.flags & SPICE_IMAGE_CACHE_ME)
        fcli_image_cache_put(&d->cache, img->desc.id, px,
                             (uint64_t)img->desc.width * img->desc.height);
    *out = px;
    return 0;
}

static int image_coded(struct fcli_display *d, const struct spice_image *img,
                       pixman_image_t **out)
{
    int err;
    pixman_image_t *px = fcli_coded_image_decode(d, img, &err);

    if (!px && (err == -EOPNOTSUPP || err == -ENOTSUP)) {
        warn_once(&d->warned_image[img->desc.type], "image type (no decoder, skipped)",
                  img->desc.type);
        cache_placeholder(d, img);
        return 1;
    }
    if (!px && err == -ENOENT) {
        warn_once(&d->warned_misc[MISC_PALETTE], "LZ_PLT image with a palette not kept, id",
                  (unsigned)img->palette_id);
        cache_placeholder(d, img);
        return 1;
    }
    if (!px) {
        floe_err("display: %s image %ux%u does not decode", image_type_name(img->desc.type),
                 img->desc.width, img->desc.height);
        return err;
    }
    if (img->desc.flags & SPICE_IMAGE_CACHE_ME)
        fcli_image_cache_put(&d->cache, img->desc.id, px,
                             (uint64_t)img->desc.width * img->desc.height);
    *out = px;
    return 0;
}

static int image_from_cache(struct fcli_display *d, const struct spice_image *img,
                            pixman_image_t **out)
{
    pixman_image_t *px;

    if (!fcli_image_cache_get(&d->cache, img->desc.id, &px)) {
        if (!d->warned_misc[MISC_CACHE_MISS] && (d->warned_misc[MISC_CACHE_MISS] = 1))
            floe_warn("display: image %llu is not in the cache, draw skipped",
                      (unsigned long long)img->desc.id);
        return 1;
    }
    if (!px)
        return 1; /* an image floe could not decode when it arrived */
    *out = pixman_image_ref(px);
    return 0;
}

/* FLOE_DUMP_IMAGES=DIR writes each compressed image's payload to
 * DIR/img-SEQ-tTYPE-WxH-fFLAGS-aAUX.bin: test data from real encoders. */
static void dump_image(const struct spice_image *img)
{
    static unsigned seq;
    const char *dir = getenv("FLOE_DUMP_IMAGES");
    char path[4096];
    FILE *f;

    if (!dir || !*dir || !img->data || img->desc.type == SPICE_IMAGE_BITMAP)
        return;
    snprintf(path, sizeof(path), "%s/img-%05u-t%u-%ux%u-f%u-a%u.bin", dir, seq++, img->desc.type,
             img->desc.width, img->desc.height, img->flags, img->aux);
    f = fopen(path, "wb");
    if (!f)
        return;
    if (fwrite(img->data, 1, img->data_len, f) != img->data_len)
        floe_warn("display: could not write %s", path);
    fclose(f);
}

/* Finds the pixels an image names: 0 with a new reference in *out, 1 when
 * the draw is to be skipped (already logged), or -errno for bad input. */
static int image_get(struct fcli_display *d, const uint8_t *body, size_t len, uint32_t offset,
                     const struct spice_image *img, pixman_image_t **out)
{
    uint32_t sid;

    *out = NULL;
    dump_image(img);
    switch (img->desc.type) {
    case SPICE_IMAGE_BITMAP:
        /* a palette sent with a bitmap may be named by later LZ_PLT images */
        if ((img->bitmap.flags & SPICE_BITMAP_PAL_CACHE_ME) &&
            !(img->bitmap.flags & SPICE_BITMAP_PAL_FROM_CACHE) && img->bitmap.palette) {
            const uint8_t *ents;
            uint64_t pid;
            uint16_t n;

            if (spice_palette_parse(body, len, img->bitmap.palette, &pid, &ents, &n))
                return -EBADMSG;
            fcli_display_palette_keep(d, pid, ents, n, 1);
        }
        return image_bitmap(d, img, out);
    case SPICE_IMAGE_FROM_CACHE:
    case SPICE_IMAGE_FROM_CACHE_LOSSLESS:
        return image_from_cache(d, img, out);
    case SPICE_IMAGE_SURFACE:
        if (spice_image_surface_parse(body, len, offset, &sid) || !surface_get(d, sid))
            return -EBADMSG;
        *out = pixman_image_ref(d->surfaces[sid]->image);
        return 0;
    case SPICE_IMAGE_QUIC: case SPICE_IMAGE_LZ_PLT: case SPICE_IMAGE_LZ_RGB:
    case SPICE_IMAGE_GLZ_RGB: case SPICE_IMAGE_JPEG: case SPICE_IMAGE_ZLIB_GLZ_RGB:
    case SPICE_IMAGE_JPEG_ALPHA: case SPICE_IMAGE_LZ4:
        return image_coded(d, img, out);
    default:
        if (!d->warned_image[img->desc.type]) {
            d->warned_image[img->desc.type] = 1;
            floe_warn("display: %s images (type %u) not supported yet, skipped (logged once)",
                      image_type_name(img->desc.type), img->desc.type);
        }
        cache_placeholder(d, img);
        return 1;
    }
}

static int area_inside(const struct spice_rect *a, pixman_image_t *img)
{
    return a->left >= 0 && a->top >= 0 && a->left < a->right && a->top < a->bottom &&
           a->right <= pixman_image_get_width(img) && a->bottom <= pixman_image_get_height(img);
}

static void check_extras(struct fcli_display *d, uint16_t rop, uint32_t mask_bitmap)
{
    if (mask_bitmap)
        warn_once(&d->warned_misc[MISC_MASK], "draw mask on image at offset", mask_bitmap);
    if (rop != SPICE_ROPD_OP_PUT)
        warn_once(&d->warned_misc[MISC_ROP], "raster operation (drawn as OP_PUT)", rop);
}

/* DRAW_COPY and DRAW_BLEND share one layout. */
static int draw_copy(struct fcli_display *d, const uint8_t *body, size_t len)
{
    struct spice_draw_copy m;
    struct fcli_surface *s;
    pixman_region32_t rgn;
    pixman_image_t *src = NULL;
    int rc;

    if (spice_draw_copy_parse(body, len, &m))
        return -EBADMSG;
    s = surface_get(d, m.base.surface_id);
    if (!s)
        return -EBADMSG;
    rc = fcli_canvas_region(s, &m.base, &rgn);
    if (!rc)
        rc = image_get(d, body, len, m.src_bitmap, &m.image, &src);
    if (rc)
        goto out;
    check_extras(d, m.rop, m.mask.bitmap);
    if (!area_inside(&m.src_area, src)) {
        floe_err("display: source area (%d,%d)-(%d,%d) outside its %dx%d image",
                 m.src_area.left, m.src_area.top, m.src_area.right, m.src_area.bottom,
                 pixman_image_get_width(src), pixman_image_get_height(src));
        rc = -EBADMSG;
        goto out;
    }
    rc = fcli_canvas_blit(s, &rgn, src, &m.src_area, &m.base.box, m.scale_mode);
    if (!rc)
        touched(d, s, &rgn);
out:
    if (src)
        pixman_image_unref(src);
    pixman_region32_fini(&rgn);
    return rc == 1 ? 0 : rc;
}

static int draw_fill(struct fcli_display *d, const uint8_t *body, size_t len)
{
    struct spice_draw_fill m;
    struct fcli_surface *s;
    pixman_region32_t rgn;
    int rc;

    if (spice_draw_fill_parse(body, len, &m))
        return -EBADMSG;
    s = surface_get(d, m.base.surface_id);
    if (!s)
        return -EBADMSG;
    rc = fcli_canvas_region(s, &m.base, &rgn);
    if (!rc && m.brush.type == SPICE_BRUSH_SOLID) {
        check_extras(d, m.rop, m.mask.bitmap);
        fcli_canvas_fill(s, &rgn, m.brush.color);
        touched(d, s, &rgn);
    } else if (!rc && m.brush.type == SPICE_BRUSH_PATTERN) {
        warn_once(&d->warned_misc[MISC_BRUSH], "DRAW_FILL brush type", m.brush.type);
    }
    pixman_region32_fini(&rgn);
    return rc;
}

static int copy_bits(struct fcli_display *d, const uint8_t *body, size_t len)
{
    struct spice_copy_bits m;
    struct fcli_surface *s;
    pixman_region32_t rgn;
    int rc;

    if (spice_copy_bits_parse(body, len, &m))
        return -EBADMSG;
    s = surface_get(d, m.base.surface_id);
    if (!s)
        return -EBADMSG;
    rc = fcli_canvas_region(s, &m.base, &rgn);
    if (!rc && (m.src_pos.x < -FLOE_CLIENT_MAX_SIDE || m.src_pos.x > FLOE_CLIENT_MAX_SIDE ||
                m.src_pos.y < -FLOE_CLIENT_MAX_SIDE || m.src_pos.y > FLOE_CLIENT_MAX_SIDE))
        rc = -EBADMSG;
    if (!rc) {
        fcli_canvas_copy_bits(s, &rgn, m.base.box.left - m.src_pos.x,
                              m.base.box.top - m.src_pos.y);
        touched(d, s, &rgn);
    }
    pixman_region32_fini(&rgn);
    return rc;
}

/* BLACKNESS, WHITENESS and INVERS: a display base and a mask, no source. */
static int draw_solid_op(struct fcli_display *d, uint16_t type, const uint8_t *body, size_t len)
{
    struct spice_draw_mask_only m;
    struct fcli_surface *s;
    pixman_region32_t rgn;
    int rc;

    if (spice_draw_mask_only_parse(body, len, &m))
        return -EBADMSG;
    s = surface_get(d, m.base.surface_id);
    if (!s)
        return -EBADMSG;
    rc = fcli_canvas_region(s, &m.base, &rgn);
    if (!rc && type != SPICE_MSG_DISPLAY_DRAW_INVERS) {
        fcli_canvas_fill(s, &rgn, type == SPICE_MSG_DISPLAY_DRAW_BLACKNESS ? 0xff000000u
                                                                          : 0xffffffffu);
        touched(d, s, &rgn);
    } else if (!rc) {
        int n;
        pixman_box32_t *b = pixman_region32_rectangles(&rgn, &n);
        uint32_t *bits = pixman_image_get_data(s->image);
        int stride = pixman_image_get_stride(s->image) / 4;

        for (int i = 0; i < n; i++)
            for (int y = b[i].y1; y < b[i].y2; y++)
                for (int x = b[i].x1; x < b[i].x2; x++)
                    bits[(size_t)y * stride + x] ^= 0x00ffffffu;
        touched(d, s, &rgn);
    }
    pixman_region32_fini(&rgn);
    return rc;
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
    case SPICE_MSG_DISPLAY_DRAW_COPY:
    case SPICE_MSG_DISPLAY_DRAW_BLEND:
        return draw_copy(d, body, len);
    case SPICE_MSG_DISPLAY_DRAW_FILL:
        return draw_fill(d, body, len);
    case SPICE_MSG_DISPLAY_COPY_BITS:
        return copy_bits(d, body, len);
    case SPICE_MSG_DISPLAY_DRAW_BLACKNESS:
    case SPICE_MSG_DISPLAY_DRAW_WHITENESS:
    case SPICE_MSG_DISPLAY_DRAW_INVERS:
        return draw_solid_op(d, type, body, len);
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

static int display_message(struct fcli_chan *ch, uint16_t type, const uint8_t *body, size_t len)
{
    struct floe_client *c = ch->client;
    int ev = -1, rc;

    pthread_mutex_lock(&c->lock);
    rc = display_locked(&c->displays[ch->id], type, body, len, &ev);
    pthread_mutex_unlock(&c->lock);
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
