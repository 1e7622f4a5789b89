/* Bounded decoders for variable-length server messages (see varmsgs.h).
 * Every count and offset is checked against the body before it is used. */
#include "protocol/spice/varmsgs.h"

#include <errno.h>

int spice_sub_list_count(const uint8_t *body, size_t len, size_t list_at, uint16_t *count)
{
    struct floe_rbuf whole, r;

    floe_rbuf_init(&whole, body, len);
    floe_rbuf_at(&r, &whole, list_at);
    *count = floe_get_u16(&r);
    if (r.bad || (size_t)*count * 4 > floe_rbuf_left(&r))
        return -EBADMSG;
    return 0;
}

int spice_sub_list_get(const uint8_t *body, size_t len, size_t list_at, uint16_t i,
                       struct spice_sub_message *out)
{
    struct floe_rbuf whole, r, sub;
    uint16_t count;
    uint32_t at;

    if (spice_sub_list_count(body, len, list_at, &count) || i >= count)
        return -EBADMSG;
    floe_rbuf_init(&whole, body, len);
    floe_rbuf_at(&r, &whole, list_at + 2 + 4 * (size_t)i);
    at = floe_get_u32(&r);
    floe_rbuf_at(&sub, &whole, at);
    out->type = floe_get_u16(&sub);
    out->len = floe_get_u32(&sub);
    out->body = floe_get_bytes(&sub, out->len);
    return sub.bad || r.bad ? -EBADMSG : 0;
}

int spice_notify_parse(const uint8_t *body, size_t len, struct spice_notify *n)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    n->time_stamp = floe_get_u64(&r);
    n->severity = floe_get_u32(&r);
    n->visibility = floe_get_u32(&r);
    n->what = floe_get_u32(&r);
    n->text_len = floe_get_u32(&r);
    n->text = floe_get_bytes(&r, n->text_len);
    return r.bad ? -EBADMSG : 0;
}

int spice_name_parse(const uint8_t *body, size_t len, const uint8_t **name, uint32_t *name_len)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    *name_len = floe_get_u32(&r);
    *name = floe_get_bytes(&r, *name_len);
    return r.bad ? -EBADMSG : 0;
}

int spice_inval_list_parse(const uint8_t *body, size_t len, uint16_t *count,
                           const uint8_t **items)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    *count = floe_get_u16(&r);
    *items = floe_get_bytes(&r, (size_t)*count * (size_t)SPICE_SIZE_resource_id);
    return r.bad ? -EBADMSG : 0;
}

void spice_resource_at(const uint8_t *items, uint16_t i, uint8_t *type, uint64_t *id)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, items + (size_t)i * (size_t)SPICE_SIZE_resource_id, (size_t)SPICE_SIZE_resource_id);
    *type = floe_get_u8(&r);
    *id = floe_get_u64(&r);
}

void spice_inval_list_put(struct floe_wbuf *w, uint8_t type, const uint64_t *ids, uint16_t count)
{
    floe_put_u16(w, count);
    for (uint16_t i = 0; i < count; i++)
        spice_resource_id_put(w, &(struct spice_resource_id){ type, ids[i] });
}

int spice_monitors_config_parse(const uint8_t *body, size_t len, uint16_t *count,
                                uint16_t *max_allowed, const uint8_t **heads)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    *count = floe_get_u16(&r);
    *max_allowed = floe_get_u16(&r);
    *heads = floe_get_bytes(&r, (size_t)*count * SPICE_SIZE_monitor_head);
    return r.bad ? -EBADMSG : 0;
}

void spice_monitor_head_at(const uint8_t *heads, uint16_t i, struct spice_monitor_head *h)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, heads + (size_t)i * SPICE_SIZE_monitor_head, SPICE_SIZE_monitor_head);
    spice_monitor_head_get(&r, h);
}

int spice_image_surface_parse(const uint8_t *body, size_t len, uint32_t offset,
                              uint32_t *surface_id)
{
    struct floe_rbuf whole, r;
    struct spice_image_desc desc;

    floe_rbuf_init(&whole, body, len);
    floe_rbuf_at(&r, &whole, offset);
    spice_image_desc_get(&r, &desc);
    *surface_id = floe_get_u32(&r);
    if (r.bad || offset == 0 || desc.type != SPICE_IMAGE_SURFACE)
        return -EBADMSG;
    return 0;
}

static int cursor_msg_tail(struct floe_rbuf *r, struct spice_cursor_msg *m)
{
    size_t need;

    m->visible = floe_get_u8(r);
    if (r->bad || spice_cursor_get(r, &m->cursor))
        return -EBADMSG;
    if (m->cursor.flags & (SPICE_CURSOR_FLAG_NONE | SPICE_CURSOR_FLAG_FROM_CACHE))
        return 0;
    need = spice_cursor_data_size(m->cursor.header.type, m->cursor.header.width,
                                  m->cursor.header.height);
    if (need && m->cursor.data_len < need)
        return -EBADMSG;
    return 0;
}

int spice_cursor_init_parse(const uint8_t *body, size_t len, struct spice_cursor_msg *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    spice_point16_get(&r, &m->position);
    m->trail_length = floe_get_u16(&r);
    m->trail_frequency = floe_get_u16(&r);
    return cursor_msg_tail(&r, m);
}

int spice_cursor_set_parse(const uint8_t *body, size_t len, struct spice_cursor_msg *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    spice_point16_get(&r, &m->position);
    m->trail_length = 0;
    m->trail_frequency = 0;
    return cursor_msg_tail(&r, m);
}

static void cursor_msg_put(struct floe_wbuf *w, const struct spice_cursor_msg *m, int init)
{
    spice_point16_put(w, &m->position);
    if (init) {
        floe_put_u16(w, m->trail_length);
        floe_put_u16(w, m->trail_frequency);
    }
    floe_put_u8(w, m->visible);
    spice_cursor_put(w, m->cursor.flags, &m->cursor.header, m->cursor.data, m->cursor.data_len);
}

void spice_cursor_init_put(struct floe_wbuf *w, const struct spice_cursor_msg *m)
{
    cursor_msg_put(w, m, 1);
}

void spice_cursor_set_put(struct floe_wbuf *w, const struct spice_cursor_msg *m)
{
    cursor_msg_put(w, m, 0);
}

size_t spice_cursor_data_size(uint8_t type, uint16_t w, uint16_t h)
{
    switch (type) {
    case SPICE_CURSOR_TYPE_ALPHA:
        return (size_t)w * h * 4;
    case FLOE_SPICE_CURSOR_TYPE_MONO:
        return 2 * (((size_t)w + 7) / 8) * h;
    default:
        return 0;
    }
}
