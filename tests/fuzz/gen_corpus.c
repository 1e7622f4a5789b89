/* Writes the fuzz seed corpus (tests/fuzz/corpus/<target>/): a few valid
 * messages from floe's encoders and from the reference capture. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "protocol/spice/draw.h"
#include "protocol/spice/stream.h"
#include "tests/unit/data/seabios_capture.h"

static const char *root;

static void save(const char *target, const char *name, const void *p, size_t n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
    f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* display seeds start with the u16 selector of fuzz_display.c */
static void save_display(const char *name, uint16_t kind, const struct floe_wbuf *w)
{
    uint8_t *buf = malloc(w->len + 2);

    if (!buf || w->failed)
        exit(1);
    buf[0] = (uint8_t)kind;
    buf[1] = (uint8_t)(kind >> 8);
    memcpy(buf + 2, w->data, w->len);
    save("display", name, buf, w->len + 2);
    free(buf);
}

static void link_seeds(void)
{
    struct spice_link_mess m = { .connection_id = 7, .channel_type = SPICE_CHANNEL_INPUTS };
    struct spice_caps caps = { { 0x0b }, { 0, 2 } };
    uint8_t key[SPICE_TICKET_PUBKEY_BYTES] = { 0x30, 0x81, 0x9f };
    struct floe_wbuf w;

    save("link", "capture_main_mess", cap_main_link_mess, sizeof(cap_main_link_mess));
    save("link", "capture_display_mess", cap_display_link_mess, sizeof(cap_display_link_mess));
    save("link", "capture_display_reply", cap_display_link_reply, sizeof(cap_display_link_reply));
    floe_wbuf_init(&w, 0);
    spice_link_mess_write(&w, &m, &caps);
    save("link", "mess_two_words", w.data, w.len);
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_link_reply_write(&w, SPICE_LINK_ERR_OK, key, &caps);
    save("link", "reply_ok", w.data, w.len);
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_link_reply_write(&w, SPICE_LINK_ERR_PERMISSION_DENIED, NULL, NULL);
    save("link", "reply_error", w.data, w.len);
    floe_wbuf_free(&w);
}

static void draw_seeds(void)
{
    static const struct spice_rect clip[2] = { { 0, 0, 4, 4 }, { 2, 2, 8, 8 } };
    struct spice_display_base none = { 0, { 0, 0, 8, 8 }, { SPICE_CLIP_NONE, 0, NULL } };
    struct spice_display_base rects = { 0, { 0, 0, 8, 8 }, { SPICE_CLIP_RECTS, 2, NULL } };
    struct spice_point src = { 1, 2 };
    uint8_t px[4 * 3 * 4];
    struct floe_wbuf w;

    for (size_t i = 0; i < sizeof(px); i++)
        px[i] = (uint8_t)(i * 13);
    floe_wbuf_init(&w, 0);
    spice_draw_fill_put(&w, &none, NULL, 0xff0000);
    save_display("fill_none", 0, &w);
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_draw_fill_put(&w, &rects, clip, 0x00ff00);
    save_display("fill_rects", 0, &w);
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_draw_copy_bitmap_put(&w, 0, &rects, clip, 5, 4, 3, px, 16);
    save_display("copy_bitmap", 1, &w);
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_copy_bits_put(&w, &rects, clip, src);
    save_display("copy_bits", 2, &w);
    floe_wbuf_free(&w);
}

/* The captured DRAW_COPY's head with data_size cut to the LZ header it holds. */
static void capture_copy_seed(void)
{
    uint8_t b[sizeof(cap_draw_copy_head) - 6 + 2] = { 1, 0 };
    const size_t size_at = 2 + 57 + 18;

    memcpy(b + 2, cap_draw_copy_head + 6, sizeof(cap_draw_copy_head) - 6);
    floe_wr_le32(b + size_at, (uint32_t)(sizeof(b) - size_at - 4));
    save("display", "capture_copy_lz", b, sizeof(b));
}

