/* floe-agent's X11 session backend, for the daemon: the CLIPBOARD and
 * PRIMARY selections mirrored to the client, monitors configs through RandR. */
#ifndef FLOE_AGENT_X11_H
#define FLOE_AGENT_X11_H

#include "guest-agent/agent.h"

#include <errno.h>
#include <stdio.h>

struct agent_x11;

#ifdef FLOE_AGENT_X11
/* Connects to `display` (NULL: $DISPLAY) and mirrors its selections with
 * the core `a` (used, not owned). NULL, with the reason on stderr, when
 * the display cannot be reached or lacks XFIXES. */
struct agent_x11 *agent_x11_new(const char *display, struct floe_agent *a);
/* Gives the selections up and closes the display. */
void agent_x11_free(struct agent_x11 *x);
/* The display's connection, to poll for reading. */
int agent_x11_fd(const struct agent_x11 *x);
/* Handles the events waiting and flushes what was asked of the X server;
 * call it before each poll. A display that goes away ends the agent
 * (Xlib cannot go on after it). */
void agent_x11_dispatch(struct agent_x11 *x);

/* The core's clipboard callbacks (struct floe_agent_ops), passed on. */
void agent_x11_client_grab(struct agent_x11 *x, unsigned sel, const uint32_t *types, unsigned n);
void agent_x11_client_request(struct agent_x11 *x, unsigned sel, uint32_t type);
void agent_x11_client_data(struct agent_x11 *x, unsigned sel, uint32_t type, const uint8_t *data,
                           size_t len);
/* A monitors config: the first enabled monitor becomes the mode of the
 * first connected output through RandR (the mode added when missing).
 * 0 or negative errno. */
int agent_x11_monitors(struct agent_x11 *x, const struct floe_agent_monitor *mons, uint32_t n);
#else
/* built without libX11: no X backend (see the Makefile) */
static inline struct agent_x11 *agent_x11_new(const char *display, struct floe_agent *a)
{
    (void)display; (void)a;
    fprintf(stderr, "floe-agent: built without X11 support\n");
    return NULL;
}
static inline void agent_x11_free(struct agent_x11 *x) { (void)x; }
static inline int agent_x11_fd(const struct agent_x11 *x) { (void)x; return -1; }
static inline void agent_x11_dispatch(struct agent_x11 *x) { (void)x; }
static inline void agent_x11_client_grab(struct agent_x11 *x, unsigned sel, const uint32_t *types,
                                         unsigned n) { (void)x; (void)sel; (void)types; (void)n; }
static inline void agent_x11_client_request(struct agent_x11 *x, unsigned sel, uint32_t type)
{ (void)x; (void)sel; (void)type; }
static inline void agent_x11_client_data(struct agent_x11 *x, unsigned sel, uint32_t type,
                                         const uint8_t *data, size_t len)
{ (void)x; (void)sel; (void)type; (void)data; (void)len; }
static inline int agent_x11_monitors(struct agent_x11 *x, const struct floe_agent_monitor *mons,
                                     uint32_t n) { (void)x; (void)mons; (void)n; return -ENOTSUP; }
#endif

#endif
