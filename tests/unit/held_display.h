/* A display channel made inside libfloe-server for the unit tests of its
 * queue (test_display_queue, test_lossy): linked and past DISPLAY_INIT (no
 * cache, no GLZ), held as if its first image were being encoded, so it
 * writes nothing by itself and its whole queue can be read. Include after
 * cmocka.h and server/internal.h. */
#ifndef FLOE_TESTS_HELD_DISPLAY_H
#define FLOE_TESTS_HELD_DISPLAY_H

#include <stdio.h>
#include <stdlib.h>

/* Monitor 0's display channel of session sess on server s. */
static struct fsrv_chan *held_display_new(struct floe_server *s, struct fsrv_session *sess)
{
    struct spice_display_init init = { 1, 0, 0, 0 };   /* no cache, no GLZ */
    struct fsrv_chan *c = calloc(1, sizeof(*c));
    struct floe_wbuf w;

    assert_non_null(c);
    c->srv = s;
    c->sess = sess;
    c->state = LINK_DONE;
    c->type = SPICE_CHANNEL_DISPLAY;
    c->held = HELD_ENCODING;
    c->ops = &fsrv_display_ops;
    snprintf(c->peer, sizeof(c->peer), "test");
    spice_caps_set(c->caps.channel, SPICE_DISPLAY_CAP_MONITORS_CONFIG);
    sess->display[0] = c;
    s->sessions = sess;
    c->ops->linked(c);
    assert_non_null(c->priv);
    floe_wbuf_init(&w, 0);
    spice_display_init_put(&w, &init);
    assert_int_equal(c->ops->handle(c, SPICE_MSGC_DISPLAY_INIT, w.data, (uint32_t)w.len), 0);
    floe_wbuf_free(&w);
    return c;
}

/* Closes c and frees what it still holds queued. */
static void held_display_free(struct floe_server *s, struct fsrv_chan *c)
{
    c->ops->closed(c);
    assert_null(c->priv);
    assert_null(c->lossy);
    while (c->head) {
        struct fsrv_qitem *q = c->head;

        c->head = q->next;
        fsrv_msg_unref(q->msg);
        free(q);
    }
    free(c);
    s->sessions = NULL;
}

#endif
