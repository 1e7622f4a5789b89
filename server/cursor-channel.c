/* The CURSOR channel and the server's cursor state: shape (ALPHA), position
 * and visibility, sent whole on connect and as changes afterwards. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "protocol/spice/varmsgs.h"
#include "server/internal.h"

struct fsrv_msg *fsrv_cursor_msg(struct floe_server *s, int init)
{
    struct fsrv_cursor_state *cs = &s->cursor;
    struct floe_wbuf w;
    struct spice_cursor_msg m = {
        .position = { (int16_t)cs->x, (int16_t)cs->y },
        .visible = (uint8_t)(cs->argb && cs->visible),
        .cursor = { .flags = SPICE_CURSOR_FLAG_NONE },
    };

    if (cs->argb)
        m.cursor = (struct spice_cursor){
            .header = { cs->unique, SPICE_CURSOR_TYPE_ALPHA, (uint16_t)cs->w, (uint16_t)cs->h,
                        (uint16_t)cs->hot_x, (uint16_t)cs->hot_y },
            .data = (const uint8_t *)cs->argb,
            .data_len = (size_t)cs->w * cs->h * 4,
        };
    floe_wbuf_init(&w, 0);
    if (init)
        spice_cursor_init_put(&w, &m);
    else
        spice_cursor_set_put(&w, &m);
    return fsrv_msg_from_wbuf(init ? SPICE_MSG_CURSOR_INIT : SPICE_MSG_CURSOR_SET, &w);
}

static void broadcast(struct floe_server *s, struct fsrv_msg *m)
{
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        if (ss->cursor)
            fsrv_chan_send(ss->cursor, m);
    fsrv_msg_unref(m);
}

static void cursor_linked(struct fsrv_chan *c)
{
    struct fsrv_msg *m = fsrv_cursor_msg(c->srv, 1);

    fsrv_chan_set_ack(c, 20);
    fsrv_chan_send(c, m);
    fsrv_msg_unref(m);
}

void floe_server_cursor_set(struct floe_server *s, const uint32_t *argb, int w, int h,
                            int hot_x, int hot_y)
{
    struct fsrv_cursor_state *cs = &s->cursor;
    uint32_t *copy;

    if (w <= 0 || h <= 0 || w > 512 || h > 512)
        return;
    copy = malloc((size_t)w * h * 4);
    if (!copy)
        return;
    memcpy(copy, argb, (size_t)w * h * 4);
    free(cs->argb);
    cs->argb = copy;
    cs->w = w;
    cs->h = h;
    cs->hot_x = hot_x < 0 ? 0 : hot_x >= w ? w - 1 : hot_x;
    cs->hot_y = hot_y < 0 ? 0 : hot_y >= h ? h - 1 : hot_y;
    cs->unique++;
    cs->visible = 1;
    broadcast(s, fsrv_cursor_msg(s, 0));
}

void floe_server_cursor_move(struct floe_server *s, int x, int y)
{
    struct floe_wbuf w;
    struct spice_point16 pos = { (int16_t)x, (int16_t)y };

    if (x == s->cursor.x && y == s->cursor.y)
        return;
    s->cursor.x = x;
    s->cursor.y = y;
    floe_wbuf_init(&w, 0);
    spice_point16_put(&w, &pos);
    broadcast(s, fsrv_msg_from_wbuf(SPICE_MSG_CURSOR_MOVE, &w));
}

void floe_server_cursor_hide(struct floe_server *s)
{
    s->cursor.visible = 0;
    broadcast(s, fsrv_msg_new(SPICE_MSG_CURSOR_HIDE, NULL, 0));
}

static int is_cursor_change(const struct fsrv_msg *m)
{
    return m->type == SPICE_MSG_CURSOR_MOVE || m->type == SPICE_MSG_CURSOR_SET ||
           m->type == SPICE_MSG_CURSOR_HIDE;
}

struct cursor_edit {
    int changes;   /* queued shape and position changes */
    int seen;
};

static int count_changes(struct fsrv_chan *c, const struct fsrv_msg *m, void *arg)
{
    struct cursor_edit *e = arg;

    if (m && is_cursor_change(m))
        e->changes++;
    return 0;
}

/* Takes every change out and sends the current state where the last of
 * them stood (at the end when there was none). */
static int replace_changes(struct fsrv_chan *c, const struct fsrv_msg *m, void *arg)
{
    struct cursor_edit *e = arg;
    struct fsrv_msg *now;

    if (m ? !is_cursor_change(m) : e->changes > 0)
        return 0;
    if (!m || ++e->seen == e->changes) {
        now = fsrv_cursor_msg(c->srv, 0);
        fsrv_chan_send(c, now);
        fsrv_msg_unref(now);
    }
    return m != NULL;
}

/* A client that does not keep up: its queued shape and position changes
 * are replaced by one message with the current state, where the last of
 * them stood, so everything else keeps its order. */
static void cursor_overflow(struct fsrv_chan *c)
{
    struct cursor_edit e = { 0, 0 };

    fsrv_chan_edit(c, count_changes, &e);
    fsrv_chan_edit(c, replace_changes, &e);
}

const struct fsrv_chan_ops fsrv_cursor_ops = {
    .linked = cursor_linked,
    .overflow = cursor_overflow,
};
