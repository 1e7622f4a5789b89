/* The guest-agent relay's internals: one agent's port (VDIChunks) joined to
 * every client's MAIN AGENT_DATA, with tokens and bounded queues both ways. */
#ifndef FLOE_SERVER_AGENT_H
#define FLOE_SERVER_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "floe/server.h"
#include "protocol/spice/messages.h"

struct floe_server;
struct fsrv_session;
struct fsrv_chan;

/* the pieces a client may send before the server gives tokens back */
#define FSRV_AGENT_TOKENS 10
/* the data of one chunk towards the agent, and of one AGENT_DATA */
#define FSRV_AGENT_PIECE VD_AGENT_MAX_DATA_SIZE
/* a message the relay reads whole (capabilities, clipboard grabs and
 * requests, monitors): larger ones are dropped */
#define FSRV_AGENT_SMALL_MAX 4096u
/* a chunk from the guest: larger ones break the protocol */
#define FSRV_AGENT_CHUNK_MAX (1u << 20)
/* the guest's bytes waiting for one client's tokens: past it the client is
 * cut (it keeps its tokens), as the reference server does */
#define FSRV_AGENT_OUT_MAX (1u << 20)
/* clipboard selections the relay tracks (CLIPBOARD, PRIMARY, SECONDARY) */
#define FSRV_AGENT_SELECTIONS 3

/* A chunk bound for the guest (header included) or a piece bound for a
 * client (AGENT_DATA's body). */
struct fsrv_agent_buf {
    struct fsrv_agent_buf *next;
    uint32_t len;
    uint32_t tokens;           /* client pieces whose token comes back once written */
    int ends;                  /* holds the end of a message */
    int open;                  /* more of the same message may still be added */
    uint8_t data[8 + FSRV_AGENT_PIECE];
};

/* Chunks of port-1 messages from one source, in order. */
struct fsrv_agent_src {
    struct fsrv_agent_buf *head, *tail;
    struct fsrv_session *sess;  /* NULL: the server's own */
};

enum fsrv_agent_route { ROUTE_DROP, ROUTE_STREAM, ROUTE_READ, ROUTE_LOCAL };

/* One agent message being parsed: its header, then its body, read whole
 * (ROUTE_READ/LOCAL), passed on as it comes (STREAM) or skipped (DROP). */
struct fsrv_agent_in {
    uint8_t head[SPICE_SIZE_vd_agent_header];
    uint32_t head_len;
    struct spice_vd_agent_header hdr;
    uint32_t left;             /* body bytes still to come */
    enum fsrv_agent_route route;
    uint8_t *body;
    uint32_t body_len;
};

/* A session's side of the relay. */
struct fsrv_agent_sess {
    int started;               /* AGENT_START came since the agent attached */
    uint64_t send_tokens;      /* AGENT_DATA the client lets the server send */
    uint32_t outstanding;      /* its pieces whose token was not given back */
    uint32_t caps;             /* VD_AGENT_CAP_* bits it announced (first word) */
    struct fsrv_agent_buf *out_head, *out_tail;   /* pieces waiting for tokens */
    size_t out_bytes;
    int overflow;              /* past FSRV_AGENT_OUT_MAX: to be cut */
    int to_this;               /* the guest's message in progress goes to it */
    int guest_grab[FSRV_AGENT_SELECTIONS];   /* it was told of the guest's grab */
    struct fsrv_agent_in in;   /* its AGENT_DATA being parsed */
    struct fsrv_agent_src src; /* its chunks waiting for the port */
};

