/* The display glue between QEMU and the server: each head's VNC feed drawn
 * into its server surface, and the server's input sent to the guest. */
#include <stdint.h>
#include <string.h>

#include "floe/server.h"
#include "common/log.h"
#include "vmhost/vm-priv.h"

/* ---- pictures: VNC feed to server ---- */

static void feed_resize(void *opaque, int w, int h)
{
    struct vm_head *head = opaque;

    head->dirty_x2 = head->dirty_x1 = 0;
    head->w = w;
    head->h = h;
    if (floe_server_surface_create(head->vm->srv, (uint32_t)head->index, w, h) < 0)
        floe_err("vm: cannot create a %dx%d surface for monitor %d", w, h, head->index + 1);
}

/* A FramebufferUpdate's rectangles (QEMU's are bands of changed 16-pixel
 * tiles, often a row of text each) go to the server as one picture, their
 * bounds, once the update is whole or before a copy: the server compares it
 * with what clients have, so that a scrolled screen is found scrolled
 * (COPY_BITS and the new rows) and only rows that differ are sent. */
static void flush_picture(struct vm_head *head)
{
    int fw, fh;
    const uint32_t *fb = head->feed ? floe_vnc_feed_pixels(head->feed, &fw, &fh) : NULL;
    struct floe_rect r = { head->dirty_x1, head->dirty_y1, head->dirty_x2 - head->dirty_x1,
                           head->dirty_y2 - head->dirty_y1 };

    head->dirty_x2 = head->dirty_x1 = 0;
    if (!fb || r.w <= 0 || r.h <= 0 || r.x + r.w > fw || r.y + r.h > fh)
        return;
    floe_server_draw_image(head->vm->srv, (uint32_t)head->index, &r,
                           fb + (size_t)r.y * fw + r.x, fw * 4);
}

static void feed_damage(void *opaque, int x, int y, int w, int h, const uint32_t *pixels,
                        int stride)
{
    struct vm_head *head = opaque;

    (void)pixels;
    (void)stride;
    if (head->dirty_x2 <= head->dirty_x1) {
        head->dirty_x1 = x;
        head->dirty_y1 = y;
        head->dirty_x2 = x + w;
        head->dirty_y2 = y + h;
        return;
    }
    head->dirty_x1 = x < head->dirty_x1 ? x : head->dirty_x1;
    head->dirty_y1 = y < head->dirty_y1 ? y : head->dirty_y1;
    head->dirty_x2 = x + w > head->dirty_x2 ? x + w : head->dirty_x2;
    head->dirty_y2 = y + h > head->dirty_y2 ? y + h : head->dirty_y2;
}

static void feed_copy(void *opaque, int src_x, int src_y, int x, int y, int w, int h)
{
    struct vm_head *head = opaque;
    struct floe_rect r = { x, y, w, h };

    flush_picture(head);
    floe_server_copy_bits(head->vm->srv, (uint32_t)head->index, src_x, src_y, &r);
}

static void feed_update(void *opaque)
{
    struct vm_head *head = opaque;

    flush_picture(head);
    head->vm->updates++;
    floe_server_frame_end(head->vm->srv);
}

static void feed_error(void *opaque, const char *message)
{
    struct vm_head *head = opaque;
    struct floe_vm *vm = head->vm;

    if (vm_state_qemu_wanted(vm->state)) {
        if (vm->cfg.monitors > 1)
            floe_warn("vm: display feed of monitor %d: %s", head->index + 1, message);
        else
            floe_warn("vm: display feed: %s", message);
    }
    floe_vnc_feed_free(head->feed);
    head->feed = NULL;
}

static const struct floe_vnc_feed_cbs feed_cbs = { feed_resize, feed_damage, feed_copy,
                                                   feed_update, feed_error };

/* Connects every head's feed: 0, or -1 when one could not be made. With
 * display = qxl there are none: clients see QEMU's own SPICE server. */
