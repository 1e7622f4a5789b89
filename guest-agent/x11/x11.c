/* floe-agent's X11 backend: the display connection, its event loop, and
 * monitors configs through RandR (the selections are selection.c's). */
#include "guest-agent/x11/x11-int.h"

#include <X11/Xatom.h>
#include <X11/extensions/Xfixes.h>
#include <X11/extensions/Xrandr.h>
#include <stdlib.h>
#include <string.h>

/* An X error (a requestor window gone, a mode refused) must not end the
 * agent: Xlib's default handler exits. The last one is kept for RandR. */
static int x11_last_error;

static int x11_on_error(Display *dpy, XErrorEvent *e)
{
    char text[128];

    XGetErrorText(dpy, e->error_code, text, sizeof(text));
    fprintf(stderr, "floe-agent: X error: %s (request %u.%u)\n", text, e->request_code,
            e->minor_code);
    x11_last_error = e->error_code;
    return 0;
}

static int x11_on_io_error(Display *dpy)
{
    (void)dpy;
    fprintf(stderr, "floe-agent: the X display is gone\n");
    exit(1);   /* Xlib cannot go on after this; a supervisor restarts the agent */
}

static void x11_atoms(struct agent_x11 *x)
{
    static const char *names[] = { "TARGETS", "TIMESTAMP", "MULTIPLE", "INCR", "UTF8_STRING",
                                   "TEXT", "text/plain;charset=utf-8", "image/png", "ATOM_PAIR",
                                   "FLOE_AGENT_TIME", "CLIPBOARD", "FLOE_AGENT_CLIPBOARD",
                                   "FLOE_AGENT_PRIMARY" };
    Atom a[sizeof(names) / sizeof(names[0])];

    XInternAtoms(x->dpy, (char **)names, (int)(sizeof(names) / sizeof(names[0])), False, a);
    x->a_targets = a[0];
    x->a_timestamp = a[1];
    x->a_multiple = a[2];
    x->a_incr = a[3];
    x->a_utf8 = a[4];
    x->a_string = XA_STRING;
    x->a_text = a[5];
    x->a_plain_utf8 = a[6];
    x->a_png = a[7];
    x->a_atom_pair = a[8];
    x->a_time_prop = a[9];
    x->sel[0].atom = a[10];
    x->sel[0].prop = a[11];
    x->sel[1].atom = XA_PRIMARY;
    x->sel[1].prop = a[12];
}

struct agent_x11 *agent_x11_new(const char *display, struct floe_agent *a)
{
    struct agent_x11 *x = calloc(1, sizeof(*x));
    int ev, err, major = 0, minor = 0;

    if (!x)
        return NULL;
    if (!(x->dpy = XOpenDisplay(display))) {
        fprintf(stderr, "floe-agent: cannot open the X display %s\n",
                display ? display : "(DISPLAY unset)");
        free(x);
        return NULL;
    }
    if (!XFixesQueryExtension(x->dpy, &x->fixes_event, &err)) {
        fprintf(stderr, "floe-agent: the X display %s lacks XFIXES\n", DisplayString(x->dpy));
        XCloseDisplay(x->dpy);
        free(x);
        return NULL;
    }
    XSetErrorHandler(x11_on_error);
    XSetIOErrorHandler(x11_on_io_error);
    x->randr = XRRQueryExtension(x->dpy, &ev, &err) && XRRQueryVersion(x->dpy, &major, &minor) &&
               (major > 1 || (major == 1 && minor >= 2));
    x->agent = a;
    /* a property written at once stays under the core request size
     * (without BIG-REQUESTS); more goes INCR */
    x->max_chunk = (size_t)XMaxRequestSize(x->dpy) * 4 - 1024;
    x->win = XCreateSimpleWindow(x->dpy, DefaultRootWindow(x->dpy), -10, -10, 1, 1, 0, 0, 0);
    XSelectInput(x->dpy, x->win, PropertyChangeMask);
    x11_atoms(x);
    x11_sel_init(x);
    XFlush(x->dpy);
    fprintf(stderr, "floe-agent: X display %s: CLIPBOARD and PRIMARY mirrored%s\n",
            DisplayString(x->dpy), x->randr ? ", monitors configs through RandR" : "");
    return x;
}

void agent_x11_free(struct agent_x11 *x)
{
    if (!x)
        return;
    x11_sel_free(x);
    XDestroyWindow(x->dpy, x->win);
    XCloseDisplay(x->dpy);
    free(x);
}

int agent_x11_fd(const struct agent_x11 *x)
{
    return ConnectionNumber(x->dpy);
}

void agent_x11_dispatch(struct agent_x11 *x)
{
    XEvent ev;

    while (XPending(x->dpy)) {
        XNextEvent(x->dpy, &ev);
        x11_sel_event(x, &ev);
    }
    XFlush(x->dpy);
}

