/* The guest agent's char device (QEMU's spicevmc "vdagent", the guest's
 * virtio-serial port com.redhat.spice.0) joined to floe's agent relay.
 *
 * Threads: QEMU's sif functions (read, write, state) are called only on
 * QEMU's main loop; floe_server_agent_* only on floe's server thread.
 * Bytes from the guest are read on the main loop when QEMU wakes us (its
 * chardev hands them over inside that very call) and queued to the
 * server's thread; bytes for the guest come from the relay's write_fn on
 * the server's thread, are kept under a lock and written on the main loop
 * (fqxl_main_call), partly if QEMU takes only part, the rest on its next
 * wakeup. Neither side ever waits for the other. Both ways are bounded:
 * past AGENT_IN_MAX bytes on their way to the server we stop reading (the
 * guest waits) and resume once the server has taken them; past
 * AGENT_OUT_MAX bytes held for the guest write_fn says -EAGAIN and the
 * relay is woken once they are written.
 *
 * Life: made in spice_server_add_interface, attached on the server's
 * thread; spice_server_remove_interface stops every call into QEMU at
 * once and queues the detach, which queues the free on the main loop
 * after every call already queued there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/qemu/lib.h"

/* bytes read from the guest and not yet taken by the server */
#define AGENT_IN_MAX (256u * 1024)
/* bytes the relay handed over and QEMU has not taken yet */
#define AGENT_OUT_MAX (256u * 1024)
/* one read from QEMU's char device */
#define AGENT_READ 4096

struct fqxl_agent {
    SpiceServer *s;
    /* QEMU's main loop's own */
    SpiceCharDeviceInstance *sin;   /* NULL once removed or broken */
    int in_wakeup;
    int again;                      /* a wakeup came while in one */
    uint8_t *wbuf;                  /* being written to QEMU */
    size_t wlen, wcap;
    /* the server's thread's own */
    int attached;                   /* the relay's port is ours */
    /* under lock: both threads */
    pthread_mutex_t lock;
    uint8_t *pend;                  /* handed over by the relay, for the main loop */
    size_t plen, pcap;
    size_t held;                    /* pend + wbuf */
    int flush_queued, want_wake;
    size_t in_flight;               /* read, not yet taken by the server */
    int read_stalled;
};

struct guest_bytes {
    struct fqxl_agent *ag;
    size_t len;
    uint8_t data[];
};

static void agent_wakeup(struct fqxl_agent *ag);

static const SpiceCharDeviceInterface *sif_of(SpiceCharDeviceInstance *sin)
{
    return (const SpiceCharDeviceInterface *)sin->base.sif;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    size_t n = *cap ? *cap : 4096;
    uint8_t *p;

    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    p = realloc(*buf, n);
    if (!p)
        return -ENOMEM;
    *buf = p;
    *cap = n;
    return 0;
}

/* ---- on QEMU's main loop ---- */

static void free_agent(void *arg, int run)
{
    struct fqxl_agent *ag = arg;

    (void)run;
    pthread_mutex_destroy(&ag->lock);
    free(ag->wbuf);
    free(ag->pend);
    free(ag);
}

static void do_wake(struct floe_server *srv, void *opaque)
{
    struct fqxl_agent *ag = opaque;

    if (ag->attached)
        floe_server_agent_wake(srv);
}

