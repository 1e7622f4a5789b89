/* The demo's pointer: an arrow shape with a soft shadow, moved along with
 * the dragged window, or to where a client's pointer is for a while. */
#include "demo/demo-priv.h"

#define CURSOR_W 16
#define CURSOR_H 24

/* X black outline, . white fill. */
static const char *const arrow[] = {
    "X",
    "XX",
    "X.X",
    "X..X",
    "X...X",
    "X....X",
    "X.....X",
    "X......X",
    "X.......X",
    "X........X",
    "X.........X",
    "X..........X",
    "X......XXXXXX",
    "X...X..X",
    "X..XX..X",
    "X.X  X..X",
    "XX   X..X",
    "X     X..X",
    "      X..X",
    "       XX",
};

#define ARROW_ROWS (int)(sizeof(arrow) / sizeof(arrow[0]))

static int solid(int x, int y)
{
    if (x < 0 || y < 0 || y >= ARROW_ROWS)
        return 0;
    for (int i = 0; i <= x; i++)
        if (!arrow[y][i])
            return 0;
    return arrow[y][x] != ' ';
}

void floe_demo_cursor_init(struct floe_demo *d)
{
    uint32_t argb[CURSOR_W * CURSOR_H];

    for (int y = 0; y < CURSOR_H; y++)
        for (int x = 0; x < CURSOR_W; x++) {
            uint32_t *p = &argb[y * CURSOR_W + x];

            if (solid(x, y))
                *p = arrow[y][x] == 'X' ? 0xff000000 : 0xffffffff;
            else if (solid(x - 1, y - 1) || solid(x - 2, y - 2))
                *p = 0x40000000; /* premultiplied black at 25% */
            else
                *p = 0;
        }
    floe_server_cursor_set(d->srv, argb, CURSOR_W, CURSOR_H, 0, 0);
}

/* Grabbing the About window's title bar, or following a client. */
void floe_demo_cursor_tick(struct floe_demo *d)
{
    const struct floe_rect *r = &d->layers[FLOE_DEMO_ABOUT].r;

    if (d->pointer_new) {
        d->pointer_new = 0;
        d->follow_until = d->tick + 3 * (uint64_t)d->fps;
        floe_server_cursor_move(d->srv, d->pointer_x, d->pointer_y);
        return;
    }
    if (d->tick < d->follow_until)
        return;
    floe_server_cursor_move(d->srv, r->x + r->w * 3 / 10, r->y + floe_demo_scale(15, d->fs));
}
