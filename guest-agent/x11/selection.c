/* floe-agent's X11 selections: the client's CLIPBOARD and PRIMARY owned
 * here and served to X clients (INCR past one request), and an X client's
 * offered to the client (XFIXES tells who owns them) and converted on its
 * REQUEST. Text (UTF8_STRING, text/plain;charset=utf-8, STRING, TEXT) and PNG. */
#include "guest-agent/x11/x11-int.h"
#include "protocol/spice/enums.h"

#include <X11/Xatom.h>
#include <X11/extensions/Xfixes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* the most taken from an X client when the client set no limit */
#define X11_MAX_READ (FLOE_AGENT_MAX_MESSAGE - 64)

static Bool x11_is_time(Display *dpy, XEvent *ev, XPointer arg)
{
    struct agent_x11 *x = (struct agent_x11 *)arg;

    (void)dpy;
    return ev->type == PropertyNotify && ev->xproperty.window == x->win &&
           ev->xproperty.atom == x->a_time_prop;
}

/* The X server's time now: a property change's stamp. */
static Time x11_server_time(struct agent_x11 *x)
{
    XEvent ev;

    XChangeProperty(x->dpy, x->win, x->a_time_prop, XA_INTEGER, 8, PropModeAppend, NULL, 0);
    XIfEvent(x->dpy, &ev, x11_is_time, (XPointer)x);
    return ev.xproperty.time;
}

static int x11_sel_index(struct agent_x11 *x, Atom atom)
{
    for (int i = 0; i < X11_SELECTIONS; i++)
        if (x->sel[i].atom == atom)
            return i;
    return -1;
}

static int x11_is_text(struct agent_x11 *x, Atom t)
{
    return t == x->a_utf8 || t == x->a_plain_utf8 || t == x->a_string || t == x->a_text;
}

static int x11_client_has(const struct x11_sel *s, uint32_t type)
{
    for (unsigned i = 0; i < s->n_client_types; i++)
        if (s->client_types[i] == type)
            return 1;
    return 0;
}

/* UTF-8 to Latin-1 (STRING) in place; what Latin-1 lacks becomes '?' */
static size_t x11_to_latin1(uint8_t *p, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n; o++) {
        uint8_t c = p[i];
        if (c < 0x80) {
            p[o] = c;
            i++;
        } else if ((c & 0xfe) == 0xc2 && i + 1 < n) {
            p[o] = (uint8_t)((c << 6) | (p[i + 1] & 0x3f));
            i += 2;
        } else {
            p[o] = '?';
            for (i++; i < n && (p[i] & 0xc0) == 0x80; i++)
                ;
        }
    }
    return o;
}

/* Latin-1 to UTF-8, a new buffer (NULL when out of memory) */
static uint8_t *x11_from_latin1(const uint8_t *p, size_t n, size_t *out)
{
    uint8_t *u = malloc(2 * n + 1);
    size_t o = 0;

    for (size_t i = 0; u && i < n; i++) {
        if (p[i] < 0x80) {
            u[o++] = p[i];
        } else {
            u[o++] = (uint8_t)(0xc0 | p[i] >> 6);
            u[o++] = (uint8_t)(0x80 | (p[i] & 0x3f));
        }
    }
    *out = o;
    return u;
}

/* ---- the client's selection, served to X clients ---- */

static void x11_notify(struct agent_x11 *x, const XSelectionRequestEvent *rq, Atom property)
{
    XEvent ev = { .xselection = { .type = SelectionNotify, .display = x->dpy,
                                  .requestor = rq->requestor, .selection = rq->selection,
                                  .target = rq->target, .property = property, .time = rq->time } };

    XSendEvent(x->dpy, rq->requestor, False, NoEventMask, &ev);
}

static Atom x11_req_property(const XSelectionRequestEvent *rq)
{
    return rq->property != None ? rq->property : rq->target;   /* an ICCCM-1 requestor */
}