/* What the relay handed over, written to QEMU as far as it takes it. */
static void write_out(struct fqxl_agent *ag)
{
    size_t done = 0;
    int wake;

    pthread_mutex_lock(&ag->lock);
    ag->flush_queued = 0;
    if (ag->plen && grow(&ag->wbuf, &ag->wcap, ag->wlen + ag->plen) == 0) {
        memcpy(ag->wbuf + ag->wlen, ag->pend, ag->plen);
        ag->wlen += ag->plen;
        ag->plen = 0;
    }
    pthread_mutex_unlock(&ag->lock);
    while (ag->sin && done < ag->wlen) {
        size_t want = ag->wlen - done;
        int n = sif_of(ag->sin)->write(ag->sin, ag->wbuf + done, want > INT32_MAX ? INT32_MAX : (int)want);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (done) {
        memmove(ag->wbuf, ag->wbuf + done, ag->wlen - done);
        ag->wlen -= done;
    }
    pthread_mutex_lock(&ag->lock);
    ag->held -= done;
    wake = ag->want_wake && ag->held < AGENT_OUT_MAX / 2;
    if (wake)
        ag->want_wake = 0;
    pthread_mutex_unlock(&ag->lock);
    if (wake && floe_server_thread_call(ag->s->thread, do_wake, ag) < 0)
        floe_err("agent: out of memory waking the relay");
}


static void do_from_guest(struct floe_server *srv, void *opaque);

/* Reads what the guest wrote, while the server is not too far behind. */
static void read_in(struct fqxl_agent *ag)
{
    for (;;) {
        struct guest_bytes *b;
        int n, stall;

        pthread_mutex_lock(&ag->lock);
        stall = ag->in_flight >= AGENT_IN_MAX;
        ag->read_stalled = stall;
        pthread_mutex_unlock(&ag->lock);
        if (stall || !ag->sin)
            return;
        b = malloc(sizeof(*b) + AGENT_READ);
        if (!b) {
            floe_err("agent: out of memory reading from the guest");
            return;
        }
        n = sif_of(ag->sin)->read(ag->sin, b->data, AGENT_READ);
        if (n <= 0) {
            free(b);
            return;
        }
        b->ag = ag;
        b->len = (size_t)n;
        pthread_mutex_lock(&ag->lock);
        ag->in_flight += b->len;
        pthread_mutex_unlock(&ag->lock);
        if (floe_server_thread_call(ag->s->thread, do_from_guest, b) < 0) {
            floe_err("agent: out of memory: %d bytes of the guest's dropped", n);
            pthread_mutex_lock(&ag->lock);
            ag->in_flight -= b->len;
            pthread_mutex_unlock(&ag->lock);
            free(b);
        }
    }
}

/* QEMU's wakeup: the guest wrote, or QEMU takes bytes again. QEMU may
 * wake us again from inside read or write: that wakeup is kept. */
static void agent_wakeup(struct fqxl_agent *ag)
{
    if (ag->in_wakeup) {
        ag->again = 1;
        return;
    }
    ag->in_wakeup = 1;
    do {
        ag->again = 0;
        write_out(ag);
        read_in(ag);
    } while (ag->again && ag->sin);
    ag->in_wakeup = 0;
}

/* Queued by write_fn (bytes to write) and by the server once it caught up
 * with the guest (reading resumes): both a wakeup, so that one QEMU makes
 * from inside its read or write is never nested. */
static void run_wakeup(void *arg, int run)
{
    if (run)
        agent_wakeup(arg);
}

/* The relay found the guest's bytes bad and detached the agent: QEMU is
 * told the client side went, as the reference does, and the device is
 * left alone until QEMU removes it. */
static void run_broken(void *arg, int run)
{
    struct fqxl_agent *ag = arg;
    SpiceCharDeviceInstance *sin = ag->sin;

    if (!run || !sin)
        return;
    ag->sin = NULL;
    if (sif_of(sin)->state)
        sif_of(sin)->state(sin, 0);
}

/* ---- on floe's server thread ---- */

static void queue_main(struct fqxl_agent *ag, fqxl_main_fn *fn, const char *what)
{
    if (fqxl_main_call(ag->s->main_loop, fn, ag) < 0)
        floe_err("agent: out of memory: %s", what);
}

/* The relay's write_fn: whole chunks for the guest. */
static int port_write(void *opaque, const uint8_t *bytes, size_t len)
{
    struct fqxl_agent *ag = opaque;
    int queue = 0, rc = 0;

    pthread_mutex_lock(&ag->lock);
    if (ag->held >= AGENT_OUT_MAX || grow(&ag->pend, &ag->pcap, ag->plen + len) < 0) {
        ag->want_wake = 1;
        rc = -EAGAIN;
    } else {
        memcpy(ag->pend + ag->plen, bytes, len);
        ag->plen += len;
        ag->held += len;
        queue = !ag->flush_queued;
        ag->flush_queued = 1;
    }
    pthread_mutex_unlock(&ag->lock);
    if (queue && fqxl_main_call(ag->s->main_loop, run_wakeup, ag) < 0) {
        /* written at QEMU's next wakeup */
        pthread_mutex_lock(&ag->lock);
        ag->flush_queued = 0;
        pthread_mutex_unlock(&ag->lock);
    }
    return rc;
}

static void do_attach(struct floe_server *srv, void *opaque)
{
    struct fqxl_agent *ag = opaque;
    struct floe_agent_port port = { .write_fn = port_write, .opaque = ag };
    int rc = floe_server_agent_attach(srv, &port);

    ag->attached = rc == 0;
    if (rc < 0)
        floe_err("agent: the relay refused the guest's agent: %s", strerror(-rc));
}

static void do_from_guest(struct floe_server *srv, void *opaque)
{
    struct guest_bytes *b = opaque;
    struct fqxl_agent *ag = b->ag;
    int resume;

    if (ag->attached && floe_server_agent_from_guest(srv, b->data, b->len) == -EPROTO) {
        ag->attached = 0;
        queue_main(ag, run_broken, "QEMU is not told the agent was dropped");
    }
    pthread_mutex_lock(&ag->lock);
    ag->in_flight -= b->len;
    resume = ag->read_stalled && ag->in_flight < AGENT_IN_MAX / 2;
    if (resume)
        ag->read_stalled = 0;
    pthread_mutex_unlock(&ag->lock);
    free(b);
    if (resume)
        queue_main(ag, run_wakeup, "the guest's agent is not read");
}

static void do_detach(struct floe_server *srv, void *opaque)
{
    struct fqxl_agent *ag = opaque;

    if (ag->attached)
        floe_server_agent_detach(srv);
    ag->attached = 0;
    /* after every call already queued for it on the main loop */
    if (fqxl_main_call(ag->s->main_loop, free_agent, ag) < 0)
        floe_err("agent: out of memory: the device's state is not freed");
}

static void do_monitors_local(struct floe_server *srv, void *opaque)
{
    floe_server_agent_monitors_local(srv, (int)(intptr_t)opaque);
}

/* ---- the interface QEMU calls (its main loop) ---- */

/* As the reference: monitor configs go to the QXL devices, not to the
 * agent, when every device says its guest takes them (QEMU's qxl: a
 * revision 4 device whose driver unmasked the interrupt). Asked on the
 * main loop, where QEMU answers, whenever the agent's device is added or
 * wakes us; the server is told when the answer changes. */
void fqxl_agent_monitors_update(SpiceServer *s)
{
    int local = 0, any = 0;

    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++) {
        QXLInstance *qxl = s->qxl[k];
        const QXLInterface *qif;
        if (!qxl)
            continue;
        qif = (const QXLInterface *)qxl->base.sif;
        local = (!any || local) && qif->base.minor_version >= 3 && qif->client_monitors_config &&
                qif->client_monitors_config(qxl, NULL);
        any = 1;
    }
    if (!s->thread || local == s->agent_monitors_local)
        return;
    if (floe_server_thread_call(s->thread, do_monitors_local, (void *)(intptr_t)local) == 0) {
        s->agent_monitors_local = local;
        floe_info("monitor configs go to the %s", local ? "QXL devices" : "guest agent");
    }
}

