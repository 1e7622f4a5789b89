/* floe's libspice-server.so.1: what its files share. QEMU drives the
 * library through Debian's spice.h; each object QEMU hands in (a QXL
 * device, a keyboard, a sound card...) gets a state of ours in its `st`.
 *
 * Threads: QEMU's main loop calls spice_server_* and the input, audio and
 * char-device functions; vCPU threads holding QEMU's big lock call the
 * spice_qxl_* functions; floe's server runs on a thread of its own
 * (floe_server_thread_*), and so does every QXL device's worker, which
 * reads the device's rings and renders there and hands what changed to
 * the server without a hop between threads. QEMU's threads wait for
 * floe's (a synchronous spice_qxl_* call, with QEMU's big lock held), so
 * floe's thread never waits for QEMU's lock or main loop: what must run
 * there (input, channel_event) is queued to it (fqxl_main_call). */
#ifndef FLOE_QEMU_LIB_H
#define FLOE_QEMU_LIB_H

#include <pthread.h>
#include <stdint.h>

#include <spice.h>

#include "floe/server.h"

#define FQXL_EXPORT __attribute__((visibility("default")))

struct fqxl_input;
struct fqxl_events;
struct fqxl_main;

/* SpiceServer: the settings QEMU makes before spice_server_init, then the
 * running server. */
struct RedsState {
    SpiceCoreInterface *core;
    /* settings */
    int port, tls_port;
    char *addr;
    int addr_flags;
    int noauth, sasl;
    char ticket[61];
    int ticket_set;
    time_t ticket_expires;          /* 0 = never */
    char *name;
    uint8_t uuid[16];
    enum floe_image_compression image_compression;
    enum floe_wan jpeg_wan, zlib_glz_wan;
    int streaming_video, playback_compression;
    int agent_mouse, agent_copypaste, agent_file_xfer, seamless_migration;
    int playback_rate, record_rate;
    /* running */
    int inited;
    int vm_running;
    struct floe_server_thread *thread;  /* NULL before spice_server_init */
    struct fqxl_main *main_loop;        /* calls to run on QEMU's main loop */
    struct fqxl_input *input;
    struct fqxl_events *events;
    QXLInstance *qxl[FLOE_SERVER_MAX_MONITORS]; /* by monitor; QEMU's main loop's own */
    int agent_monitors_local;       /* told the relay: monitor configs to the QXL devices */
    int display_w, display_h;       /* monitor 0's primary (atomic): the tablet's size */
    SpiceMigrateInstance *migrate;
};

/* The state every instance's `st` points at, for the kinds with nothing
 * more to keep: which server it was added to. */
struct fqxl_instance_state {
    SpiceServer *server;
};

/* qxl-worker.c: a QXL device's worker. */
QXLState *fqxl_worker_new(SpiceServer *s, QXLInstance *qxl, int monitor);
void fqxl_worker_free(QXLState *w);
/* VM run state: stop flushes and stops reading the rings (sync). */
void fqxl_worker_set_running(QXLState *w, int running);
/* spice_server_init made floe's server: the worker's output goes there now. */
void fqxl_worker_attach(QXLState *w, struct floe_server_thread *t);
SpiceServer *fqxl_worker_server(QXLState *w);
/* Clients came or went: the guest is told (set_client_capabilities) from
 * the worker. Any thread; does not wait. */
void fqxl_worker_clients(QXLState *w, int clients);
/* Calls fqxl_worker_clients on every QXL device (QEMU's main loop). */
void fqxl_workers_clients(SpiceServer *s, int clients);

/* main-loop.c: calls run on QEMU's main loop, in the order queued, from
 * any thread. fn(arg, 1) runs there; fn(arg, 0) when the queue is freed
 * first (then it only frees arg). New on QEMU's main loop. */
typedef void fqxl_main_fn(void *arg, int run);
struct fqxl_main *fqxl_main_new(SpiceCoreInterface *core);
/* 0, or -ENOMEM (fn was not queued). */
int fqxl_main_call(struct fqxl_main *m, fqxl_main_fn *fn, void *arg);
/* On QEMU's main loop: runs the calls queued so far now. */
void fqxl_main_run(struct fqxl_main *m);
void fqxl_main_free(struct fqxl_main *m);

/* input.c: client input to QEMU's keyboard, mouse and tablet. New on
 * QEMU's main loop once the core interface is known. */
struct fqxl_input *fqxl_input_new(SpiceServer *s);
void fqxl_input_free(struct fqxl_input *in);
/* The sink floe's server calls on its thread; it hands the events to
 * QEMU's main loop. fqxl_input_attach sets it (on the server's thread),
 * with server mouse mode only until QEMU adds its tablet, and has the
 * INPUTS channels read on QEMU's main loop (floe_input_host), where keys
 * reach QEMU's keyboard in the call that read them, as the reference's do. */
void fqxl_input_sink(struct fqxl_input *in, struct floe_input_sink *sink);
void fqxl_input_attach(struct floe_server *srv, void *input);
int fqxl_input_add(struct fqxl_input *in, SpiceBaseInstance *sin);
int fqxl_input_remove_instance(SpiceBaseInstance *sin);
/* The clients' mouse mode, as floe's server last reported it; any thread. */
int fqxl_input_is_server_mouse(const struct fqxl_input *in);
/* The tablet or a display device came or went (QEMU's main loop): client
 * mouse mode is allowed with the tablet and one display device. */
void fqxl_input_modes_update(struct fqxl_input *in);

/* events.c: connections reported to QEMU's channel_event. */
struct fqxl_events *fqxl_events_new(SpiceServer *s);
void fqxl_events_attach(struct floe_server *srv, void *events);
/* Clients (initialized MAIN channels) connected now; any thread. */
int fqxl_events_clients(const struct fqxl_events *ev);

/* agent.c: the guest agent's char device (spicevmc "vdagent") joined to
 * floe's agent relay. New, free (QEMU removed it) and wakeup on QEMU's
 * main loop, after spice_server_init. */
struct fqxl_agent;
struct fqxl_agent *fqxl_agent_new(SpiceServer *s, SpiceCharDeviceInstance *sin);
void fqxl_agent_free(struct fqxl_agent *ag);
void fqxl_agent_wakeup(struct fqxl_agent *ag);
/* Asks the QXL devices whether their guests take monitor configs and
 * tells the relay (QEMU's main loop). */
void fqxl_agent_monitors_update(SpiceServer *s);

/* devices.c: sound cards and char devices. */
int fqxl_device_add(SpiceServer *s, SpiceBaseInstance *sin);
int fqxl_device_remove(SpiceBaseInstance *sin);


#endif