static void x11_req_free(struct agent_x11 *x, struct x11_req *r)
{
    struct x11_req **pp = &x->reqs;

    while (*pp != r)
        pp = &(*pp)->next;
    *pp = r->next;
    x->n_reqs--;
    if (r->incr) {
        int others = 0;
        for (struct x11_req *o = x->reqs; o; o = o->next)
            others |= o->incr && o->ev.requestor == r->ev.requestor;
        if (!others)
            XSelectInput(x->dpy, r->ev.requestor, NoEventMask);
    }
    free(r->data);
    free(r);
}

static void x11_answer_targets(struct agent_x11 *x, const XSelectionRequestEvent *rq,
                               const struct x11_sel *s)
{
    Atom t[8];
    int n = 0;

    t[n++] = x->a_targets;
    t[n++] = x->a_timestamp;
    if (x11_client_has(s, VD_AGENT_CLIPBOARD_UTF8_TEXT)) {
        t[n++] = x->a_utf8;
        t[n++] = x->a_plain_utf8;
        t[n++] = x->a_string;
        t[n++] = x->a_text;
    }
    if (x11_client_has(s, VD_AGENT_CLIPBOARD_IMAGE_PNG))
        t[n++] = x->a_png;
    XChangeProperty(x->dpy, rq->requestor, x11_req_property(rq), XA_ATOM, 32, PropModeReplace,
                    (unsigned char *)t, n);
    x11_notify(x, rq, x11_req_property(rq));
}

/* the data came: written at once, or announced INCR and sent as the
 * requestor deletes each piece. 1 when the request is done. */
static int x11_req_serve(struct agent_x11 *x, struct x11_req *r, const uint8_t *data, size_t len)
{
    Atom prop = x11_req_property(&r->ev);

    if (!(r->data = malloc(len ? len : 1))) {
        x11_notify(x, &r->ev, None);
        return 1;
    }
    memcpy(r->data, data, len);
    r->len = r->ev.target == x->a_string ? x11_to_latin1(r->data, len) : len;
    if (r->len <= x->max_chunk) {
        XChangeProperty(x->dpy, r->ev.requestor, prop, r->reply_type, 8, PropModeReplace,
                        r->data, (int)r->len);
        x11_notify(x, &r->ev, prop);
        return 1;
    }
    long size = (long)r->len;
    r->incr = 1;
    XSelectInput(x->dpy, r->ev.requestor, PropertyChangeMask);
    XChangeProperty(x->dpy, r->ev.requestor, prop, x->a_incr, 32, PropModeReplace,
                    (unsigned char *)&size, 1);
    x11_notify(x, &r->ev, prop);
    return 0;
}

/* an INCR requestor deleted the last piece: the next, or the empty end */
static void x11_req_incr_next(struct agent_x11 *x, struct x11_req *r)
{
    size_t k = r->len - r->at < x->max_chunk ? r->len - r->at : x->max_chunk;

    XChangeProperty(x->dpy, r->ev.requestor, x11_req_property(&r->ev), r->reply_type, 8,
                    PropModeReplace, r->data + r->at, (int)k);
    r->at += k;
    if (k == 0)
        x11_req_free(x, r);
}

static void x11_selection_request(struct agent_x11 *x, XSelectionRequestEvent *rq)
{
    int i = x11_sel_index(x, rq->selection);
    struct x11_sel *s = i >= 0 ? &x->sel[i] : NULL;
    uint32_t type = VD_AGENT_CLIPBOARD_NONE;

    if (!s || !s->owned || (rq->time != CurrentTime && rq->time < s->owned_at))
        return x11_notify(x, rq, None);
    if (rq->target == x->a_targets)
        return x11_answer_targets(x, rq, s);
    if (rq->target == x->a_timestamp) {
        long t = (long)s->owned_at;
        XChangeProperty(x->dpy, rq->requestor, x11_req_property(rq), XA_INTEGER, 32,
                        PropModeReplace, (unsigned char *)&t, 1);
        return x11_notify(x, rq, x11_req_property(rq));
    }
    if (x11_is_text(x, rq->target))
        type = VD_AGENT_CLIPBOARD_UTF8_TEXT;
    else if (rq->target == x->a_png)
        type = VD_AGENT_CLIPBOARD_IMAGE_PNG;
    struct x11_req *r = NULL;
    if (!x11_client_has(s, type) || x->n_reqs >= X11_MAX_REQS || !(r = calloc(1, sizeof(*r))))
        return x11_notify(x, rq, None);   /* MULTIPLE and the rest: refused */
    r->ev = *rq;
    r->sel = (unsigned)i;
    r->type = type;
    r->reply_type = rq->target == x->a_text ? x->a_utf8 : rq->target;
    /* the client is asked once for all the requests of one type */
    int asked = 0;
    for (struct x11_req *o = x->reqs; o; o = o->next)
        asked |= !o->incr && o->sel == r->sel && o->type == type;
    r->next = x->reqs;
    x->reqs = r;
    x->n_reqs++;
    const uint8_t *p;
    size_t len;
    if (!asked && floe_agent_clip_get(x->agent, r->sel, type, &p, &len) < 0)
        agent_x11_client_data(x, r->sel, type, NULL, 0);
}