int vm_display_connect(struct floe_vm *vm)
{
    int rc = 0;

    if (vm->cfg.display == FLOE_VM_DISPLAY_QXL)
        return 0;
    for (int i = 0; i < vm->cfg.monitors; i++) {
        struct vm_head *head = &vm->heads[i];

        if (!head->feed)
            head->feed = floe_vnc_feed_new(vm->loop, head->vnc_path, &feed_cbs, head);
        if (!head->feed)
            rc = -1;
    }
    return rc;
}

void vm_display_disconnect(struct floe_vm *vm)
{
    for (int i = 0; i < FLOE_VM_MAX_MONITORS; i++) {
        floe_vnc_feed_free(vm->heads[i].feed);
        vm->heads[i].feed = NULL;
    }
}

/* Clients that come before the guest's first picture see a black screen
 * the size of QEMU's empty VGA one. */
void vm_display_init(struct floe_vm *vm)
{
    for (int i = 0; i < vm->cfg.monitors; i++) {
        vm->heads[i].w = i ? 640 : 720;
        vm->heads[i].h = i ? 480 : 400;
        floe_server_surface_create(vm->srv, (uint32_t)i, vm->heads[i].w, vm->heads[i].h);
    }
    floe_server_frame_end(vm->srv);
}

void vm_display_lost(struct floe_vm *vm, const char *why)
{
    /* SPICE's DISCONNECTING carries a link error, not text: ERROR (1) */
    floe_server_disconnect_clients(vm->srv, 1, why);
}

/* ---- input: server to the guest ---- */

/* The feed that carries keys: any head's reaches the guest's keyboard. */
static struct floe_vnc_feed *key_feed(struct floe_vm *vm)
{
    for (int i = 0; i < vm->cfg.monitors; i++)
        if (vm->heads[i].feed)
            return vm->heads[i].feed;
    return NULL;
}

/* Input changes whichever head the guest draws its answer on: every head's
 * VNC server but `sent` (which input itself nudges) is nudged. */
static void nudge_other_heads(struct floe_vm *vm, const struct floe_vnc_feed *sent)
{
    for (int i = 0; i < vm->cfg.monitors; i++)
        if (vm->heads[i].feed && vm->heads[i].feed != sent)
            floe_vnc_feed_nudge(vm->heads[i].feed);
}

static void in_key(void *opaque, uint32_t scancode, int down)
{
    struct floe_vm *vm = opaque;

    struct floe_vnc_feed *feed = key_feed(vm);

    if (feed)
        floe_vnc_feed_key(feed, scancode, down);
    nudge_other_heads(vm, feed);
}

/* An absolute position on a monitor goes through that head's VNC
 * connection. QEMU scales it to its one USB tablet's whole range, so on a
 * head other than the first it lands where the guest maps that tablet
 * (usually its whole desktop) until a guest agent places the monitors. */
static void in_pointer(void *opaque, int monitor, int x, int y, uint32_t buttons)
{
    struct floe_vm *vm = opaque;
    struct floe_vnc_feed *feed;

    if (monitor < 0 || monitor >= vm->cfg.monitors)
        return;
    vm->ptr_monitor = monitor;
    feed = vm->heads[monitor].feed;
    vm->ptr_x = x;
    vm->ptr_y = y;
    vm->buttons = buttons & 7;
    if (feed)
        floe_vnc_feed_pointer(feed, x, y, vm->buttons);
    nudge_other_heads(vm, feed);
}

/* RFB has no wheel: a press and release of button 4 (up) or 5 (down). */
static void in_wheel(void *opaque, int delta)
{
    struct floe_vm *vm = opaque;
    unsigned bit = delta > 0 ? 1u << 4 : 1u << 3;

    struct floe_vnc_feed *feed = vm->heads[vm->ptr_monitor].feed;

    if (!feed || !delta)
        return;
    floe_vnc_feed_pointer(feed, vm->ptr_x, vm->ptr_y, vm->buttons | bit);
    floe_vnc_feed_pointer(feed, vm->ptr_x, vm->ptr_y, vm->buttons);
}

void floe_vm_input_sink(struct floe_vm *vm, struct floe_input_sink *sink)
{
    memset(sink, 0, sizeof(*sink));
    sink->key_fn = in_key;
    sink->pointer_monitor_fn = in_pointer;
    sink->wheel_fn = in_wheel;
    sink->opaque = vm;
}
