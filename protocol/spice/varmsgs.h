/* Decoders for the variable-length server messages a SPICE client reads that
 * messages.h and draw.h do not cover: sub-message lists, NOTIFY, NAME,
 * INVAL_LIST, MONITORS_CONFIG, the cursor channel and SURFACE images. */
#ifndef FLOE_SPICE_VARMSGS_H
#define FLOE_SPICE_VARMSGS_H

#include "protocol/spice/draw.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* One entry of a SpiceSubMessageList: {type u16, size u32, body}. */
struct spice_sub_message {
    uint16_t type;
    const uint8_t *body;
    uint32_t len;
};

/* Reads the count of a sub-message list at `list_at` of `body` (the u16
 * before the u32 offsets). 0 or -EBADMSG. */
int spice_sub_list_count(const uint8_t *body, size_t len, size_t list_at, uint16_t *count);
/* Fills `out` with sub-message i of that list; its body points into `body`.
 * 0 or -EBADMSG. */
int spice_sub_list_get(const uint8_t *body, size_t len, size_t list_at, uint16_t i,
                       struct spice_sub_message *out);

struct spice_notify {
    uint64_t time_stamp;
    uint32_t severity, visibility, what;
    const uint8_t *text; /* not NUL-terminated */
    uint32_t text_len;
};
int spice_notify_parse(const uint8_t *body, size_t len, struct spice_notify *n);

/* MAIN NAME: `name` points into body, `name_len` bytes (may hold a NUL). */
int spice_name_parse(const uint8_t *body, size_t len, const uint8_t **name, uint32_t *name_len);

/* INVAL_LIST: `count` resources (resource_id: {type u8, id u64}); read each
 * with spice_resource_at. */
int spice_inval_list_parse(const uint8_t *body, size_t len, uint16_t *count,
                           const uint8_t **items);
void spice_resource_at(const uint8_t *items, uint16_t i, uint8_t *type, uint64_t *id);
/* Writes an INVAL_LIST of `count` resources of one type (e.g. SPICE_RES_TYPE_PIXMAP). */
void spice_inval_list_put(struct floe_wbuf *w, uint8_t type, const uint64_t *ids, uint16_t count);

/* MONITORS_CONFIG: `count` heads of SPICE_SIZE_monitor_head bytes. */
int spice_monitors_config_parse(const uint8_t *body, size_t len, uint16_t *count,
                                uint16_t *max_allowed, const uint8_t **heads);
void spice_monitor_head_at(const uint8_t *heads, uint16_t i, struct spice_monitor_head *h);

/* A SURFACE image (type 104): the id of the surface it names. 0 or -EBADMSG. */
int spice_image_surface_parse(const uint8_t *body, size_t len, uint32_t offset,
                              uint32_t *surface_id);

/* Cursor type MONO (enums.h lists only ALPHA): AND mask then XOR mask,
 * 1 bit per pixel, rows padded to bytes. */
#define FLOE_SPICE_CURSOR_TYPE_MONO 1

/* CURSOR INIT and SET share a shape; trail fields are 0 for SET. */
struct spice_cursor_msg {
    struct spice_point16 position;
    uint16_t trail_length, trail_frequency;
    uint8_t visible;
    struct spice_cursor cursor;
};
int spice_cursor_init_parse(const uint8_t *body, size_t len, struct spice_cursor_msg *m);
int spice_cursor_set_parse(const uint8_t *body, size_t len, struct spice_cursor_msg *m);
/* Write INIT (with the trail fields) and SET (without): position, visible,
 * then m->cursor as spice_cursor_put writes it (its data and data_len). */
void spice_cursor_init_put(struct floe_wbuf *w, const struct spice_cursor_msg *m);
void spice_cursor_set_put(struct floe_wbuf *w, const struct spice_cursor_msg *m);
/* Bytes of cursor pixel data a type needs at w x h, 0 if the type is unknown. */
size_t spice_cursor_data_size(uint8_t type, uint16_t w, uint16_t h);

#pragma GCC visibility pop

#endif
