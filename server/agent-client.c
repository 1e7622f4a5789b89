/* The guest-agent relay's client side: a client's AGENT_DATA pieces parsed
 * into messages (each passed on, read whole or skipped), its tokens both
 * ways, and the guest's bytes waiting for its tokens. */
#include <errno.h>
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

/* The header is whole: how its body goes. */
static int header_done(struct fsrv_session *ss, struct fsrv_agent_in *a, const char *peer)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, a->head, sizeof(a->head));
    spice_vd_agent_header_get(&r, &a->hdr);
    if (a->hdr.protocol != VD_AGENT_PROTOCOL) {
        floe_warn("%s: agent protocol %u, not %u", peer, a->hdr.protocol, VD_AGENT_PROTOCOL);
        return -EPROTO;
    }
    a->left = a->hdr.size;
    a->body_len = 0;
    a->route = fsrv_agent_route_client(ss, &a->hdr);
    if (a->route == ROUTE_READ || a->route == ROUTE_LOCAL) {
        a->body = malloc(a->hdr.size ? a->hdr.size : 1);
        if (!a->body)
            return -ENOMEM;
    } else if (a->route == ROUTE_STREAM) {
        return fsrv_agent_src_add(&ss->agent.src, a->head, sizeof(a->head), a->left == 0);
    }
    return 0;
}

/* The message's last byte came. */
static int message_done(struct fsrv_chan *c, struct fsrv_agent_in *a)
{
    int rc = 0;

    if (a->route == ROUTE_LOCAL)
        fsrv_agent_monitors_local(c, a->body, a->hdr.size);
    else if (a->route == ROUTE_READ)
        rc = fsrv_agent_client_message(c->sess, &a->hdr, a->body);
    free(a->body);
    a->body = NULL;
    a->head_len = 0;
    return rc;
}

/* Bytes of the body: kept, passed on or skipped. */
static int body_bytes(struct fsrv_session *ss, struct fsrv_agent_in *a, const uint8_t *p,
                      uint32_t n)
{
    if (a->route == ROUTE_STREAM)
        return fsrv_agent_src_add(&ss->agent.src, p, n, a->left == n);
    if (a->body) {
        memcpy(a->body + a->body_len, p, n);
        a->body_len += n;
    }
    return 0;
}

static int parse(struct fsrv_chan *c, const uint8_t *data, size_t len)
{
    struct fsrv_session *ss = c->sess;
    struct fsrv_agent_in *a = &ss->agent.in;
    int rc;

    while (len > 0) {
        if (a->head_len < sizeof(a->head)) {
            /* the header, perhaps cut between pieces */
            if (!floe_take_head(a->head, &a->head_len, sizeof(a->head), &data, &len))
                break;
            if ((rc = header_done(ss, a, c->peer)) < 0)
                return rc;
        }
        uint32_t take = a->left < len ? a->left : (uint32_t)len;
        if ((rc = body_bytes(ss, a, data, take)) < 0)
            return rc;
        data += take;
        len -= take;
        a->left -= take;
        if (a->left == 0 && (rc = message_done(c, a)) < 0)
            return rc;
    }
    return 0;
}

int fsrv_agent_data(struct fsrv_chan *c, const uint8_t *data, uint32_t len)
{
    struct fsrv_session *ss = c->sess;
    struct fsrv_agent_sess *as = &ss->agent;
    struct fsrv_agent_buf *tail;
    int rc;

    if (len > FSRV_AGENT_PIECE) {
        floe_warn("%s: an AGENT_DATA of %u bytes, more than %u", c->peer, len, FSRV_AGENT_PIECE);
        return -EMSGSIZE;
    }
    if (as->outstanding >= FSRV_AGENT_TOKENS) {
        floe_warn("%s: an AGENT_DATA without a token (%u held)", c->peer, as->outstanding);
        return -EPROTO;
    }
    as->outstanding++;
    as->src.sess = ss;
    tail = as->src.tail;
    rc = parse(c, data, len);
    if (rc < 0)
        return rc;
    /* the token comes back once what the piece added reached the guest */
    if (as->src.tail && as->src.tail != tail)
        as->src.tail->tokens++;
    else
        fsrv_agent_give_tokens(ss, 1);
    fsrv_agent_src_close(&as->src);
    fsrv_agent_pump(c->srv);
    return 0;
}

int fsrv_agent_start(struct fsrv_chan *c, const uint8_t *body, uint32_t len)
{
    struct spice_agent_start m;
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    spice_agent_start_get(&r, &m);
    if (r.bad)
        return -EBADMSG;
    c->sess->agent.started = 1;
    c->sess->agent.send_tokens = m.num_tokens;
    floe_debug("%s: agent start, %u tokens", c->peer, m.num_tokens);
    fsrv_agent_client_flush(c->sess);
    return 0;
}

int fsrv_agent_token(struct fsrv_chan *c, const uint8_t *body, uint32_t len)
{
    struct spice_agent_token m;
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    spice_agent_token_get(&r, &m);
    if (r.bad)
        return -EBADMSG;
    c->sess->agent.send_tokens += m.num_tokens;
    fsrv_agent_client_flush(c->sess);
    return 0;
}

/* ---- the guest's bytes for a client ---- */

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
