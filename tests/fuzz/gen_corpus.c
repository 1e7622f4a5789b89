/* Writes the fuzz seed corpus (tests/fuzz/corpus/<target>/): a few valid
 * messages from floe's encoders and from the reference capture. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "protocol/spice/draw.h"
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

/* CHANNELS_LIST as the reference sent it, without its header */
static void channels_seed(void)
{
    uint8_t b[sizeof(cap_channels_list) - 6 + 2] = { 4, 0 };

    memcpy(b + 2, cap_channels_list + 6, sizeof(cap_channels_list) - 6);
    save("display", "capture_channels_list", b, sizeof(b));
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
    return 0;
}