/* The relay, one per server. */
struct fsrv_agent {
    int attached;
    int monitors_local;        /* monitor configs go to the host, not the agent */
    struct floe_agent_port port;
    /* from the guest: the chunk being read, and port 1's message */
    uint8_t chead[SPICE_SIZE_vdi_chunk_header];
    uint32_t chead_len;
    uint32_t chunk_port, chunk_left;
    struct fsrv_agent_in in;
    uint32_t caps;             /* VD_AGENT_CAP_* bits the agent announced */
    /* to the guest */
    struct fsrv_agent_src own;              /* the server's port-1 messages */
    struct fsrv_agent_buf *srv_head, *srv_tail;   /* port 2 */
    struct fsrv_agent_src *port_owner;      /* mid-message on port 1 ... */
    int owner_wrote;                        /* ... and some of it reached the guest */
    uint64_t pad_left;         /* zeros ending a message whose client went */
    int blocked, pumping;
    /* clipboard: the client whose data the guest holds, by selection; the
     * client whose REQUEST went last; the client the agent's REQUEST went to */
    struct fsrv_session *owner[FSRV_AGENT_SELECTIONS];
    struct fsrv_session *requester, *request_to;
};

/* agent-client.c: a client's MAIN messages (negative: bad input) */
int fsrv_agent_data(struct fsrv_chan *c, const uint8_t *data, uint32_t len);
int fsrv_agent_start(struct fsrv_chan *c, const uint8_t *body, uint32_t len);
int fsrv_agent_token(struct fsrv_chan *c, const uint8_t *body, uint32_t len);
/* agent-out.c: guest bytes for the session's client (a message's, `end` at
 * its end) */
void fsrv_agent_emit(struct fsrv_session *ss, const uint8_t *p, uint32_t n, int end);
/* sends the pieces the client has tokens for */
void fsrv_agent_client_flush(struct fsrv_session *ss);
void fsrv_agent_give_tokens(struct fsrv_session *ss, uint32_t n);
/* drops what waits for the client (the agent went) */
void fsrv_agent_client_reset(struct fsrv_session *ss);
void fsrv_agent_in_reset(struct fsrv_agent_in *a);

/* agent-port.c: chunks towards the guest */
/* adds n bytes of a port-1 message to src (end: its last bytes) */
int fsrv_agent_src_add(struct fsrv_agent_src *src, const uint8_t *p, uint32_t n, int end);
void fsrv_agent_src_close(struct fsrv_agent_src *src);
/* a whole message from the server: port 1 (as if from a client) or 2 */
int fsrv_agent_server_msg(struct floe_server *s, uint32_t port, uint32_t type,
                          const uint8_t *body, uint32_t len);
void fsrv_agent_pump(struct floe_server *s);
/* drops src's chunks, giving their tokens back; ends a message already
 * begun on the port with zeros */
void fsrv_agent_src_drop(struct floe_server *s, struct fsrv_agent_src *src, uint64_t still_to_come);
void fsrv_agent_port_reset(struct floe_server *s);

/* agent-route.c: who gets what */
enum fsrv_agent_route fsrv_agent_route_client(struct fsrv_session *ss,
                                              const struct spice_vd_agent_header *h);
/* a client's message read whole: 0, or negative (no memory) */
int fsrv_agent_client_message(struct fsrv_session *ss, const struct spice_vd_agent_header *h,
                              const uint8_t *body);
enum fsrv_agent_route fsrv_agent_route_guest(struct floe_server *s,
                                             const struct spice_vd_agent_header *h);
void fsrv_agent_guest_message(struct floe_server *s, const struct spice_vd_agent_header *h,
                              const uint8_t *body);
/* the session leaves: what the relay held of it goes */
void fsrv_agent_session_gone(struct floe_server *s, struct fsrv_session *ss);

/* main-agent.c: a MONITORS_CONFIG the server reads itself (no agent) */
void fsrv_agent_monitors_local(struct fsrv_chan *c, const uint8_t *body, uint32_t len);
/* the largest MONITORS_CONFIG body the server reads itself */
#define FSRV_MONITORS_MAX_BODY (SPICE_SIZE_vd_agent_monitors_config + 16 * SPICE_SIZE_vd_agent_mon_config)

#endif