static void cursor_seeds(void)
{
    struct spice_cursor_header h = { 1, SPICE_CURSOR_TYPE_ALPHA, 2, 2, 0, 0 };
    struct spice_point16 pos = { 10, 20 };
    uint8_t px[16] = { 0xff, 0, 0, 0xff };
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    spice_point16_put(&w, &pos);
    floe_put_u8(&w, 1);
    spice_cursor_put(&w, SPICE_CURSOR_FLAG_CACHE_ME, &h, px, sizeof(px));
    save_display("cursor_alpha", 3, &w);
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_point16_put(&w, &pos);
    floe_put_u8(&w, 0);
    spice_cursor_put(&w, SPICE_CURSOR_FLAG_NONE, NULL, NULL, 0);
    save_display("cursor_none", 3, &w);
    floe_wbuf_free(&w);
}

static void stream_seeds(void)
{
    static const uint8_t *parts[] = { cap_display_set_ack, cap_display_inval_all_palettes,
                                      cap_surface_create, cap_monitors_config, cap_display_mark };
    static const size_t sizes[] = { sizeof(cap_display_set_ack),
                                    sizeof(cap_display_inval_all_palettes),
                                    sizeof(cap_surface_create), sizeof(cap_monitors_config),
                                    sizeof(cap_display_mark) };
    struct spice_display_base none = { 0, { 0, 0, 8, 8 }, { SPICE_CLIP_NONE, 0, NULL } };
    struct spice_point src = { 1, 2 };
    uint8_t px[2 * 2 * 4] = { 1, 2, 3, 4 };
    struct floe_wbuf w;
    size_t at;

    floe_wbuf_init(&w, 0);
    floe_put_u8(&w, 1); /* mini headers, as the reference server sends them */
    for (size_t i = 0; i < 5; i++)
        floe_put_bytes(&w, parts[i], sizes[i]);
    at = spice_header_put(&w, 1, SPICE_MSG_DISPLAY_DRAW_COPY, 0);
    spice_draw_copy_bitmap_put(&w, w.len, &none, NULL, 9, 2, 2, px, 8);
    spice_header_finish(&w, 1, at);
    save_display("stream_capture_mini", 5, &w);
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 0);
    floe_put_u8(&w, 0); /* full data headers */
    at = spice_header_put(&w, 0, SPICE_MSG_DISPLAY_DRAW_FILL, 1);
    spice_draw_fill_put(&w, &none, NULL, 0x123456);
    spice_header_finish(&w, 0, at);
    at = spice_header_put(&w, 0, SPICE_MSG_DISPLAY_COPY_BITS, 2);
    spice_copy_bits_put(&w, &none, NULL, src);
    spice_header_finish(&w, 0, at);
    save_display("stream_full_headers", 5, &w);
    floe_wbuf_free(&w);
}

/* draw and stream seeds start with the selector byte of fuzz_draw.c or
 * fuzz_stream.c; `w` is emptied for the next seed */
static void save_selected(const char *target, const char *name, uint8_t kind,
                          struct floe_wbuf *w)
{
    uint8_t *buf = malloc(w->len + 1);

    if (!buf || w->failed)
        exit(1);
    buf[0] = kind;
    memcpy(buf + 1, w->data, w->len);
    save(target, name, buf, w->len + 1);
    free(buf);
    floe_wbuf_free(w);
    floe_wbuf_init(w, 0);
}

static void save_draw(const char *name, uint8_t kind, struct floe_wbuf *w)
{
    save_selected("draw", name, kind, w);
}

/* One message of each kind fuzz_draw.c decodes, with its images (a 1-bit
 * mask, a cached pattern, a BITMAP with a palette), path and glyphs. */
