/* The guest-agent relay's client side: a client's AGENT_DATA pieces parsed
 * into messages (each passed on, read whole or skipped), and the tokens it
 * gives (AGENT_START, AGENT_TOKEN). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/internal.h"


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
