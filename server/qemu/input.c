/* Client input to QEMU's keyboard, mouse and tablet. floe's server calls
 * the input sink on its own thread; the events wait in a queue and an
 * eventfd that QEMU's main loop watches (through the core interface) has
 * them delivered there, where QEMU's input devices may be touched.
 * Mouse modes as the reference server has them: client mode (absolute
 * positions to the tablet) only while QEMU has registered its tablet,
 * which it does while the guest's active pointer is absolute, and has one
 * display device; otherwise server mode, relative motion to the mouse. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/qemu/lib.h"

enum ev_kind { EV_KEY, EV_POINTER, EV_MOTION, EV_WHEEL, EV_LOCKS, EV_MONITORS };

struct ev {
    struct fqxl_input *in;
    enum ev_kind kind;
    uint32_t code;       /* KEY: scancode; LOCKS: FLOE_LOCK_* */
    int down;
    int x, y, delta;     /* POINTER: x, y absolute; MOTION: relative */
    uint32_t buttons;
    VDAgentMonitorsConfig *mc; /* MONITORS: the client's layout, owned */
};

struct fqxl_input {
    SpiceServer *s;
    int server_mouse;          /* the mode in effect is server mode (atomic) */
    /* QEMU's main loop's own */
    SpiceKbdInstance *kbd;
    SpiceMouseInstance *mouse;
    SpiceTabletInstance *tablet;
    uint32_t modes;            /* the mouse modes floe's server was told of */
    uint32_t buttons;
    int logical_w, logical_h;
};

struct SpiceKbdState { struct fqxl_input *in; uint8_t leds; };
struct SpiceMouseState { struct fqxl_input *in; };
struct SpiceTabletState { struct fqxl_input *in; };

/* ---- the server's thread: to the main loop ---- */

static void run_ev(void *arg, int run);

static void push(struct fqxl_input *in, const struct ev *tmpl)
{
    struct ev *e = malloc(sizeof(*e));

    if (!e) {
        free(tmpl->mc);
        return;
    }
    *e = *tmpl;
    e->in = in;
    if (fqxl_main_call(in->s->main_loop, run_ev, e) < 0) {
        free(e->mc);
        free(e);
    }
}

static void on_key(void *opaque, uint32_t scancode, int down)
{
    push(opaque, &(struct ev){ .kind = EV_KEY, .code = scancode, .down = down });
}

static void on_pointer(void *opaque, int x, int y, uint32_t buttons)
{
    push(opaque, &(struct ev){ .kind = EV_POINTER, .x = x, .y = y, .buttons = buttons });
}

static void on_motion(void *opaque, int dx, int dy, uint32_t buttons)
{
    push(opaque, &(struct ev){ .kind = EV_MOTION, .x = dx, .y = dy, .buttons = buttons });
}

static void on_mouse_mode(void *opaque, uint32_t mode)
{
    struct fqxl_input *in = opaque;

    __atomic_store_n(&in->server_mouse, mode == FLOE_MOUSE_MODE_SERVER, __ATOMIC_SEQ_CST);
}

static void on_wheel(void *opaque, int delta)
{
    push(opaque, &(struct ev){ .kind = EV_WHEEL, .delta = delta });
}

static void on_locks(void *opaque, uint32_t locks)
{
    push(opaque, &(struct ev){ .kind = EV_LOCKS, .code = locks });
}

static void on_monitors(void *opaque, int count, const struct floe_monitor_request *mons)
{
    VDAgentMonitorsConfig *mc = calloc(1, sizeof(*mc) + (size_t)count * sizeof(mc->monitors[0]));

    if (!mc)
        return;
    mc->num_of_monitors = (uint32_t)count;
    mc->flags = VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS;
    for (int i = 0; i < count; i++)
        mc->monitors[i] = (VDAgentMonConfig){ .height = (uint32_t)mons[i].height,
                                              .width = (uint32_t)mons[i].width, .depth = 32,
                                              .x = mons[i].x, .y = mons[i].y };
    push(opaque, &(struct ev){ .kind = EV_MONITORS, .mc = mc });
}

void fqxl_input_sink(struct fqxl_input *in, struct floe_input_sink *sink)
{
    memset(sink, 0, sizeof(*sink));
    sink->key_fn = on_key;
    sink->pointer_fn = on_pointer;
    sink->wheel_fn = on_wheel;
    sink->locks_fn = on_locks;
    sink->monitors_fn = on_monitors;
    sink->motion_fn = on_motion;
    sink->mouse_mode_fn = on_mouse_mode;
    sink->opaque = in;
}

