/* What the guest-agent relay sends a client: the tokens it gives back
 * (AGENT_TOKEN), and the guest's bytes as AGENT_DATA pieces, waiting for the
 * client's tokens within a bound. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/internal.h"

void fsrv_agent_in_reset(struct fsrv_agent_in *a)
{
    free(a->body);
    memset(a, 0, sizeof(*a));
}

void fsrv_agent_give_tokens(struct fsrv_session *ss, uint32_t n)
{
    struct floe_wbuf w;
    struct spice_agent_token t = { n };

    if (n == 0)
        return;
    ss->agent.outstanding = ss->agent.outstanding > n ? ss->agent.outstanding - n : 0;
    if (!ss->main || ss->main->closing)
        return;
    floe_wbuf_init(&w, 0);
    spice_agent_token_put(&w, &t);
    fsrv_chan_send_wbuf(ss->main, SPICE_MSG_MAIN_AGENT_TOKEN, &w);
}

void fsrv_agent_emit(struct fsrv_session *ss, const uint8_t *p, uint32_t n, int end)
{
    struct fsrv_agent_sess *as = &ss->agent;

    while (n > 0 || end) {
        struct fsrv_agent_buf *b = as->out_tail;
        uint32_t take;

        if (as->overflow)
            return;
        if (!b || !b->open || b->len == FSRV_AGENT_PIECE) {
            if (b)
                b->open = 0;
            if (as->out_bytes + sizeof(*b) > FSRV_AGENT_OUT_MAX || !(b = calloc(1, sizeof(*b)))) {
                floe_warn("session %u: more than %u bytes from the agent wait for its "
                          "tokens: cut", ss->id, FSRV_AGENT_OUT_MAX);
                as->overflow = 1;
                return;
            }
            b->open = 1;
            if (as->out_tail)
                as->out_tail->next = b;
            else
                as->out_head = b;
            as->out_tail = b;
            as->out_bytes += sizeof(*b);
        }
        take = FSRV_AGENT_PIECE - b->len < n ? FSRV_AGENT_PIECE - b->len : n;
        memcpy(b->data + b->len, p, take);
        b->len += take;
        p += take;
        n -= take;
        if (n == 0 && end) {
            b->open = 0;   /* a piece never holds the start of the next message */
            end = 0;
        }
    }
}

void fsrv_agent_client_flush(struct fsrv_session *ss)
{
    struct fsrv_agent_sess *as = &ss->agent;

    while (as->out_head && as->send_tokens > 0 && ss->main && !ss->main->closing &&
           !as->overflow) {
        struct fsrv_agent_buf *b = as->out_head;
        struct floe_wbuf w;

        floe_wbuf_init(&w, 0);
        floe_put_bytes(&w, b->data, b->len);
        fsrv_chan_send_wbuf(ss->main, SPICE_MSG_MAIN_AGENT_DATA, &w);
        as->send_tokens--;
        as->out_head = b->next;
        if (!as->out_head)
            as->out_tail = NULL;
        as->out_bytes -= sizeof(*b);
        free(b);
    }
}

void fsrv_agent_client_reset(struct fsrv_session *ss)
{
    struct fsrv_agent_sess *as = &ss->agent;

    while (as->out_head) {
        struct fsrv_agent_buf *b = as->out_head;
        as->out_head = b->next;
        free(b);
    }
    as->out_tail = NULL;
    as->out_bytes = 0;
    as->started = 0;
    as->send_tokens = 0;
    as->to_this = 0;
    as->caps = 0;
    memset(as->guest_grab, 0, sizeof(as->guest_grab));
    /* the rest of a message it is sending is skipped */
    if (as->in.route == ROUTE_STREAM || as->in.route == ROUTE_READ) {
        free(as->in.body);
        as->in.body = NULL;
        as->in.route = ROUTE_DROP;
    }
}