void agent_x11_client_data(struct agent_x11 *x, unsigned sel, uint32_t type, const uint8_t *data,
                           size_t len)
{
    struct x11_req *r = x->reqs, *next;

    for (; r; r = next) {
        next = r->next;
        if (r->incr || r->sel != sel || r->type != type)
            continue;
        if (!data)
            x11_notify(x, &r->ev, None);
        if (!data || x11_req_serve(x, r, data, len))
            x11_req_free(x, r);
    }
    XFlush(x->dpy);
}

/* the client's selection given up: X requests waiting for it are refused */
static void x11_drop_waiting(struct agent_x11 *x, unsigned sel)
{
    for (struct x11_req *r = x->reqs, *next; r; r = next) {
        next = r->next;
        if (!r->incr && r->sel == sel) {
            x11_notify(x, &r->ev, None);
            x11_req_free(x, r);
        }
    }
}

void agent_x11_client_grab(struct agent_x11 *x, unsigned sel, const uint32_t *types, unsigned n)
{
    struct x11_sel *s = &x->sel[sel];

    s->n_client_types = 0;
    for (unsigned i = 0; i < n && s->n_client_types < 8; i++)
        if (types[i] == VD_AGENT_CLIPBOARD_UTF8_TEXT || types[i] == VD_AGENT_CLIPBOARD_IMAGE_PNG)
            s->client_types[s->n_client_types++] = types[i];
    s->offered = 0;   /* the core dropped the guest's offer for this grab */
    if (!s->n_client_types) {
        x11_drop_waiting(x, sel);
        if (s->owned)
            XSetSelectionOwner(x->dpy, s->atom, None, s->owned_at);
        s->owned = 0;
        XFlush(x->dpy);
        return;
    }
    s->owned_at = x11_server_time(x);
    XSetSelectionOwner(x->dpy, s->atom, x->win, s->owned_at);
    s->owned = XGetSelectionOwner(x->dpy, s->atom) == x->win;
    if (!s->owned)
        fprintf(stderr, "floe-agent: could not take the X selection for the client\n");
}

/* ---- an X client's selection, offered to the client ---- */

/* the whole property (deleted), up to `max` bytes: its items, or NULL */
static unsigned char *x11_take_property(struct agent_x11 *x, Atom prop, size_t max, Atom *type,
                                        int *format, unsigned long *items, int *over)
{
    unsigned long after = 0;
    unsigned char *p = NULL;

    *over = 0;
    if (XGetWindowProperty(x->dpy, x->win, prop, 0, (long)(max / 4 + 1), True, AnyPropertyType,
                           type, format, items, &after, &p) != Success)
        return NULL;
    if (after) {
        *over = 1;
        XDeleteProperty(x->dpy, x->win, prop);
    }
    return p;
}

