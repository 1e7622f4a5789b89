/* The X11 backend's state, shared by its files (x11.c: the display, its
 * events and RandR; selection.c: CLIPBOARD and PRIMARY both ways). */
#ifndef FLOE_AGENT_X11_INT_H
#define FLOE_AGENT_X11_INT_H

#include "guest-agent/x11.h"

#include <X11/Xlib.h>

#define X11_SELECTIONS 2   /* the core's 0 CLIPBOARD, 1 PRIMARY */
#define X11_MAX_REQS 32    /* X requests waiting for the client or sent INCR */

/* an X client's request while the client's selection is held here */
struct x11_req {
    struct x11_req *next;
    XSelectionRequestEvent ev;
    unsigned sel;
    uint32_t type;         /* the VDAgent type asked of the client */
    Atom reply_type;       /* the property's type in the answer */
    int incr;              /* sending INCR: the data below, from `at` */
    uint8_t *data;
    size_t len, at;
};

struct x11_sel {
    Atom atom;
    Atom prop;             /* where the selection's owner puts what we asked for */
    /* the client's selection, owned here for it */
    int owned;
    Time owned_at;
    uint32_t client_types[8];
    unsigned n_client_types;
    /* another X client's selection, offered to the client */
    int offered;
    Atom text_target;      /* the owner's best text target */
    /* the client's REQUEST being converted */
    int reading, incr, overflow;
    uint32_t read_type;
    Atom read_target;
    uint8_t *buf;
    size_t len, cap;
};

struct agent_x11 {
    Display *dpy;
    Window win;            /* unmapped: owns the selections, receives conversions */
    struct floe_agent *agent;
    int fixes_event;       /* XFIXES' first event code */
    int randr;             /* RandR 1.2 or later */
    struct x11_sel sel[X11_SELECTIONS];
    struct x11_req *reqs;
    unsigned n_reqs;
    size_t max_chunk;      /* the largest property written at once; over it, INCR */
    Atom a_targets, a_timestamp, a_multiple, a_incr, a_utf8, a_string, a_text, a_plain_utf8,
        a_png, a_atom_pair, a_time_prop;
};

/* selection.c */
void x11_sel_init(struct agent_x11 *x);
void x11_sel_free(struct agent_x11 *x);
/* an event for the selections: 1 when it was one */
int x11_sel_event(struct agent_x11 *x, XEvent *ev);

#endif