static void draw_kind_seeds(void)
{
    static const uint8_t mask_px[2] = { 0xa0, 0x40 };
    static const uint8_t src_px[8] = { 0, 1, 1, 0, 1, 0, 0, 1 };
    static const uint8_t pal[8] = { 0x10, 0x20, 0x30, 0, 0x40, 0x50, 0x60, 0 };
    static const uint8_t dashes[8] = { 16, 0, 0, 0, 32, 0, 0, 0 };
    static const struct spice_point pts[3] = { { 0, 0 }, { 160, 16 }, { 32, -48 } };
    static const struct spice_rect clip = { 0, 0, 4, 4 };
    struct spice_display_base base = { 0, { 0, 0, 8, 8 }, { SPICE_CLIP_RECTS, 1, NULL } };
    struct spice_image mask = {
        .desc = { 1, SPICE_IMAGE_BITMAP, 0, 3, 2 },
        .bitmap = { SPICE_BITMAP_1BIT_BE, SPICE_BITMAP_TOP_DOWN, 3, 2, 1, 0 },
        .data = mask_px, .data_len = 2,
    };
    struct spice_image src = { .desc = { 2, SPICE_IMAGE_BITMAP, 0, 4, 2 },
                               .bitmap = { SPICE_BITMAP_8BIT, 0, 4, 2, 4, 0 },
                               .data = src_px, .data_len = 8, .palette_id = 7,
                               .palette = pal, .palette_len = 2 };
    struct spice_image cached = { .desc = { 3, SPICE_IMAGE_FROM_CACHE, 0, 4, 4 } };
    struct spice_brush pattern = { SPICE_BRUSH_PATTERN, 0, 0, { 1, 1 }, cached };
    struct spice_brush solid = { .type = SPICE_BRUSH_SOLID, .color = 0x00ff8000 };
    struct spice_mask with_mask = { SPICE_MASK_FLAGS_INVERS, { 2, 2 }, 1, mask };
    struct spice_rect area = { 0, 0, 2, 4 };
    struct spice_glyph glyph = { { 1, 8 }, { 0, -6 }, 3, 2, mask_px, 2 };
    struct floe_wbuf w, tmp;

    floe_wbuf_init(&w, 0);
    spice_draw_fill_brush_put(&w, 0, &(struct spice_draw_fill){ base, pattern, 8, with_mask },
                              &clip);
    save_draw("fill_pattern_mask", 0, &w);
    spice_draw_opaque_put(&w, 0, &(struct spice_draw_opaque){ base, 0, area, solid, 8, 1,
                                                               with_mask, src }, &clip);
    save_draw("opaque", 1, &w);
    spice_draw_copy_put(&w, 0, &(struct spice_draw_copy){ base, 0, area, 8, 1, with_mask, src },
                        &clip);
    save_draw("copy_mask", 2, &w);
    spice_draw_mask_only_put(&w, 0, &(struct spice_draw_mask_only){ base, with_mask }, &clip);
    save_draw("invers_mask", 3, &w);
    spice_draw_rop3_put(&w, 0, &(struct spice_draw_rop3){ base, 0, area, pattern, 0xb8, 0,
                                                           with_mask, cached }, &clip);
    save_draw("rop3", 4, &w);

    floe_wbuf_init(&tmp, 0);
    spice_path_seg_put(&tmp, SPICE_PATH_BEGIN, 2, pts);
    spice_path_seg_put(&tmp, SPICE_PATH_END | SPICE_PATH_BEZIER, 3, pts);
    spice_draw_stroke_put(&w, 0, &(struct spice_draw_stroke){
                              base, 0, { 2, tmp.data, tmp.len },
                              { SPICE_LINE_FLAGS_STYLED, 2, 0, dashes }, solid, 8, 8 }, &clip);
    save_draw("stroke", 5, &w);
    floe_wbuf_free(&tmp);

    floe_wbuf_init(&tmp, 0);
    spice_glyph_put(&tmp, &glyph);
    glyph.render_pos.x = 5;
    spice_glyph_put(&tmp, &glyph);
    spice_draw_text_put(&w, 0, &(struct spice_draw_text){
                            base, 0, { 2, SPICE_STRING_FLAGS_RASTER_A1, tmp.data, tmp.len },
                            area, solid, pattern, 8, 8 }, &clip);
    save_draw("text", 6, &w);
    floe_wbuf_free(&tmp);

    spice_draw_transparent_put(&w, 0, &(struct spice_draw_transparent){
                                   base, 0, area, 0xff00ff, 0xff00ff, src }, &clip);
    save_draw("transparent", 7, &w);
    spice_draw_alpha_blend_put(&w, 0, &(struct spice_draw_alpha_blend){
                                   base, SPICE_ALPHA_FLAGS_DEST_HAS_ALPHA, 0x80, 0, area, src },
                               &clip);
    save_draw("alpha_blend", 8, &w);
    spice_draw_composite_put(&w, 0, &(struct spice_draw_composite){
                                 base, 3 | SPICE_COMPOSITE_HAS_MASK |
                                 SPICE_COMPOSITE_HAS_SRC_TRANSFORM |
                                 SPICE_COMPOSITE_HAS_MASK_TRANSFORM, 0, 0,
                                 { 1 << 16, 0, 0, 0, 1 << 16, 0 }, { 1 << 16, 0, 2, 0, 1 << 16, 3 },
                                 { 0, 0 }, { 1, 1 }, src, cached }, &clip);
    save_draw("composite", 9, &w);
    floe_wbuf_free(&w);
}

