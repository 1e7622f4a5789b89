/* Sessions: one per MAIN connection, joined by the client's other channels
 * through the session id that MAIN_INIT gave out. */
#include <stdlib.h>

#include <openssl/rand.h>

#include "common/log.h"
#include "server/internal.h"

static struct fsrv_session *session_find(struct floe_server *s, uint32_t id)
{
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        if (ss->id == id)
            return ss;
    return NULL;
}

static struct fsrv_session *session_new(struct floe_server *s)
{
    struct fsrv_session *ss = calloc(1, sizeof(*ss));

    if (!ss)
        return NULL;
    do {
        if (RAND_bytes((unsigned char *)&ss->id, sizeof(ss->id)) != 1)
            ss->id = (uint32_t)fsrv_now_ms();
    } while (ss->id == 0 || session_find(s, ss->id));
    ss->mouse_mode = fsrv_mouse_mode_initial(s);
    ss->monitors = s->monitors;
    ss->next = s->sessions;
    s->sessions = ss;
    s->stats.clients++;
    fsrv_mouse_mode_update(s);
    return ss;
}

/* The session's place for a channel: a display channel only among those it
 * was offered (the server's count may have changed since). */
static struct fsrv_chan **slot(struct fsrv_session *ss, uint8_t type, uint8_t id)
{
    switch (type) {
    case SPICE_CHANNEL_MAIN: return &ss->main;
    case SPICE_CHANNEL_DISPLAY:
        return id < ss->monitors && id < FLOE_SERVER_MAX_MONITORS ? &ss->display[id] : NULL;
    case SPICE_CHANNEL_INPUTS: return &ss->inputs;
    case SPICE_CHANNEL_CURSOR: return &ss->cursor;
    default: return NULL;
    }
}

/* Every channel of ss gets DISCONNECTING and closes; MAIN last, since its
 * end frees the session. */
static void session_disconnect(struct fsrv_session *ss, const char *why)
{
    struct fsrv_chan *chans[3 + FLOE_SERVER_MAX_MONITORS] = { ss->inputs, ss->cursor };

    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
        chans[2 + k] = ss->display[k];
    chans[2 + FLOE_SERVER_MAX_MONITORS] = ss->main;
    floe_info("session %u: %s", ss->id, why);
    /* closing MAIN may free ss at once: only the list taken before is used */
    for (int i = 0; i < 3 + FLOE_SERVER_MAX_MONITORS; i++)
        if (chans[i])
            fsrv_chan_disconnect(chans[i], SPICE_LINK_ERR_OK, why);
}

/* An exclusive server has one client: a new one ends the others' sessions. */
static void end_other_sessions(struct floe_server *s, struct fsrv_session *keep)
{
    struct fsrv_session *ss = s->sessions, *next;

    for (; ss; ss = next) {
        next = ss->next;
        if (ss != keep && ss->main && !ss->main->closing)
            session_disconnect(ss, "replaced by a new client");
    }
}

int fsrv_session_attach(struct fsrv_chan *c)
{
    struct fsrv_session *ss;
    struct fsrv_chan **sl;

    if (c->type == SPICE_CHANNEL_MAIN) {
        if (c->connection_id != 0 && !session_find(c->srv, c->connection_id))
            return SPICE_LINK_ERR_BAD_CONNECTION_ID;
        ss = session_new(c->srv);
        if (!ss)
            return SPICE_LINK_ERR_ERROR;
    } else {
        ss = session_find(c->srv, c->connection_id);
        if (!ss || !ss->main)
            return SPICE_LINK_ERR_BAD_CONNECTION_ID;
    }
    sl = slot(ss, c->type, c->id);
    if (!sl)
        return SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE;
    if (*sl) {
        (*sl)->sess = NULL;
        fsrv_chan_close(*sl, "replaced by a new connection");
    }
    *sl = c;
    c->sess = ss;
    c->session_id = ss->id;
    if (c->type == SPICE_CHANNEL_MAIN && c->srv->opt.exclusive)
        end_other_sessions(c->srv, ss);
    return SPICE_LINK_ERR_OK;
}

static void session_free(struct floe_server *s, struct fsrv_session *ss)
{
    for (struct fsrv_session **pp = &s->sessions; *pp; pp = &(*pp)->next)
        if (*pp == ss) {
            *pp = ss->next;
            break;
        }
    s->stats.clients--;
    fsrv_agent_session_gone(s, ss);
    free(ss);
    fsrv_mouse_mode_update(s);
}

void fsrv_session_detach(struct fsrv_chan *c)
{
    struct fsrv_session *ss = c->sess;
    struct fsrv_chan **sl;

    if (!ss)
        return;
    sl = slot(ss, c->type, c->id);
    if (sl && *sl == c)
        *sl = NULL;
    c->sess = NULL;
    if (c->type == SPICE_CHANNEL_MAIN) {
        /* the client is gone: its other channels go too */
        struct fsrv_chan *others[2 + FLOE_SERVER_MAX_MONITORS] = { ss->inputs, ss->cursor };

        for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
            others[2 + k] = ss->display[k];
        for (int i = 0; i < 2 + FLOE_SERVER_MAX_MONITORS; i++)
            if (others[i]) {
                others[i]->sess = NULL;
                fsrv_chan_close(others[i], "main channel closed");
            }
        floe_info("session %u ended", ss->id);
        session_free(c->srv, ss);
    }
}
