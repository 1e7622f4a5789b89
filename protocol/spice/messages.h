/* SPICE 2.2 messages, each described once. Fixed-layout messages are listed
 * as field tables below; the struct, the wire size, the encoder and the
 * decoder of each are generated from its table. Messages with variable parts
 * (pointers, lists, images) are written out in draw.h and by hand here. */
#ifndef FLOE_SPICE_MESSAGES_H
#define FLOE_SPICE_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/spice/enums.h"
#include "protocol/spice/wire.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

typedef uint8_t floe_u8_t;
typedef uint16_t floe_u16_t;
typedef uint32_t floe_u32_t;
typedef uint64_t floe_u64_t;
typedef int16_t floe_i16_t;
typedef int32_t floe_i32_t;


/* name, fields as F(type, field) */
#define SPICE_FIXED_MESSAGES(M) \
    M(link_header,   F(u32, magic) F(u32, major) F(u32, minor) F(u32, size)) \
    M(link_mess,     F(u32, connection_id) F(u8, channel_type) F(u8, channel_id) \
                     F(u32, num_common_caps) F(u32, num_channel_caps) F(u32, caps_offset)) \
    M(link_result,   F(u32, error)) \
    M(auth_mechanism, F(u32, mechanism)) \
    M(data_header,   F(u64, serial) F(u16, type) F(u32, size) F(u32, sub_list)) \
    M(mini_header,   F(u16, type) F(u32, size)) \
    M(set_ack,       F(u32, generation) F(u32, window)) \
    M(ping,          F(u32, id) F(u64, timestamp)) \
    M(ack_sync,      F(u32, generation)) \
    M(disconnecting, F(u64, time_stamp) F(u32, reason)) \
    M(main_init,     F(u32, session_id) F(u32, display_channels_hint) \
                     F(u32, supported_mouse_modes) F(u32, current_mouse_mode) \
                     F(u32, agent_connected) F(u32, agent_tokens) \
                     F(u32, multi_media_time) F(u32, ram_hint)) \
    M(mouse_mode,    F(u16, supported_modes) F(u16, current_mode)) \
    M(mouse_mode_request, F(u16, mode)) \
    M(agent_start,   F(u32, num_tokens)) \
    M(agent_token,   F(u32, num_tokens)) \
    M(agent_connected_tokens, F(u32, num_tokens)) \
    M(agent_disconnected, F(u32, error_code)) \
    M(vd_agent_header, F(u32, protocol) F(u32, type) F(u64, opaque) F(u32, size)) \
    M(vd_agent_monitors_config, F(u32, num_of_monitors) F(u32, flags)) \
    M(vd_agent_mon_config, F(u32, height) F(u32, width) F(u32, depth) F(i32, x) F(i32, y)) \
    /* the guest agent's side: its port carries chunks, each a header and \
     * `size` bytes of the messages of one port, cut anywhere */ \
    M(vdi_chunk_header, F(u32, port) F(u32, size)) \
    /* after a MONITORS_CONFIG's monitors, when flagged PHYSICAL_SIZE */ \
    M(vd_agent_monitor_mm, F(u16, height) F(u16, width)) \
    M(vd_agent_mouse_state, F(u32, x) F(u32, y) F(u32, buttons) F(u8, display_id)) \
    M(vd_agent_reply, F(u32, type) F(u32, error)) \
    M(vd_agent_display_config, F(u32, flags) F(u32, depth)) \
    /* then the capability words */ \
    M(vd_agent_announce_capabilities, F(u32, request)) \
    /* first in CLIPBOARD, GRAB, REQUEST and RELEASE when both sides have \
     * CLIPBOARD_SELECTION */ \
    M(vd_agent_clipboard_selection, F(u8, selection) F(u8, reserved0) F(u16, reserved1)) \
    /* next in GRAB when both sides have CLIPBOARD_GRAB_SERIAL; then the types */ \
    M(vd_agent_clipboard_grab_serial, F(u32, serial)) \
    /* CLIPBOARD (then the data) and REQUEST */ \
    M(vd_agent_clipboard, F(u32, type)) \
    M(vd_agent_max_clipboard, F(i32, max)) \
    /* then the "[vdagent-file-xfer]" key file: name=, size= */ \
    M(vd_agent_file_xfer_start, F(u32, id)) \
    /* then, with FILE_XFER_DETAILED_ERRORS, the detail its result has */ \
    M(vd_agent_file_xfer_status, F(u32, id) F(u32, result)) \
    /* the detail of result ERROR and of NOT_ENOUGH_SPACE */ \
    M(vd_agent_file_xfer_status_error, F(u8, error_type) F(u32, error_code)) \
    M(vd_agent_file_xfer_status_no_space, F(u64, disk_free_space)) \
    /* then `size` bytes of the file */ \
    M(vd_agent_file_xfer_data, F(u32, id) F(u64, size)) \
    /* then the volume of each channel, u16 each */ \
    M(vd_agent_audio_volume_sync, F(u8, is_playback) F(u8, mute) F(u8, nchannels)) \
    /* then `count` device display infos */ \
    M(vd_agent_graphics_device_info, F(u32, count)) \
    /* then device_address_len bytes: the device's address, NUL-terminated */ \
    M(vd_agent_device_display_info, F(u32, channel_id) F(u32, monitor_id) \
                     F(u32, device_display_id) F(u32, device_address_len)) \
    M(display_init,  F(u8, pixmap_cache_id) F(u64, pixmap_cache_size) \
                     F(u8, glz_dictionary_id) F(i32, glz_dictionary_window_size)) \
    M(preferred_compression, F(u8, image_compression)) \
    M(floe_render_report, F(u32, period_ms) F(u32, draws) F(u32, busy_us)) \
    M(resource_id,   F(u8, type) F(u64, id)) \
    M(surface_create, F(u32, surface_id) F(u32, width) F(u32, height) F(u32, format) F(u32, flags)) \
    M(surface_destroy, F(u32, surface_id)) \
    M(monitor_head,  F(u32, monitor_id) F(u32, surface_id) F(u32, width) F(u32, height) \
                     F(u32, x) F(u32, y) F(u32, flags)) \
    M(stream_activate_report, F(u32, stream_id) F(u32, unique_id) F(u32, max_window_size) \
                     F(u32, timeout_ms)) \
    M(stream_report, F(u32, stream_id) F(u32, unique_id) F(u32, start_frame_mm_time) \
                     F(u32, end_frame_mm_time) F(u32, num_frames) F(u32, num_drops) \
                     F(i32, last_frame_delay) F(u32, audio_delay)) \
    M(inputs_init,   F(u16, modifiers)) \
    M(key_modifiers, F(u16, modifiers)) \
    M(cursor_inval_one, F(u64, id)) \
    M(key,           F(u32, code)) \
    M(mouse_motion,  F(i32, dx) F(i32, dy) F(u16, buttons)) \
    M(mouse_position, F(u32, x) F(u32, y) F(u16, buttons) F(u8, display_id)) \
    M(mouse_button,  F(u8, button) F(u16, buttons)) \
    M(point16,       F(i16, x) F(i16, y)) \
    M(point,         F(i32, x) F(i32, y)) \
    M(rect,          F(i32, top) F(i32, left) F(i32, bottom) F(i32, right)) \
    M(transform,     F(u32, t00) F(u32, t01) F(u32, t02) F(u32, t10) F(u32, t11) F(u32, t12)) \
    M(cursor_header, F(u64, unique) F(u8, type) F(u16, width) F(u16, height) \
                     F(u16, hot_x) F(u16, hot_y)) \
    M(image_desc,    F(u64, id) F(u8, type) F(u8, flags) F(u32, width) F(u32, height)) \
    M(bitmap,        F(u8, format) F(u8, flags) F(u32, x) F(u32, y) F(u32, stride) F(u32, palette))