/* One of each video stream message fuzz_stream.c decodes (selectors in
 * its order): a clipped H264 stream, a plain and a sized frame, a new clip,
 * its end, a report asked for and given, the multimedia clock. */
static void video_stream_seeds(void)
{
    static const uint8_t frame[6] = { 0xff, 0xd8, 0xff, 0xe0, 0xff, 0xd9 };
    static const struct spice_rect clip[2] = { { 0, 0, 90, 160 }, { 90, 0, 180, 100 } };
    struct spice_stream_create create = {
        0, 3, SPICE_STREAM_FLAGS_TOP_DOWN, SPICE_VIDEO_CODEC_TYPE_H264, 0x1234,
        320, 180, 160, 180, { 0, 0, 180, 160 }, { SPICE_CLIP_RECTS, 2, NULL } };
    struct spice_stream_data plain = { .id = 3, .mm_time = 40000, .data = frame,
                                       .data_size = sizeof(frame) };
    struct spice_stream_data sized = { 3, 40040, 1, 320, 180, { 0, 0, 180, 160 },
                                       frame, sizeof(frame) };
    struct spice_stream_activate_report activate = { 3, 77, 30, 500 };
    struct spice_stream_report report = { 3, 77, 40000, 41000, 25, 1, -20, 0xffffffffu };
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    spice_stream_create_put(&w, &create, clip);
    save_selected("stream", "create_clipped", 0, &w);
    spice_stream_data_put(&w, &plain);
    save_selected("stream", "data", 1, &w);
    spice_stream_data_put(&w, &sized);
    save_selected("stream", "data_sized", 2, &w);
    spice_stream_clip_put(&w, &(struct spice_stream_clip){ 3, { SPICE_CLIP_RECTS, 1, NULL } },
                          clip);
    save_selected("stream", "clip", 3, &w);
    spice_stream_destroy_put(&w, 3);
    save_selected("stream", "destroy", 4, &w);
    spice_stream_activate_report_put(&w, &activate);
    save_selected("stream", "activate_report", 5, &w);
    spice_stream_report_put(&w, &report);
    save_selected("stream", "report", 6, &w);
    spice_multi_media_time_put(&w, 40000);
    save_selected("stream", "multi_media_time", 7, &w);
    floe_wbuf_free(&w);
}

/* CHANNELS_LIST as the reference sent it, without its header */
static void channels_seed(void)
{
    uint8_t b[sizeof(cap_channels_list) - 6 + 2] = { 4, 0 };

    memcpy(b + 2, cap_channels_list + 6, sizeof(cap_channels_list) - 6);
    save("display", "capture_channels_list", b, sizeof(b));
}

/* ---- fuzz_agent: the agent port's stream, after a piece-size byte and a
 * switches byte (see fuzz_agent.c) ---- */
static void agent_msg(struct floe_wbuf *w, uint32_t port, uint32_t type, const struct floe_wbuf *b)
{
    struct spice_vd_agent_header h = { .protocol = VD_AGENT_PROTOCOL, .type = type,
                                       .size = (uint32_t)b->len };
    size_t all = SPICE_SIZE_vd_agent_header + b->len;
    uint8_t *m = malloc(all);
    struct floe_wbuf hw;

    floe_wbuf_init(&hw, 0);
    spice_vd_agent_header_put(&hw, &h);
    memcpy(m, hw.data, hw.len);
    memcpy(m + hw.len, b->data, b->len);
    for (size_t at = 0; at < all; at += VD_AGENT_MAX_DATA_SIZE) {
        size_t k = all - at < VD_AGENT_MAX_DATA_SIZE ? all - at : VD_AGENT_MAX_DATA_SIZE;
        struct spice_vdi_chunk_header ch = { .port = port, .size = (uint32_t)k };
        spice_vdi_chunk_header_put(w, &ch);
        floe_put_bytes(w, m + at, k);
    }
    free(m);
    floe_wbuf_free(&hw);
}