static void x11_targets_came(struct agent_x11 *x, unsigned sel)
{
    struct x11_sel *s = &x->sel[sel];
    unsigned long n = 0;
    Atom type;
    int format, over;
    Atom *t = (Atom *)x11_take_property(x, s->prop, 4096, &type, &format, &n, &over);
    uint32_t vd[2];
    unsigned nvd = 0;
    int png = 0;

    s->text_target = None;
    for (unsigned long i = 0; t && format == 32 && i < n; i++) {
        /* the best text: UTF8_STRING, then text/plain;charset=utf-8, then STRING */
        if (t[i] == x->a_utf8 || (t[i] == x->a_plain_utf8 && s->text_target != x->a_utf8) ||
            (t[i] == x->a_string && s->text_target == None))
            s->text_target = t[i];
        png |= t[i] == x->a_png;
    }
    if (t)
        XFree(t);
    if (s->text_target != None)
        vd[nvd++] = VD_AGENT_CLIPBOARD_UTF8_TEXT;
    if (png)
        vd[nvd++] = VD_AGENT_CLIPBOARD_IMAGE_PNG;
    if (!nvd) {
        if (s->offered)
            floe_agent_clip_release(x->agent, sel);
        s->offered = 0;
        return;
    }
    int rc = floe_agent_clip_offer(x->agent, sel, vd, nvd);
    s->offered = rc == 0;
    if (rc < 0)
        fprintf(stderr, "floe-agent: the X selection could not be offered: %s\n", strerror(-rc));
}

static void x11_owner_changed(struct agent_x11 *x, XFixesSelectionNotifyEvent *e)
{
    int i = x11_sel_index(x, e->selection);

    if (i < 0 || e->owner == x->win)
        return;
    struct x11_sel *s = &x->sel[i];
    s->owned = 0;
    if (e->owner == None) {
        if (s->offered)
            floe_agent_clip_release(x->agent, (unsigned)i);
        s->offered = 0;
        return;
    }
    XConvertSelection(x->dpy, s->atom, x->a_targets, s->prop, x->win, e->selection_timestamp);
}

void agent_x11_client_request(struct agent_x11 *x, unsigned sel, uint32_t type)
{
    struct x11_sel *s = &x->sel[sel];
    Atom target = type == VD_AGENT_CLIPBOARD_IMAGE_PNG ? x->a_png : s->text_target;

    if (!s->offered || s->reading || target == None) {
        floe_agent_clip_reply(x->agent, sel, type, NULL, 0);
        return;
    }
    s->reading = 1;
    s->incr = s->overflow = 0;
    s->read_type = type;
    s->read_target = target;
    s->len = 0;
    XConvertSelection(x->dpy, s->atom, target, s->prop, x->win, CurrentTime);
    XFlush(x->dpy);
}

static size_t x11_read_limit(struct agent_x11 *x)
{
    int32_t max = floe_agent_max_clipboard(x->agent);
    return max >= 0 && (size_t)max < X11_MAX_READ ? (size_t)max : X11_MAX_READ;
}

/* the conversion is over: its bytes (or none) to the client */
static void x11_read_done(struct agent_x11 *x, unsigned sel, int ok)
{
    struct x11_sel *s = &x->sel[sel];
    uint8_t *p = s->buf, *conv = NULL;
    size_t len = s->len;

    if (ok && s->overflow) {
        fprintf(stderr, "floe-agent: the X selection is over %zu bytes, not sent\n",
                x11_read_limit(x));
        ok = 0;
    }
    if (ok && s->read_target == x->a_string && (conv = x11_from_latin1(s->buf, s->len, &len)))
        p = conv;
    floe_agent_clip_reply(x->agent, sel, s->read_type, ok ? (p ? p : (const uint8_t *)"") : NULL,
                          len);
    free(conv);
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
    s->reading = s->incr = 0;
}

