/* floe-viewer's --pointer script: relative moves, absolute positions and
 * buttons sent once the picture is up, each when the session's mouse mode
 * is the one it needs. For tests that follow the pointer into a guest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "programs/floe-viewer/viewer.h"

#define PROG "floe-viewer"
#define STEP_GAP_MS 50

static const char *const kinds[] = { "rel", "abs", "press", "release" };

/* One step, "KIND N [N]": 0, or -1 when it is not one. */
static int parse_step(const char *text, struct viewer_pointer_step *st)
{
    char kind[16];
    int n, a, b, args;

    n = sscanf(text, " %15s %d %d %n", kind, &a, &b, &args);
    for (st->kind = 0; st->kind < 4; st->kind++)
        if (!strcmp(kind, kinds[st->kind]))
            break;
    if (st->kind >= 4)
        return -1;
    if (st->kind <= POINTER_ABS) {
        if (n < 3 || text[args] || (st->kind == POINTER_ABS && (a < 0 || b < 0)))
            return -1;
        st->a = a;
        st->b = b;
        return 0;
    }
    if (sscanf(text, " %15s %d %n", kind, &a, &args) < 2 || text[args] || a < 1 || a > 5)
        return -1;
    st->a = a;
    return 0;
}

int viewer_pointer_parse(struct viewer_pointer *p, const char *script)
{
    char *copy = strdup(script), *save = NULL, *tok;
    int rc = 0;

    if (!copy)
        return -1;
    memset(p->steps, 0, sizeof(p->steps));
    p->n = 0;
    for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        if (p->n >= VIEWER_POINTER_MAX || parse_step(tok, &p->steps[p->n]))
            rc = -1;
        else
            p->n++;
    }
    free(copy);
    return p->n == 0 ? -1 : rc;
}

/* The mode a step waits for: 1 server (relative), 2 client (absolute), 0 any. */
static int mode_needed(const struct viewer_pointer_step *st)
{
    return st->kind == POINTER_REL ? 1 : st->kind == POINTER_ABS ? 2 : 0;
}

static void send_step(struct floe_client *c, const struct viewer_pointer_step *st, int mode)
{
    switch (st->kind) {
    case POINTER_REL: floe_client_mouse_motion(c, st->a, st->b); break;
    case POINTER_ABS: floe_client_mouse_position(c, st->a, st->b); break;
    default: floe_client_mouse_button(c, st->a, st->kind == POINTER_PRESS); break;
    }
    if (st->kind <= POINTER_ABS)
        fprintf(stderr, PROG ": pointer: %s %d %d sent in %s mouse mode\n", kinds[st->kind],
                st->a, st->b, mode == 2 ? "client" : "server");
    else
        fprintf(stderr, PROG ": pointer: %s %d sent in %s mouse mode\n", kinds[st->kind], st->a,
                mode == 2 ? "client" : "server");
}

int viewer_pointer_step(struct viewer_pointer *p, struct floe_client *c, int64_t now)
{
    const struct viewer_pointer_step *st;
    int mode, want, wait;

    if (p->pos >= p->n)
        return -1;
    if ((wait = viewer_wait_up(&p->up_ms, p->delay_ms, c, now)) > 0)
        return wait;
    if (now < p->next_ms)
        return (int)(p->next_ms - now);
    st = &p->steps[p->pos];
    mode = floe_client_mouse_mode(c);
    want = mode_needed(st);
    if (want && mode != want)
        return 20;
    send_step(c, st, mode);
    p->pos++;
    p->next_ms = now + STEP_GAP_MS;
    return STEP_GAP_MS;
}
