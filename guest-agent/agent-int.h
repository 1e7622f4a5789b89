/* The core's state, shared by its files (agent.c: the stream and the
 * dispatch; clip.c, xfer.c, monitors.c: one kind of message each). */
#ifndef FLOE_AGENT_INT_H
#define FLOE_AGENT_INT_H

#include "guest-agent/agent.h"
#include "protocol/spice/messages.h"

#define AGENT_SELECTIONS 2   /* CLIPBOARD and PRIMARY */
#define AGENT_CLIP_TYPES 8

/* one port's message being put together from its chunks */
struct agent_rx {
    uint8_t hdr[SPICE_SIZE_vd_agent_header];
    size_t hdr_got;
    struct spice_vd_agent_header h;
    uint8_t *body;       /* grown as the bytes come: a claimed size costs nothing */
    size_t got, cap;
    int skip;            /* a refused message: its bytes are dropped */
};

struct agent_clip {
    int guest_owns;      /* the guest holds the selection, with these types */
    uint32_t guest_types[AGENT_CLIP_TYPES];
    unsigned n_guest_types;
    int guest_lazy;      /* offered: the owner has the data (clip_request_fn) */
    uint8_t *guest_data; /* else the guest's copy, of guest_types[0] */
    size_t guest_len;
    int client_owns;     /* the client grabbed, with these types */
    uint32_t client_types[AGENT_CLIP_TYPES];
    unsigned n_client_types;
    int requested;       /* a REQUEST is out, for this type */
    uint32_t req_type;
};

struct agent_xfer;

struct floe_agent {
    struct floe_agent_ops ops;
    void *ctx;
    char *xfer_dir;
    /* the chunk stream */
    uint8_t chdr[SPICE_SIZE_vdi_chunk_header];
    size_t chdr_got;
    uint32_t chunk_port, chunk_left;
    struct agent_rx rx[2];
    /* the peer */
    uint32_t peer_caps[SPICE_CAPS_WORDS];
    unsigned peer_words;
    int peer_known;
    int32_t max_clipboard;
    uint32_t max_message;
    struct agent_clip clip[AGENT_SELECTIONS];
    struct agent_xfer *xfers;
    unsigned errors;
    char last_error[256];
};

/* logs one refused message (printf-like) and counts it */
void agent_error(struct floe_agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int agent_peer_has(const struct floe_agent *a, unsigned cap);
/* both sides have CLIPBOARD_SELECTION (the clipboard messages lead with it) */
int agent_selections(const struct floe_agent *a);

/* A message to the client: agent_msg_begin writes the chunk and message
 * headers, the caller the body, agent_msg_send patches sizes and writes. */
void agent_msg_begin(struct floe_wbuf *w, uint32_t type);
int agent_msg_send(struct floe_agent *a, struct floe_wbuf *w);

/* clip.c */
void agent_clip_msg(struct floe_agent *a, uint32_t type, struct floe_rbuf *r);
void agent_clip_reset(struct floe_agent *a, int keep_guest);
int agent_clip_regrab(struct floe_agent *a);
/* xfer.c */
void agent_xfer_msg(struct floe_agent *a, uint32_t type, struct floe_rbuf *r);
void agent_xfer_cancel_all(struct floe_agent *a);
/* monitors.c */
void agent_monitors_msg(struct floe_agent *a, struct floe_rbuf *r);
/* Parses a MONITORS_CONFIG body into mons (FLOE_AGENT_MAX_MONITORS); the
 * count, or -EBADMSG / -E2BIG with the reason in *why. */
int agent_monitors_parse(struct floe_rbuf *r, struct floe_agent_monitor *mons,
                         uint32_t *flags, const char **why);

#endif