#define SPICE_FIELD_DECL(t, n) floe_##t##_t n;
#define SPICE_FIELD_SIZE(t, n) + (int)sizeof(floe_##t##_t)
#define F SPICE_FIELD_DECL
#define SPICE_DECLARE(name, fields) struct spice_##name { fields };
SPICE_FIXED_MESSAGES(SPICE_DECLARE)
#undef SPICE_DECLARE
#undef F

#define F SPICE_FIELD_SIZE
#define SPICE_DECLARE(name, fields) SPICE_SIZE_##name = 0 fields,
enum spice_fixed_sizes { SPICE_FIXED_MESSAGES(SPICE_DECLARE) };
#undef SPICE_DECLARE
#undef F

/* where flags sits in a written image_desc (after id u64 and type u8), for
 * setting CACHE_ME in an image already written */
#define SPICE_IMAGE_DESC_FLAGS_AT 9

#define SPICE_DECLARE(name, fields) \
    void spice_##name##_put(struct floe_wbuf *w, const struct spice_##name *m); \
    void spice_##name##_get(struct floe_rbuf *r, struct spice_##name *m);
SPICE_FIXED_MESSAGES(SPICE_DECLARE)
#undef SPICE_DECLARE

/* Capability words as a peer sent them (only the first words are kept:
 * floe knows no capability past bit 255). */