/* ---- RandR ---- */

/* the output's mode of this size, or one made and added to it */
static RRMode x11_mode_for(struct agent_x11 *x, XRRScreenResources *res, RROutput out,
                           XRROutputInfo *oi, unsigned w, unsigned h)
{
    char name[32];
    XRRModeInfo *mi;
    RRMode id;

    for (int i = 0; i < res->nmode; i++) {
        if (res->modes[i].width != w || res->modes[i].height != h)
            continue;
        for (int k = 0; k < oi->nmode; k++)
            if (oi->modes[k] == res->modes[i].id)
                return res->modes[i].id;
        XRRAddOutputMode(x->dpy, out, res->modes[i].id);   /* known, not on this output */
        return res->modes[i].id;
    }
    snprintf(name, sizeof(name), "%ux%u", w, h);
    if (!(mi = XRRAllocModeInfo(name, (int)strlen(name))))
        return None;
    mi->width = w;
    mi->height = h;
    mi->hTotal = w;   /* 60 Hz, with no blanking: there is no monitor to please */
    mi->vTotal = h;
    mi->dotClock = (unsigned long)w * h * 60;
    id = XRRCreateMode(x->dpy, DefaultRootWindow(x->dpy), mi);
    XRRFreeModeInfo(mi);
    if (id)
        XRRAddOutputMode(x->dpy, out, id);
    return id;
}

/* the first connected output with a CRTC it can use */
static RROutput x11_output(struct agent_x11 *x, XRRScreenResources *res, XRROutputInfo **oi,
                           RRCrtc *crtc)
{
    for (int i = 0; i < res->noutput; i++) {
        XRROutputInfo *o = XRRGetOutputInfo(x->dpy, res, res->outputs[i]);
        if (o && o->connection == RR_Connected && (o->crtc || o->ncrtc)) {
            *crtc = o->crtc ? o->crtc : o->crtcs[0];
            *oi = o;
            return res->outputs[i];
        }
        if (o)
            XRRFreeOutputInfo(o);
    }
    return None;
}

static int x11_set_mode(struct agent_x11 *x, unsigned w, unsigned h, unsigned mmw, unsigned mmh)
{
    Window root = DefaultRootWindow(x->dpy);
    XRRScreenResources *res = XRRGetScreenResourcesCurrent(x->dpy, root);
    XRROutputInfo *oi = NULL;
    RRCrtc crtc = None;
    RROutput out;
    RRMode mode;
    int minw, minh, maxw, maxh, rc = 0;

    if (!res)
        return -EIO;
    if (!XRRGetScreenSizeRange(x->dpy, root, &minw, &minh, &maxw, &maxh) ||
        (int)w < minw || (int)h < minh || (int)w > maxw || (int)h > maxh) {
        rc = -ERANGE;
        goto out;
    }
    if (!(out = x11_output(x, res, &oi, &crtc))) {
        rc = -ENODEV;
        goto out;
    }
    x11_last_error = 0;
    XGrabServer(x->dpy);
    if (!(mode = x11_mode_for(x, res, out, oi, w, h))) {
        rc = -EINVAL;
    } else {
        /* the CRTC off first: the screen cannot shrink under a mode */
        XRRSetCrtcConfig(x->dpy, res, crtc, CurrentTime, 0, 0, None, RR_Rotate_0, NULL, 0);
        XRRSetScreenSize(x->dpy, root, (int)w, (int)h, (int)mmw, (int)mmh);
        XRRSetCrtcConfig(x->dpy, res, crtc, CurrentTime, 0, 0, mode, RR_Rotate_0, &out, 1);
    }
    XUngrabServer(x->dpy);
    XSync(x->dpy, False);
    if (!rc && x11_last_error)
        rc = -EIO;
out:
    if (oi)
        XRRFreeOutputInfo(oi);
    XRRFreeScreenResources(res);
    return rc;
}

int agent_x11_monitors(struct agent_x11 *x, const struct floe_agent_monitor *mons, uint32_t n)
{
    uint32_t i = 0;

    if (!x->randr)
        return -ENOTSUP;
    while (i < n && (!mons[i].width || !mons[i].height))
        i++;
    if (i == n)
        return 0;   /* every monitor off: the X screen stays as it is */
    const struct floe_agent_monitor *m = &mons[i];
    /* without a physical size from the client, 96 dpi */
    unsigned mmw = m->mm_width ? m->mm_width : (unsigned)(m->width * 254 / 960);
    unsigned mmh = m->mm_height ? m->mm_height : (unsigned)(m->height * 254 / 960);
    return x11_set_mode(x, m->width, m->height, mmw, mmh);
}