/* ---- the INPUTS channels read on QEMU's main loop ---- */

struct host_call {
    void (*fn)(void *arg);
    void *arg;
};

static void run_host_call(void *p, int run)
{
    struct host_call *h = p;

    if (run)
        h->fn(h->arg);
    free(h);
}

/* any thread */
static int host_call(void *opaque, void (*fn)(void *arg), void *arg)
{
    struct fqxl_input *in = opaque;
    struct host_call *h = malloc(sizeof(*h));

    if (!h)
        return -ENOMEM;
    *h = (struct host_call){ fn, arg };
    if (fqxl_main_call(in->s->main_loop, run_host_call, h) < 0) {
        free(h);
        return -ENOMEM;
    }
    return 0;
}

struct host_watch {
    SpiceWatch *watch;
    void (*ready)(void *arg);
    void *arg;
};

static void on_host_watch(int fd, int event, void *opaque)
{
    struct host_watch *w = opaque;

    w->ready(w->arg);
}

static void *host_watch(void *opaque, int fd, void (*ready)(void *arg), void *arg)
{
    struct fqxl_input *in = opaque;
    struct host_watch *w = malloc(sizeof(*w));

    if (!w)
        return NULL;
    *w = (struct host_watch){ NULL, ready, arg };
    w->watch = in->s->core->watch_add(fd, SPICE_WATCH_EVENT_READ, on_host_watch, w);
    if (!w->watch) {
        free(w);
        return NULL;
    }
    return w;
}

static void host_unwatch(void *opaque, void *handle)
{
    struct fqxl_input *in = opaque;
    struct host_watch *w = handle;

    in->s->core->watch_remove(w->watch);
    free(w);
}

static void push_scancode(SpiceKbdInstance *kbd, uint32_t sc, int down);
static void deliver_locks(struct fqxl_input *in, uint32_t want);

/* A key read on the main loop: what was queued before it goes first. */
static void host_key(void *opaque, uint32_t scancode, int down)
{
    struct fqxl_input *in = opaque;

    fqxl_main_run(in->s->main_loop);
    if (in->kbd)
        push_scancode(in->kbd, scancode, down);
}

static void host_locks(void *opaque, uint32_t locks)
{
    struct fqxl_input *in = opaque;

    fqxl_main_run(in->s->main_loop);
    deliver_locks(in, locks);
}

/* QEMU registers its tablet only after spice_server_init: server mode
 * until then. */
void fqxl_input_attach(struct floe_server *srv, void *opaque)
{
    struct floe_input_sink sink;
    struct floe_input_host host = { host_call, host_watch, host_unwatch, host_key,
                                    host_locks, opaque };

    floe_server_set_mouse_modes(srv, FLOE_MOUSE_MODE_SERVER);
    fqxl_input_sink(opaque, &sink);
    floe_server_set_input_sink(srv, &sink);
    floe_server_set_input_host(srv, &host);
}

static void do_mouse_modes(struct floe_server *srv, void *opaque)
{
    floe_server_set_mouse_modes(srv, (uint32_t)(uintptr_t)opaque);
}

/* The tablet or a display came or went (QEMU's main loop): the modes
 * clients may use follow, on floe's thread, without waiting for it. As in
 * the reference, client mode needs the tablet and one display device: the
 * tablet's positions span one surface. */
void fqxl_input_modes_update(struct fqxl_input *in)
{
    int displays = 0;
    uint32_t modes;

    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
        displays += in->s->qxl[k] != NULL;
    modes = FLOE_MOUSE_MODE_SERVER | (in->tablet && displays == 1 ? FLOE_MOUSE_MODE_CLIENT : 0);
    if (modes == in->modes)
        return;
    in->modes = modes;
    if (in->s->thread &&
        floe_server_thread_call(in->s->thread, do_mouse_modes, (void *)(uintptr_t)modes) < 0)
        floe_warn("the mouse modes could not be changed (%s client mode)",
                  modes & FLOE_MOUSE_MODE_CLIENT ? "to allow" : "to end");
}

/* ---- QEMU's main loop: delivery ---- */

