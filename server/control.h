/* The control socket: a unix socket taking one command per line and
 * answering with lines ending in "ok" or "error: ...". */
#ifndef FLOE_CONTROL_H
#define FLOE_CONTROL_H

#include <uv.h>

#include "floe/server.h"

struct floe_control;

/* Hooks the program provides; any may be NULL ("not supported"). */
struct floe_control_hooks {
    void (*freeze_fn)(void *opaque, int frozen);
    const char *(*typed_fn)(void *opaque);
    void (*quit_fn)(void *opaque);
    void *opaque;
};

/* Listens on `path` (replacing a stale socket). NULL with errno on failure. */
struct floe_control *floe_control_new(uv_loop_t *loop, struct floe_server *s, const char *path,
                                      const struct floe_control_hooks *hooks);
/* Closes the socket and its connections; frees once the loop lets go. */
void floe_control_free(struct floe_control *ctl);

#endif
