/* The CURSOR channel: shape (ALPHA and MONO cursors, with a cache by unique
 * id), position and visibility, kept for the viewer to show. */
#include "client/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "protocol/spice/varmsgs.h"

#define MAX_CURSOR_SIDE 512

void fcli_cursor_state_fini(struct fcli_cursor_state *s)
{
    free(s->shape.argb);
    s->shape.argb = NULL;
    for (int i = 0; i < FLOE_CURSOR_CACHE_SIZE; i++) {
        free(s->cache[i].argb);
        s->cache[i].argb = NULL;
    }
}

static void cache_clear(struct fcli_cursor_state *s)
{
    for (int i = 0; i < FLOE_CURSOR_CACHE_SIZE; i++) {
        free(s->cache[i].argb);
        memset(&s->cache[i], 0, sizeof(s->cache[i]));
    }
}

static struct fcli_cursor_shape *cache_find(struct fcli_cursor_state *s, uint64_t id)
{
    for (int i = 0; i < FLOE_CURSOR_CACHE_SIZE; i++)
        if (s->cache[i].argb && s->cache[i].id == id)
            return &s->cache[i];
    return NULL;
}

static int shape_copy(struct fcli_cursor_shape *dst, const struct fcli_cursor_shape *src)
{
    size_t n = (size_t)src->width * src->height * 4;
    uint32_t *p = malloc(n ? n : 4);

    if (!p)
        return -ENOMEM;
    memcpy(p, src->argb, n);
    free(dst->argb);
    *dst = *src;
    dst->argb = p;
    return 0;
}

static void cache_store(struct fcli_cursor_state *s, const struct fcli_cursor_shape *shape)
{
    struct fcli_cursor_shape *slot = cache_find(s, shape->id);

    if (!slot) {
        slot = &s->cache[s->cache_next];
        s->cache_next = (s->cache_next + 1) % FLOE_CURSOR_CACHE_SIZE;
    }
    shape_copy(slot, shape);
}

/* MONO: where AND is 0 the XOR bit picks white or black; where AND is 1 the
 * screen shows through (XOR 1 there would invert; drawn as opaque black). */
static void mono_to_argb(const uint8_t *data, int w, int h, uint32_t *out)
{
    size_t row = ((size_t)w + 7) / 8;
    const uint8_t *and_mask = data, *xor_mask = data + row * h;

    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int a = and_mask[y * row + x / 8] >> (7 - x % 8) & 1;
            int xo = xor_mask[y * row + x / 8] >> (7 - x % 8) & 1;

            out[y * w + x] = a ? (xo ? 0xff000000u : 0) : (xo ? 0xffffffffu : 0xff000000u);
        }
    }
}

/* Builds the shape of c into *out (argb newly allocated). 1 = unsupported. */
static int decode_shape(struct fcli_cursor_state *s, const struct spice_cursor *c,
                        struct fcli_cursor_shape *out)
{
    const struct spice_cursor_header *h = &c->header;

    if (h->width == 0 || h->height == 0 || h->width > MAX_CURSOR_SIDE ||
        h->height > MAX_CURSOR_SIDE || (h->type != SPICE_CURSOR_TYPE_ALPHA &&
                                        h->type != FLOE_SPICE_CURSOR_TYPE_MONO)) {
        if (!s->warned) {
            s->warned = 1;
            floe_warn("cursor: type %u %ux%u not supported, hidden (logged once)", h->type,
                      h->width, h->height);
        }
        return 1;
    }
    out->id = h->unique;
    out->width = h->width;
    out->height = h->height;
    out->hot_x = h->hot_x > h->width ? h->width : h->hot_x;
    out->hot_y = h->hot_y > h->height ? h->height : h->hot_y;
    out->argb = malloc((size_t)h->width * h->height * 4);
    if (!out->argb)
        return -ENOMEM;
    if (h->type == SPICE_CURSOR_TYPE_ALPHA) {
        for (size_t i = 0; i < (size_t)h->width * h->height; i++)
            out->argb[i] = floe_le32(c->data + 4 * i);
    } else {
        mono_to_argb(c->data, h->width, h->height, out->argb);
    }
    return 0;
}

