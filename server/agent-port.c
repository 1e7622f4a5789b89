/* The guest-agent relay's way to the guest: chunks of at most 2048 bytes,
 * each holding bytes of one message; port 1 taken by one source (a client,
 * or the server speaking for one) from a message's first chunk to its last,
 * so that messages from several clients never interleave; port 2 for the
 * server's own messages. A client's token comes back when its bytes were
 * taken by the port. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/internal.h"

static struct fsrv_agent_buf *buf_new(void)
{
    return calloc(1, sizeof(struct fsrv_agent_buf));
}

int fsrv_agent_src_add(struct fsrv_agent_src *src, const uint8_t *p, uint32_t n, int end)
{
    while (n > 0 || end) {
        struct fsrv_agent_buf *b = src->tail;
        uint32_t take;

        if (!b || !b->open || b->len == FSRV_AGENT_PIECE) {
            if (b)
                b->open = 0;
            if (!(b = buf_new()))
                return -ENOMEM;
            b->open = 1;
            if (src->tail)
                src->tail->next = b;
            else
                src->head = b;
            src->tail = b;
        }
        take = FSRV_AGENT_PIECE - b->len < n ? FSRV_AGENT_PIECE - b->len : n;
        memcpy(b->data + SPICE_SIZE_vdi_chunk_header + b->len, p, take);
        b->len += take;
        p += take;
        n -= take;
        if (n == 0 && end) {
            b->ends = 1;
            b->open = 0;
            end = 0;
        }
    }
    return 0;
}

void fsrv_agent_src_close(struct fsrv_agent_src *src)
{
    if (src->tail)
        src->tail->open = 0;
}

int fsrv_agent_server_msg(struct floe_server *s, uint32_t port, uint32_t type,
                          const uint8_t *body, uint32_t len)
{
    struct fsrv_agent *ag = &s->agent;
    struct spice_vd_agent_header h = { VD_AGENT_PROTOCOL, type, 0, len };
    struct fsrv_agent_src tmp = { 0 };
    uint8_t head[SPICE_SIZE_vd_agent_header];
    struct floe_wbuf w;
    int rc;

    if (!ag->attached)
        return 0;
    floe_wbuf_init(&w, 0);
    spice_vd_agent_header_put(&w, &h);
    memcpy(head, w.data, sizeof(head));
    floe_wbuf_free(&w);
    rc = fsrv_agent_src_add(port == VDP_SERVER_PORT ? &tmp : &ag->own, head, sizeof(head),
                            len == 0);
    if (rc == 0 && len)
        rc = fsrv_agent_src_add(port == VDP_SERVER_PORT ? &tmp : &ag->own, body, len, 1);
    fsrv_agent_src_close(&ag->own);
    if (tmp.head) {
        /* port 2 takes whole messages in any order with port 1 */
        tmp.tail->open = 0;
        if (ag->srv_tail)
            ag->srv_tail->next = tmp.head;
        else
            ag->srv_head = tmp.head;
        ag->srv_tail = tmp.tail;
    }
    fsrv_agent_pump(s);
    return rc;
}

/* Offers one chunk to the port: 0 taken, -EAGAIN not. */
static int write_chunk(struct fsrv_agent *ag, struct fsrv_agent_buf *b, uint32_t port)
{
    struct spice_vdi_chunk_header ch = { port, b->len };
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    spice_vdi_chunk_header_put(&w, &ch);
    memcpy(b->data, w.data, SPICE_SIZE_vdi_chunk_header);
    floe_wbuf_free(&w);
    return ag->port.write_fn(ag->port.opaque, b->data, SPICE_SIZE_vdi_chunk_header + b->len);
}

/* Zeros end the message of a client that went while it was being sent. */
static int write_pad(struct floe_server *s)
{
    struct fsrv_agent *ag = &s->agent;
    struct fsrv_agent_buf *b = buf_new();
    int rc;

    if (!b)
        return -EAGAIN;
    b->len = ag->pad_left < FSRV_AGENT_PIECE ? (uint32_t)ag->pad_left : FSRV_AGENT_PIECE;
    rc = write_chunk(ag, b, VDP_CLIENT_PORT);
    if (rc == 0)
        ag->pad_left -= b->len;
    free(b);
    return rc;
}