static void push_scancode(SpiceKbdInstance *kbd, uint32_t sc, int down)
{
    const SpiceKbdInterface *kif = (const SpiceKbdInterface *)kbd->base.sif;

    if (sc > 0xff)
        kif->push_scan_freg(kbd, 0xe0);
    kif->push_scan_freg(kbd, (uint8_t)((sc & 0x7f) | (down ? 0 : 0x80)));
}

/* SPICE's button mask (left, middle, right in bits 0, 1, 2) as QEMU's
 * input interfaces take it (left, right, middle). */
static uint32_t local_buttons(uint32_t b)
{
    return (b & 1) | ((b & 2) << 1) | ((b & 4) >> 1);
}

/* An absolute position goes to the tablet; one still queued when the
 * tablet went is dropped. */
static void deliver_pointer(struct fqxl_input *in, const struct ev *e)
{
    uint32_t b = local_buttons(e->buttons);
    const SpiceTabletInterface *tif;
    int w, h;

    if (!in->tablet)
        return;
    tif = (const SpiceTabletInterface *)in->tablet->base.sif;
    w = __atomic_load_n(&in->s->display_w, __ATOMIC_SEQ_CST);
    h = __atomic_load_n(&in->s->display_h, __ATOMIC_SEQ_CST);
    if (w > 0 && h > 0 && (w != in->logical_w || h != in->logical_h)) {
        tif->set_logical_size(in->tablet, w, h);
        in->logical_w = w;
        in->logical_h = h;
    }
    tif->position(in->tablet, e->x, e->y, b);
    in->buttons = b;
}

/* Relative motion, or the buttons alone, to the mouse. */
static void deliver_motion(struct fqxl_input *in, const struct ev *e)
{
    uint32_t b = local_buttons(e->buttons);
    const SpiceMouseInterface *mif;

    if (!in->mouse)
        return;
    mif = (const SpiceMouseInterface *)in->mouse->base.sif;
    if (e->x || e->y)
        mif->motion(in->mouse, e->x, e->y, 0, b);
    else
        mif->buttons(in->mouse, b);
    in->buttons = b;
}

/* The wheel goes with the pointer of the mode in effect. */
static void deliver_wheel(struct fqxl_input *in, int delta)
{
    int server = __atomic_load_n(&in->server_mouse, __ATOMIC_SEQ_CST);

    if (in->tablet && !(server && in->mouse)) {
        const SpiceTabletInterface *tif = (const SpiceTabletInterface *)in->tablet->base.sif;
        tif->wheel(in->tablet, delta, in->buttons);
    } else if (in->mouse) {
        const SpiceMouseInterface *mif = (const SpiceMouseInterface *)in->mouse->base.sif;
        mif->motion(in->mouse, 0, 0, delta, in->buttons);
    }
}

static void deliver_locks(struct fqxl_input *in, uint32_t want)
{
    static const struct { uint32_t lock; uint32_t sc; } keys[] = {
        { FLOE_LOCK_SCROLL, 0x46 }, { FLOE_LOCK_NUM, 0x45 }, { FLOE_LOCK_CAPS, 0x3a },
    };
    const SpiceKbdInterface *kif;
    uint32_t have;

    if (!in->kbd)
        return;
    kif = (const SpiceKbdInterface *)in->kbd->base.sif;
    have = kif->get_leds(in->kbd);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if ((have ^ want) & keys[i].lock) {
            push_scancode(in->kbd, keys[i].sc, 1);
            push_scancode(in->kbd, keys[i].sc, 0);
        }
    }
}

/* A client's monitors go to every QXL device that takes them (QEMU's qxl
 * hands them to its guest driver; its simple display to the console's
 * UI size); each device reads the heads it has. */
static void deliver_monitors(struct fqxl_input *in, VDAgentMonitorsConfig *mc)
{
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++) {
        QXLInstance *qxl = in->s->qxl[k];
        const QXLInterface *qif;
        if (!qxl)
            continue;
        qif = (const QXLInterface *)qxl->base.sif;
        if (qif->base.minor_version < 3 || !qif->client_monitors_config)
            continue;
        if (!qif->client_monitors_config(qxl, mc))
            floe_info("QXL device %d: its guest does not take a client's monitors", qxl->id);
    }
}

