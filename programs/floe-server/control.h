/* The control socket: a unix socket taking one command per line and
 * answering with lines ending in "ok" or "error: ...". */
#ifndef FLOE_CONTROL_H
#define FLOE_CONTROL_H

#include <stddef.h>

#include <uv.h>

#include "floe/server.h"

struct floe_control;

/* Hooks the program provides; any may be NULL ("not supported"). */
struct floe_control_hooks {
    void (*freeze_fn)(void *opaque, int frozen);
    const char *(*typed_fn)(void *opaque);
    void (*quit_fn)(void *opaque);
    void *opaque;
    /* Commands the program adds: called for a command the socket does not
     * know, with its argument ("" when none). Writes the reply's lines
     * (without the final "ok") or an error's text into out; returns 0 (ok),
     * -1 (an error: out says why) or 1 (not a command of the program's). */
    int (*command_fn)(void *opaque, const char *cmd, const char *arg, char *out, size_t len);
    const char *command_help;   /* e.g. "vm-status | vm-start", shown by help */
    /* When clients are served by another server (a VM's QEMU with display
     * = qxl): why snapshot, clients, stats and disconnect, which read this
     * server, answer with an error. NULL: they work. */
    const char *display_elsewhere;
};

/* Listens on `path` (replacing a stale socket). NULL with errno on failure. */
struct floe_control *floe_control_new(uv_loop_t *loop, struct floe_server *s, const char *path,
                                      const struct floe_control_hooks *hooks);
/* Closes the socket and its connections; frees once the loop lets go. */
void floe_control_free(struct floe_control *ctl);

#endif