static void x11_read_append(struct agent_x11 *x, struct x11_sel *s, const uint8_t *p, size_t n)
{
    if (s->overflow || s->len + n > x11_read_limit(x)) {
        s->overflow = 1;
        return;
    }
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 65536;
        while (cap < s->len + n)
            cap *= 2;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb) {
            s->overflow = 1;
            return;
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

/* the owner answered a conversion of ours (TARGETS, or the client's REQUEST) */
static void x11_selection_notify(struct agent_x11 *x, XSelectionEvent *e)
{
    int i = x11_sel_index(x, e->selection);

    if (i < 0)
        return;
    struct x11_sel *s = &x->sel[i];
    if (e->target == x->a_targets) {
        if (e->property != None)
            x11_targets_came(x, (unsigned)i);
        return;
    }
    if (!s->reading || e->target != s->read_target)
        return;
    if (e->property == None)
        return x11_read_done(x, (unsigned)i, 0);
    Atom type;
    int format, over;
    unsigned long n;
    unsigned char *p = x11_take_property(x, s->prop, x11_read_limit(x), &type, &format, &n, &over);
    if (p && type == x->a_incr) {
        s->incr = 1;   /* the pieces come as PropertyNotify (deleting it asked for them) */
    } else if (p) {
        x11_read_append(x, s, p, format == 8 ? n : 0);
        s->overflow |= over;
    }
    if (p)
        XFree(p);
    if (!s->incr)
        x11_read_done(x, (unsigned)i, p != NULL);
}

/* a piece of an INCR conversion on our window; the empty one ends it */
static void x11_incr_piece(struct agent_x11 *x, unsigned sel)
{
    struct x11_sel *s = &x->sel[sel];
    Atom type;
    int format, over;
    unsigned long n;
    unsigned char *p = x11_take_property(x, s->prop, x->max_chunk * 4, &type, &format, &n, &over);

    if (!p)
        return;
    if (n == 0)
        x11_read_done(x, sel, 1);
    else
        x11_read_append(x, s, p, format == 8 ? n : 0);
    s->overflow |= over;
    XFree(p);
}

static void x11_property(struct agent_x11 *x, XPropertyEvent *e)
{
    if (e->window == x->win) {
        for (unsigned i = 0; i < X11_SELECTIONS; i++)
            if (e->atom == x->sel[i].prop && e->state == PropertyNewValue && x->sel[i].incr)
                x11_incr_piece(x, i);
        return;
    }
    if (e->state != PropertyDelete)
        return;
    for (struct x11_req *r = x->reqs; r; r = r->next) {
        if (r->incr && r->ev.requestor == e->window && x11_req_property(&r->ev) == e->atom) {
            x11_req_incr_next(x, r);
            return;
        }
    }
}

int x11_sel_event(struct agent_x11 *x, XEvent *ev)
{
    if (ev->type == x->fixes_event + XFixesSelectionNotify) {
        x11_owner_changed(x, (XFixesSelectionNotifyEvent *)ev);
        return 1;
    }
    switch (ev->type) {
    case SelectionRequest:
        x11_selection_request(x, &ev->xselectionrequest);
        return 1;
    case SelectionNotify:
        x11_selection_notify(x, &ev->xselection);
        return 1;
    case SelectionClear: {
        int i = x11_sel_index(x, ev->xselectionclear.selection);
        if (i >= 0)
            x->sel[i].owned = 0;   /* the new owner's XFIXES event offers it */
        return 1;
    }
    case PropertyNotify:
        x11_property(x, &ev->xproperty);
        return 1;
    }
    return 0;
}

void x11_sel_init(struct agent_x11 *x)
{
    Window root = DefaultRootWindow(x->dpy);

    for (unsigned i = 0; i < X11_SELECTIONS; i++) {
        XFixesSelectSelectionInput(x->dpy, root, x->sel[i].atom,
                                   XFixesSetSelectionOwnerNotifyMask |
                                   XFixesSelectionWindowDestroyNotifyMask |
                                   XFixesSelectionClientCloseNotifyMask);
        /* what an X client holds already is offered as if it had just come */
        Window owner = XGetSelectionOwner(x->dpy, x->sel[i].atom);
        if (owner != None)
            XConvertSelection(x->dpy, x->sel[i].atom, x->a_targets, x->sel[i].prop, x->win,
                              CurrentTime);
    }
}

void x11_sel_free(struct agent_x11 *x)
{
    while (x->reqs)
        x11_req_free(x, x->reqs);
    for (unsigned i = 0; i < X11_SELECTIONS; i++) {
        if (x->sel[i].owned)
            XSetSelectionOwner(x->dpy, x->sel[i].atom, None, x->sel[i].owned_at);
        free(x->sel[i].buf);
    }
}