static void deliver(struct fqxl_input *in, const struct ev *e)
{
    switch (e->kind) {
    case EV_KEY:
        if (in->kbd)
            push_scancode(in->kbd, e->code, e->down);
        break;
    case EV_POINTER:
        deliver_pointer(in, e);
        break;
    case EV_MOTION:
        deliver_motion(in, e);
        break;
    case EV_WHEEL:
        deliver_wheel(in, e->delta);
        break;
    case EV_LOCKS:
        deliver_locks(in, e->code);
        break;
    case EV_MONITORS:
        deliver_monitors(in, e->mc);
        break;
    }
}

static void run_ev(void *arg, int run)
{
    struct ev *e = arg;

    if (run)
        deliver(e->in, e);
    free(e->mc);
    free(e);
}

struct fqxl_input *fqxl_input_new(SpiceServer *s)
{
    struct fqxl_input *in = calloc(1, sizeof(*in));

    if (!in)
        return NULL;
    in->s = s;
    in->modes = FLOE_MOUSE_MODE_SERVER;   /* as fqxl_input_attach says */
    in->server_mouse = 1;
    return in;
}

/* (after the main loop's calls: fqxl_main_free runs them) */
void fqxl_input_free(struct fqxl_input *in)
{
    free(in);
}

int fqxl_input_add(struct fqxl_input *in, SpiceBaseInstance *sin)
{
    const SpiceBaseInterface *sif = sin->sif;

    if (!strcmp(sif->type, SPICE_INTERFACE_KEYBOARD)) {
        SpiceKbdInstance *k = (SpiceKbdInstance *)sin;
        if (sif->major_version != SPICE_INTERFACE_KEYBOARD_MAJOR || in->kbd)
            return -1;
        k->st = calloc(1, sizeof(*k->st));
        if (!k->st)
            return -1;
        k->st->in = in;
        in->kbd = k;
    } else if (!strcmp(sif->type, SPICE_INTERFACE_MOUSE)) {
        SpiceMouseInstance *m = (SpiceMouseInstance *)sin;
        if (sif->major_version != SPICE_INTERFACE_MOUSE_MAJOR || in->mouse)
            return -1;
        m->st = calloc(1, sizeof(*m->st));
        if (!m->st)
            return -1;
        m->st->in = in;
        in->mouse = m;
    } else {
        SpiceTabletInstance *t = (SpiceTabletInstance *)sin;
        if (sif->major_version != SPICE_INTERFACE_TABLET_MAJOR || in->tablet)
            return -1;
        t->st = calloc(1, sizeof(*t->st));
        if (!t->st)
            return -1;
        t->st->in = in;
        in->tablet = t;
        in->logical_w = in->logical_h = 0;
        fqxl_input_modes_update(in);
    }
    return 0;
}

int fqxl_input_remove_instance(SpiceBaseInstance *sin)
{
    const SpiceBaseInterface *sif = sin->sif;

    if (!strcmp(sif->type, SPICE_INTERFACE_KEYBOARD)) {
        SpiceKbdInstance *k = (SpiceKbdInstance *)sin;
        if (k->st && k->st->in->kbd == k)
            k->st->in->kbd = NULL;
        free(k->st);
        k->st = NULL;
    } else if (!strcmp(sif->type, SPICE_INTERFACE_MOUSE)) {
        SpiceMouseInstance *m = (SpiceMouseInstance *)sin;
        if (m->st && m->st->in->mouse == m)
            m->st->in->mouse = NULL;
        free(m->st);
        m->st = NULL;
    } else {
        SpiceTabletInstance *t = (SpiceTabletInstance *)sin;
        if (t->st && t->st->in->tablet == t) {
            t->st->in->tablet = NULL;
            fqxl_input_modes_update(t->st->in);
        }
        free(t->st);
        t->st = NULL;
    }
    return 0;
}

/* The mode floe's server last reported: the clients' own. */
int fqxl_input_is_server_mouse(const struct fqxl_input *in)
{
    return __atomic_load_n(&in->server_mouse, __ATOMIC_SEQ_CST);
}

static void do_leds(struct floe_server *srv, void *opaque)
{
    floe_server_set_keyboard_locks(srv, (uint32_t)(uintptr_t)opaque);
}

/* The guest's keyboard lights: clients' keyboards follow them. */
FQXL_EXPORT int spice_server_kbd_leds(SpiceKbdInstance *sin, int leds)
{
    if (!sin->st)
        return 0;
    sin->st->leds = (uint8_t)leds;
    if (sin->st->in->s->thread)
        floe_server_thread_call(sin->st->in->s->thread, do_leds, (void *)(uintptr_t)(leds & 7));
    return 0;
}