/* Replaces the current shape from a decoded cursor message. */
static int set_shape(struct fcli_cursor_state *s, const struct spice_cursor *c)
{
    struct fcli_cursor_shape shape = { 0 }, *cached;
    int rc;

    if (c->flags & SPICE_CURSOR_FLAG_NONE) {
        free(s->shape.argb);
        memset(&s->shape, 0, sizeof(s->shape));
        s->shape_serial++;
        return 0;
    }
    if (c->flags & SPICE_CURSOR_FLAG_FROM_CACHE) {
        cached = cache_find(s, c->header.unique);
        if (!cached) {
            floe_warn("cursor: %llu is not in the cache",
                      (unsigned long long)c->header.unique);
            return 0;
        }
        rc = shape_copy(&s->shape, cached);
        s->shape_serial++;
        return rc;
    }
    rc = decode_shape(s, c, &shape);
    if (rc < 0)
        return rc;
    if (rc == 0 && (c->flags & SPICE_CURSOR_FLAG_CACHE_ME))
        cache_store(s, &shape);
    free(s->shape.argb);
    s->shape = shape; /* all zero (no shape) when unsupported */
    s->shape_serial++;
    return 0;
}

static int cursor_locked(struct fcli_cursor_state *s, uint16_t type, const uint8_t *body,
                         size_t len)
{
    struct spice_cursor_msg m;
    struct spice_point16 pos;
    struct fcli_cursor_shape *e;
    struct floe_rbuf r;

    switch (type) {
    case SPICE_MSG_CURSOR_INIT:
    case SPICE_MSG_CURSOR_SET:
        if ((type == SPICE_MSG_CURSOR_INIT ? spice_cursor_init_parse(body, len, &m)
                                           : spice_cursor_set_parse(body, len, &m)))
            return -EBADMSG;
        s->x = m.position.x;
        s->y = m.position.y;
        s->visible = m.visible;
        return set_shape(s, &m.cursor);
    case SPICE_MSG_CURSOR_MOVE:
        floe_rbuf_init(&r, body, len);
        spice_point16_get(&r, &pos);
        if (r.bad)
            return -EBADMSG;
        s->x = pos.x;
        s->y = pos.y;
        return 0;
    case SPICE_MSG_CURSOR_HIDE:
        s->visible = 0;
        return 0;
    case SPICE_MSG_CURSOR_RESET:
        s->visible = 0;
        cache_clear(s);
        return 0;
    case SPICE_MSG_CURSOR_INVAL_ONE: {
        struct spice_cursor_inval_one inval;

        floe_rbuf_init(&r, body, len);
        spice_cursor_inval_one_get(&r, &inval);
        if (r.bad)
            return -EBADMSG;
        e = cache_find(s, inval.id);
        if (e) {
            free(e->argb);
            memset(e, 0, sizeof(*e));
        }
        return 0;
    }
    case SPICE_MSG_CURSOR_INVAL_ALL:
        cache_clear(s);
        return 0;
    case SPICE_MSG_CURSOR_TRAIL:
        return 0;
    default:
        floe_debug("cursor: message %u ignored", type);
        return 1;
    }
}

static int cursor_message(struct fcli_chan *ch, uint16_t type, const uint8_t *body, size_t len)
{
    struct floe_client *c = ch->client;
    int rc;

    pthread_mutex_lock(&c->lock);
    rc = cursor_locked(&c->cursor, type, body, len);
    pthread_mutex_unlock(&c->lock);
    if (rc == 0)
        ch->owner->emit_fn(c, FLOE_CLIENT_EVENT_CURSOR);
    return rc > 0 ? 0 : rc;
}

void floe_client_cursor_get(struct floe_client *c, struct floe_client_cursor *out,
                            uint64_t known_serial)
{
    struct fcli_cursor_state *s = &c->cursor;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&c->lock);
    out->visible = s->visible && s->shape.argb;
    out->x = s->x;
    out->y = s->y;
    out->width = s->shape.width;
    out->height = s->shape.height;
    out->hot_x = s->shape.hot_x;
    out->hot_y = s->shape.hot_y;
    out->shape_serial = s->shape_serial;
    if (s->shape.argb && s->shape_serial != known_serial) {
        size_t n = (size_t)s->shape.width * s->shape.height * 4;

        out->argb = malloc(n);
        if (out->argb)
            memcpy(out->argb, s->shape.argb, n);
    }
    pthread_mutex_unlock(&c->lock);
}

const struct fcli_chan_ops fcli_cursor_ops = {
    .name = "cursor",
    .message_fn = cursor_message,
};