struct fqxl_agent *fqxl_agent_new(SpiceServer *s, SpiceCharDeviceInstance *sin)
{
    struct fqxl_agent *ag = calloc(1, sizeof(*ag));

    if (!ag)
        return NULL;
    ag->s = s;
    ag->sin = sin;
    pthread_mutex_init(&ag->lock, NULL);
    if (floe_server_thread_call(s->thread, do_attach, ag) < 0) {
        pthread_mutex_destroy(&ag->lock);
        free(ag);
        return NULL;
    }
    fqxl_agent_monitors_update(s);
    floe_info("char device vdagent: the guest's agent opened its port");
    if (sif_of(sin)->state)
        sif_of(sin)->state(sin, 1);
    return ag;
}

void fqxl_agent_free(struct fqxl_agent *ag)
{
    SpiceCharDeviceInstance *sin = ag->sin;
    int told = sin != NULL;

    ag->sin = NULL;
    floe_info("char device vdagent: the guest's agent closed its port");
    if (told && sif_of(sin)->state)
        sif_of(sin)->state(sin, 0);
    if (floe_server_thread_call(ag->s->thread, do_detach, ag) < 0)
        floe_err("agent: out of memory: the agent stays attached");
}

void fqxl_agent_wakeup(struct fqxl_agent *ag)
{
    fqxl_agent_monitors_update(ag->s);
    agent_wakeup(ag);
}