/* The next source to have port 1, round the sessions from the oldest. */
static struct fsrv_agent_src *next_source(struct floe_server *s)
{
    struct fsrv_agent_src *pick = s->agent.own.head ? &s->agent.own : NULL;

    for (struct fsrv_session *ss = s->sessions; ss && !pick; ss = ss->next)
        if (ss->agent.src.head && !ss->agent.src.head->open)
            pick = &ss->agent.src;
    return pick;
}

static int pump_port1(struct floe_server *s)
{
    struct fsrv_agent *ag = &s->agent;
    struct fsrv_agent_src *src;
    struct fsrv_agent_buf *b;

    if (ag->pad_left)
        return write_pad(s);
    if (!ag->port_owner && !(ag->port_owner = next_source(s)))
        return 1;
    src = ag->port_owner;
    b = src->head;
    if (!b || b->open)
        return 1;   /* its next bytes are still to come */
    if (write_chunk(ag, b, VDP_CLIENT_PORT) < 0)
        return -EAGAIN;
    src->head = b->next;
    if (!src->head)
        src->tail = NULL;
    ag->owner_wrote = !b->ends;
    if (b->ends) {
        ag->port_owner = NULL;
        s->stats.agent_to_guest++;
    }
    if (src->sess)
        fsrv_agent_give_tokens(src->sess, b->tokens);
    free(b);
    return 0;
}

void fsrv_agent_pump(struct floe_server *s)
{
    struct fsrv_agent *ag = &s->agent;

    if (!ag->attached || ag->blocked || ag->pumping)
        return;
    ag->pumping = 1;
    for (;;) {
        int rc;

        if (ag->srv_head) {
            struct fsrv_agent_buf *b = ag->srv_head;
            if ((rc = write_chunk(ag, b, VDP_SERVER_PORT)) == 0) {
                ag->srv_head = b->next;
                if (!ag->srv_head)
                    ag->srv_tail = NULL;
                free(b);
            }
        } else {
            rc = pump_port1(s);
        }
        if (rc == 1)
            break;
        if (rc < 0) {
            ag->blocked = 1;
            break;
        }
    }
    ag->pumping = 0;
}

void fsrv_agent_src_drop(struct floe_server *s, struct fsrv_agent_src *src, uint64_t still_to_come)
{
    struct fsrv_agent *ag = &s->agent;
    int began = ag->port_owner == src && ag->owner_wrote;
    uint32_t tokens = 0;

    while (src->head) {
        struct fsrv_agent_buf *b = src->head;

        /* the rest of a message begun on the port still has to reach it */
        if (began)
            ag->pad_left += b->len;
        if (b->ends)
            began = 0;
        tokens += b->tokens;
        src->head = b->next;
        free(b);
    }
    src->tail = NULL;
    if (began)
        ag->pad_left += still_to_come;
    if (ag->port_owner == src) {
        ag->port_owner = NULL;
        ag->owner_wrote = 0;
        if (ag->pad_left)
            floe_warn("agent: a client went in the middle of a message: %llu zero bytes end it",
                      (unsigned long long)ag->pad_left);
    }
    if (src->sess)
        fsrv_agent_give_tokens(src->sess, tokens);
}

static void free_list(struct fsrv_agent_buf *b)
{
    while (b) {
        struct fsrv_agent_buf *n = b->next;
        free(b);
        b = n;
    }
}

void fsrv_agent_port_reset(struct floe_server *s)
{
    struct fsrv_agent *ag = &s->agent;

    free_list(ag->srv_head);
    ag->srv_head = ag->srv_tail = NULL;
    free_list(ag->own.head);
    ag->own.head = ag->own.tail = NULL;
    ag->port_owner = NULL;
    ag->owner_wrote = 0;
    ag->pad_left = 0;
    ag->blocked = 0;
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next) {
        uint32_t tokens = 0;
        for (struct fsrv_agent_buf *b = ss->agent.src.head; b; b = b->next)
            tokens += b->tokens;
        free_list(ss->agent.src.head);
        ss->agent.src.head = ss->agent.src.tail = NULL;
        fsrv_agent_give_tokens(ss, tokens);
    }
}
