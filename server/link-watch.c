/* Each session's link, watched while it is in use: every second, what its
 * display sockets delivered (the bytes the peer acknowledged) tells the
 * link's speed whenever data waited to go all along; a link that carries
 * less than the slow mark so is slow (JPEG for photographs, zlib around
 * GLZ), one that carries more is fast, and one the watch found slow that
 * keeps up with what it is sent for some seconds is fast again. The
 * network test at the start gives the first answer. A
 * client that reports being busy rendering (floe's render report) is
 * left alone: its reads lag for that, and the server renders for it. */
#include "common/log.h"
#include "server/internal.h"

/* bytes waiting in the kernel or the queue that count as a backlog */
#define BACKLOG_BYTES (64u << 10)
/* seconds in a row backlogged below the mark before the link is slow */
#define SLOW_SECONDS 2
/* seconds in a row without a backlog before a slow link is fast again; they
 * double when it turns slow again soon after (a link that keeps up only
 * because it got smaller pictures), up to MAX_CALM */
#define CALM_SECONDS 3
#define MAX_CALM 48
#define FLAP_MS 30000

static void watch_session(struct fsrv_session *ss, uint64_t now_ms)
{
    uint64_t acked = 0, delivered;
    int backlog = 0, any = 0;

    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++) {
        struct fsrv_chan *c = ss->display[k];
        uint64_t a;
        uint32_t unsent;

        if (!c || fsrv_chan_tcp_info(c, &a, &unsent) < 0)
            continue;
        /* a client that reports being busy rendering reads slowly for that:
         * what the watch said of its link is taken back */
        if (fsrv_display_client_bound(c)) {
            if (ss->watch_said_slow)
                ss->slow_link = ss->watch_said_slow = 0;
            return;
        }
        any = 1;
        acked += a;
        /* bytes the kernel holds unsent, writes it has not taken yet, or a
         * queue that waits for the client's acknowledgements: the link (or
         * the peer) is behind; a queue held for an encoding is not */
        backlog |= unsent >= BACKLOG_BYTES || c->inflight_bytes >= BACKLOG_BYTES ||
                   (c->queued_bytes >= BACKLOG_BYTES && c->held == HELD_NO);
    }
    if (!any)
        return;
    delivered = acked >= ss->watch_acked ? acked - ss->watch_acked : 0;
    ss->watch_acked = acked;
    if (!ss->watch_calm_needed)
        ss->watch_calm_needed = CALM_SECONDS;
    if (!backlog) {
        ss->watch_slow = 0;
        /* keeping up undoes only what the watch found: the network test
         * measured the link itself */
        if (ss->watch_said_slow && ++ss->watch_calm >= ss->watch_calm_needed) {
            ss->slow_link = ss->watch_said_slow = 0;
            ss->watch_calm = 0;
            ss->watch_fast_ms = now_ms;
            floe_info("%s: link keeps up again: fast", ss->main ? ss->main->peer : "?");
        }
        return;
    }
    ss->watch_calm = 0;
    /* a second spent sending all along: what went is what the link carries */
    if (delivered * 8 >= FLOE_SLOW_LINK_BPS) {
        ss->watch_slow = 0;
        if (ss->slow_link) {
            ss->slow_link = ss->watch_said_slow = 0;
            ss->bandwidth_bps = delivered * 8;
            floe_info("%s: link carries %.1f Mbit/s: fast", ss->main ? ss->main->peer : "?",
                      (double)ss->bandwidth_bps / 1e6);
        }
        return;
    }
    if (ss->slow_link) {
        ss->watch_slow = 0;
        return;
    }
    if (++ss->watch_slow < SLOW_SECONDS)
        return;
    ss->slow_link = ss->watch_said_slow = 1;
    ss->watch_slow = 0;
    ss->bandwidth_bps = delivered * 8;
    if (ss->watch_fast_ms && now_ms - ss->watch_fast_ms < FLAP_MS)
        ss->watch_calm_needed = ss->watch_calm_needed * 2 > MAX_CALM ? MAX_CALM
                                                                   : ss->watch_calm_needed * 2;
    floe_info("%s: link carries %.1f Mbit/s with data waiting: slow", ss->main ? ss->main->peer : "?",
              (double)ss->bandwidth_bps / 1e6);
}

void fsrv_link_watch(struct floe_server *s)
{
    uint64_t now = fsrv_now_ms();

    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        watch_session(ss, now);
}