#define SPICE_CAPS_WORDS 8
struct spice_caps {
    uint32_t common[SPICE_CAPS_WORDS];
    uint32_t channel[SPICE_CAPS_WORDS];
};
int spice_caps_has(const uint32_t *words, unsigned cap);
void spice_caps_set(uint32_t *words, unsigned cap);
/* Number of words needed to hold every set bit of `words`. */
uint32_t spice_caps_count(const uint32_t *words);

/* ---- link ---- */
#define SPICE_LINK_MAX_SIZE 4096u
#define SPICE_LINK_MAX_CAPS 1024u
#define SPICE_LINK_REPLY_SIZE 178u

/* Checks a link header; returns a spice_link_err. */
int spice_link_header_check(const struct spice_link_header *h);
/* Parses a SpiceLinkMess body of `len` bytes; returns a spice_link_err. */
int spice_link_mess_parse(const uint8_t *body, size_t len, struct spice_link_mess *m,
                          struct spice_caps *caps);
/* Writes header + SpiceLinkMess + caps (the client's first bytes). */
void spice_link_mess_write(struct floe_wbuf *w, const struct spice_link_mess *m,
                           const struct spice_caps *caps);
/* Writes header + SpiceLinkReply + caps; on error only the error is set. */
void spice_link_reply_write(struct floe_wbuf *w, uint32_t error,
                            const uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES],
                            const struct spice_caps *caps);
/* Parses a SpiceLinkReply body; pubkey points into `body`. Returns a
 * spice_link_err for malformed data or the reply's own error. */
int spice_link_reply_parse(const uint8_t *body, size_t len, const uint8_t **pubkey,
                           struct spice_caps *caps);

/* ---- data headers ---- */
struct spice_msg_header {
    uint16_t type;
    uint32_t size;
    uint64_t serial;     /* 0 with mini headers */
    uint32_t sub_list;   /* 0 with mini headers */
};
/* Parses a data header at the start of `buf`. Returns the header's length,
 * 0 if more bytes are needed. */
size_t spice_header_parse(const uint8_t *buf, size_t len, int mini, struct spice_msg_header *h);
/* Appends a header; returns the offset of its size field for patching. */
size_t spice_header_put(struct floe_wbuf *w, int mini, uint16_t type, uint64_t serial);
/* Patches the size field written by spice_header_put to the bytes since. */
void spice_header_finish(struct floe_wbuf *w, int mini, size_t size_at);

/* ---- main channel lists ---- */
struct spice_channel_id { uint8_t type, id; };
void spice_channels_list_put(struct floe_wbuf *w, const struct spice_channel_id *ids, uint32_t n);
/* Fills up to `max` ids; returns the count or -1 on bad input. */
int spice_channels_list_get(struct floe_rbuf *r, struct spice_channel_id *ids, uint32_t max);
void spice_name_put(struct floe_wbuf *w, const char *name);
/* MAIN UUID: 16 bytes, as they are */
#define SPICE_UUID_BYTES 16
void spice_uuid_put(struct floe_wbuf *w, const uint8_t uuid[SPICE_UUID_BYTES]);
/* 0, or -EBADMSG when fewer than 16 bytes came */
int spice_uuid_get(struct floe_rbuf *r, uint8_t uuid[SPICE_UUID_BYTES]);
/* An INPUTS KEY_DOWN/KEY_UP code as a PC XT set-1 scancode: SPICE packs it
 * low byte first, 0xE0 then the code for extended keys (0x80 set on the
 * code for a release); an extended key comes back as 0xE0xx. */
uint32_t spice_key_scancode(uint32_t code);

/* ---- display: monitors ---- */
void spice_monitors_config_put(struct floe_wbuf *w, const struct spice_monitor_head *heads,
                               uint16_t count, uint16_t max_allowed);

#pragma GCC visibility pop

#endif
