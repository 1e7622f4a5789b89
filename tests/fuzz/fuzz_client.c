/* libFuzzer target for libfloe-client's read path: framing, common messages,
 * display/cursor/inputs/main handlers (the guest agent's messages in MAIN
 * AGENT_DATA included), canvas drawing. Input: a selector byte (bits 0-1
 * channel: display, cursor, inputs; bit 2 full headers; bit 3 the MAIN
 * channel instead), then the server's message stream. */
#include <stdlib.h>
#include <string.h>
#include "client/internal.h"
#include "client/display.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The channel's owner: the fuzzed channel only reports to it, and no other
 * channel is linked. */
static void owner_emit(struct floe_client *c, enum floe_client_event ev)
{
}

static void owner_wake(struct floe_client *c)
{
}

static void owner_error(struct floe_client *c, const char *reason)
{
}

static int owner_open(struct floe_client *c, uint8_t type, uint8_t id)
{
    return -1;
}

static const struct fcli_chan_owner owner = {
    .emit_fn = owner_emit,
    .wake_fn = owner_wake,
    .error_fn = owner_error,
    .open_fn = owner_open,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct fcli_chan_ops *ops[] = { &fcli_display_ops, &fcli_cursor_ops, &fcli_inputs_ops };
    static const uint8_t types[] = { 2, 4, 3 };
    struct floe_client_options o = { .host = "127.0.0.1", .port = 1, .pixmap_cache_bytes = 1 << 22 };
    struct fcli_link_reply rep = { .fd = -1, .mini = 1 };
    struct floe_client *c;
    struct fcli_chan *ch;
    size_t pos = 1;
    int k;

    if (size < 1)
        return 0;
    k = data[0] % 3;
    rep.mini = !((data[0] >> 2) & 1);
    c = floe_client_new(&o);
    if (data[0] & 8) {
        k = 3;
        ch = fcli_chan_new(c, &owner, &fcli_main_ops, SPICE_CHANNEL_MAIN, 0, &rep);
        c->chans[FLOE_CHAN_MAIN] = ch;
    } else {
        ch = fcli_chan_new(c, &owner, ops[k], types[k], 0, &rep);
        c->chans[k + 1] = ch;
    }
    atomic_store(&c->inputs_ready, 1);
    while (pos < size) {
        size_t used;
        if (fcli_chan_handle_bytes(ch, data + pos, size - pos, &used) || !used)
            break;
        pos += used;
    }
    if (k == 0) {
        struct floe_client_canvas cv;
        floe_client_canvas_lock(c, &cv);
        floe_client_canvas_unlock(c);
    } else if (k == 1) {
        struct floe_client_cursor cur;
        floe_client_cursor_get(c, &cur, 0);
        free(cur.argb);
    } else if (k == 3) {
        void *clip;
        size_t len;
        int type;

        if (floe_client_clipboard_get(c, 0, &type, &clip, &len, NULL) == 0)
            free(clip);
        floe_client_clipboard_offer(c, 0, FLOE_CLIENT_CLIP_TEXT, "x", 1);
        fcli_agent_pump(c);
    } else {
        floe_client_key(c, 0x11c, 1);
        floe_client_mouse_position(c, 5, 5);
        floe_client_mouse_button(c, 1, 1);
    }
    floe_client_free(c);
    return 0;
}