static void agent_seed(const char *name, uint8_t piece, uint8_t sw, struct floe_wbuf *w)
{
    uint8_t *buf = malloc(w->len + 2);

    buf[0] = piece;
    buf[1] = sw;
    memcpy(buf + 2, w->data, w->len);
    save("agent", name, buf, w->len + 2);
    free(buf);
    floe_wbuf_free(w);
    floe_wbuf_init(w, 0);
}

static void agent_caps(struct floe_wbuf *w)
{
    struct floe_wbuf b;

    floe_wbuf_init(&b, 0);
    spice_vd_agent_announce_capabilities_put(&b, &(struct spice_vd_agent_announce_capabilities){ 1 });
    floe_put_u32(&b, 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND | 1u << VD_AGENT_CAP_CLIPBOARD_SELECTION |
                     1u << VD_AGENT_CAP_MAX_CLIPBOARD | 1u << VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS);
    agent_msg(w, VDP_CLIENT_PORT, VD_AGENT_ANNOUNCE_CAPABILITIES, &b);
    floe_wbuf_free(&b);
}

static void agent_seeds(void)
{
    struct floe_wbuf w, b;
    static const char kf[] = "[vdagent-file-xfer]\nname=seed.txt\nsize=5\n";

    floe_wbuf_init(&w, 0);
    floe_wbuf_init(&b, 0);
    agent_caps(&w);
    spice_vd_agent_monitors_config_put(&b, &(struct spice_vd_agent_monitors_config){
        2, VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE });
    spice_vd_agent_mon_config_put(&b, &(struct spice_vd_agent_mon_config){ 768, 1024, 32, 0, 0 });
    spice_vd_agent_mon_config_put(&b, &(struct spice_vd_agent_mon_config){ 600, 800, 32, 1024, 0 });
    spice_vd_agent_monitor_mm_put(&b, &(struct spice_vd_agent_monitor_mm){ 200, 300 });
    spice_vd_agent_monitor_mm_put(&b, &(struct spice_vd_agent_monitor_mm){ 150, 250 });
    agent_msg(&w, VDP_CLIENT_PORT, VD_AGENT_MONITORS_CONFIG, &b);
    b.len = 0;
    spice_vd_agent_mouse_state_put(&b, &(struct spice_vd_agent_mouse_state){ 10, 20, 2, 0 });
    agent_msg(&w, VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, &b);
    agent_seed("monitors_mouse", 0, 0, &w);

    agent_caps(&w);
    b.len = 0;
    spice_vd_agent_clipboard_selection_put(&b, &(struct spice_vd_agent_clipboard_selection){ 0 });
    floe_put_u32(&b, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    agent_msg(&w, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD_GRAB, &b);
    agent_msg(&w, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD_REQUEST, &b);
    for (int i = 0; i < 3000; i++)
        floe_put_u8(&b, (uint8_t)('a' + i % 26));
    agent_msg(&w, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, &b);
    b.len = 4;
    agent_msg(&w, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD_RELEASE, &b);
    b.len = 0;
    spice_vd_agent_max_clipboard_put(&b, &(struct spice_vd_agent_max_clipboard){ 1000 });
    agent_msg(&w, VDP_CLIENT_PORT, VD_AGENT_MAX_CLIPBOARD, &b);
    agent_seed("clipboard", 61, 3, &w);

    agent_caps(&w);
    b.len = 0;
    spice_vd_agent_file_xfer_start_put(&b, &(struct spice_vd_agent_file_xfer_start){ 1 });
    floe_put_bytes(&b, kf, sizeof(kf));
    agent_msg(&w, VDP_CLIENT_PORT, VD_AGENT_FILE_XFER_START, &b);
    b.len = 0;
    spice_vd_agent_file_xfer_data_put(&b, &(struct spice_vd_agent_file_xfer_data){ 1, 5 });
    floe_put_bytes(&b, "hello", 5);
    agent_msg(&w, VDP_CLIENT_PORT, VD_AGENT_FILE_XFER_DATA, &b);
    b.len = 0;
    agent_msg(&w, VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, &b);
    agent_seed("file_xfer", 7, 0, &w);
    floe_wbuf_free(&b);
    floe_wbuf_free(&w);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    root = argv[1];
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        perror(root);
        return 1;
    }
    link_seeds();
    draw_seeds();
    capture_copy_seed();
    cursor_seeds();
    stream_seeds();
    channels_seed();
    draw_kind_seeds();
    video_stream_seeds();
    agent_seeds();
    return 0;
}
