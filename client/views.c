/* The monitors the client shows, in order: for each display channel, its
 * primary surface whole, or, when the server's MONITORS_CONFIG names heads
 * (a guest's outputs on one graphics device), each head's rectangle of it.
 * Every function runs with client->lock held. */
#include "client/internal.h"

#include <string.h>

/* How many monitors display d shows (0 without a primary). */
static int shown(const struct fcli_display *d)
{
    if (!d->primary)
        return 0;
    return d->nheads > 0 ? d->nheads : 1;
}

int fcli_views_count(struct floe_client *c)
{
    int n = 0, displays = atomic_load(&c->n_displays);

    for (int k = 0; k < displays; k++) {
        int s = shown(&c->displays[k]);
        /* a display without a surface yet keeps its place */
        n += s ? s : 1;
    }
    return n;
}

int fcli_view_find(struct floe_client *c, int view, struct fcli_view *out)
{
    int displays = atomic_load(&c->n_displays);

    if (view < 0)
        return -1;
    for (int k = 0; k < displays; k++) {
        struct fcli_display *d = &c->displays[k];
        int s = shown(d);
        if (view >= (s ? s : 1)) {
            view -= s ? s : 1;
            continue;
        }
        if (!s)
            return -1;
        out->display = k;
        out->head = view;
        if (d->nheads == 0) {
            out->x = out->y = 0;
            out->w = d->primary->width;
            out->h = d->primary->height;
        } else {
            /* clipped to the surface: a head may name more */
            const struct fcli_head *h = &d->heads[view];
            out->x = h->x < d->primary->width ? h->x : d->primary->width;
            out->y = h->y < d->primary->height ? h->y : d->primary->height;
            out->w = h->w < d->primary->width - out->x ? h->w : d->primary->width - out->x;
            out->h = h->h < d->primary->height - out->y ? h->h : d->primary->height - out->y;
        }
        /* a head wholly off the surface shows nothing */
        return out->w > 0 && out->h > 0 ? 0 : -1;
    }
    return -1;
}

void fcli_view_take_damage(struct fcli_display *d, const struct fcli_view *v, int *x, int *y,
                           int *w, int *h)
{
    pixman_region32_t mine;
    pixman_box32_t *e;
    int n = d->nheads > 0 ? d->nheads : 1;

    /* what changed since any view looked goes to every view of the display */
    if (pixman_region32_not_empty(&d->damage)) {
        for (int i = 0; i < n; i++)
            pixman_region32_union(&d->head_damage[i], &d->head_damage[i], &d->damage);
        pixman_region32_clear(&d->damage);
    }
    pixman_region32_init_rect(&mine, v->x, v->y, (unsigned)v->w, (unsigned)v->h);
    pixman_region32_intersect(&mine, &mine, &d->head_damage[v->head]);
    pixman_region32_clear(&d->head_damage[v->head]);
    *x = *y = *w = *h = 0;
    if (pixman_region32_not_empty(&mine)) {
        e = pixman_region32_extents(&mine);
        *x = e->x1 - v->x;
        *y = e->y1 - v->y;
        *w = e->x2 - e->x1;
        *h = e->y2 - e->y1;
    }
    pixman_region32_fini(&mine);
}

int fcli_display_set_heads(struct fcli_display *d, int count, const struct fcli_head *heads)
{
    if (count == d->nheads && !memcmp(heads, d->heads, (size_t)count * sizeof(*heads)))
        return 0;
    memcpy(d->heads, heads, (size_t)count * sizeof(*heads));
    d->nheads = count;
    /* every view shows all it has anew */
    for (int i = 0; i < FLOE_CLIENT_MAX_HEADS; i++)
        pixman_region32_clear(&d->head_damage[i]);
    if (d->primary)
        pixman_region32_reset(&d->damage, &(pixman_box32_t){ 0, 0, d->primary->width,
                                                              d->primary->height });
    return 1;
}
