/* floe-agent's core: the VDAgent protocol over the bytes of the guest's agent
 * port, with no I/O of its own (bytes in, messages out through callbacks). */
#ifndef FLOE_AGENT_H
#define FLOE_AGENT_H

#include <stddef.h>
#include <stdint.h>

struct floe_agent;

/* One monitor of a MONITORS_CONFIG; a width and height of 0 is a disabled
 * monitor (SPARSE_MONITORS_CONFIG). mm_* are 0 when the client sent none. */
struct floe_agent_monitor {
    uint32_t width, height, depth;
    int32_t x, y;
    uint16_t mm_width, mm_height;
};

#define FLOE_AGENT_MAX_MONITORS 16
/* A message larger than this (from the client or the server) is refused. */
#define FLOE_AGENT_MAX_MESSAGE (64u << 20)

/* The owner's side. write_fn is handed whole chunks (header and message)
 * and must write all of them or fail (0 or negative errno); the bytes are
 * the core's. Every other callback may be NULL. */
struct floe_agent_ops {
    int (*write_fn)(void *ctx, const uint8_t *bytes, size_t len);
    /* the client asked for this layout; 0 when the display follows */
    int (*monitors_fn)(void *ctx, const struct floe_agent_monitor *mons, uint32_t n,
                       uint32_t flags);
    /* the answer to floe_agent_clip_get's request: `data` (the core's, valid
     * during the call) or NULL when the client had nothing to give */
    void (*clip_fn)(void *ctx, unsigned selection, uint32_t type, const uint8_t *data,
                    size_t len);
    /* the client holds `selection` with these types (valid during the call),
     * or n == 0: it holds it no more (a RELEASE, a new grab by the guest, a
     * client that left). For an owner that mirrors the selection (X11). */
    void (*clip_grab_fn)(void *ctx, unsigned selection, const uint32_t *types, unsigned n);
    /* the client asks for what floe_agent_clip_offer offered, as `type`: the
     * owner answers with floe_agent_clip_reply, now or later */
    void (*clip_request_fn)(void *ctx, unsigned selection, uint32_t type);
    /* the server's MOUSE_STATE (client mouse mode) */
    void (*mouse_fn)(void *ctx, uint32_t x, uint32_t y, uint32_t buttons, uint8_t display);
    /* one line saying what went wrong (bad input, a refused request) */
    void (*log_fn)(void *ctx, const char *line);
};

/* A core writing received files into `xfer_dir` (NULL: file transfer off).
 * Returns NULL on allocation failure. */
struct floe_agent *floe_agent_new(const struct floe_agent_ops *ops, void *ctx,
                                  const char *xfer_dir);
/* Frees the core, removing the partial files of transfers under way. */
void floe_agent_free(struct floe_agent *a);
/* A new port connection: forgets the stream, the peer and its per-client
 * state, and announces the capabilities (request=1). 0 or negative errno. */
int floe_agent_start(struct floe_agent *a);
/* Bytes read from the port. Returns 0 (bad messages are logged and
 * dropped), -EPROTO when the chunk stream itself is broken (the port must
 * be reopened) or the write error of an answer. */
int floe_agent_feed(struct floe_agent *a, const uint8_t *bytes, size_t len);

/* Lowers the size of the largest message taken (FLOE_AGENT_MAX_MESSAGE). */
void floe_agent_set_limit(struct floe_agent *a, uint32_t max_message);
/* The caps the peer announced (NULL until it did), as 32-bit words. */
const uint32_t *floe_agent_peer_caps(const struct floe_agent *a, unsigned *words);
/* The client's MAX_CLIPBOARD, or -1 when it set none. */
int32_t floe_agent_max_clipboard(const struct floe_agent *a);
/* Messages refused so far, and the last reason (empty when none). */
unsigned floe_agent_errors(const struct floe_agent *a);
const char *floe_agent_last_error(const struct floe_agent *a);

/* The guest copies: the core keeps `data` (copied) and grabs the selection
 * for it. 0, -ENOTCONN (the client cannot take it yet), -EFBIG (over the
 * client's limit), -EINVAL (selection or type), -ENOMEM, or a write error. */
int floe_agent_clip_set(struct floe_agent *a, unsigned selection, uint32_t type,
                        const uint8_t *data, size_t len);
/* The guest pastes. 1 with *data and *len the guest's own copy (the core's);
 * 0 when a request went to the client (its answer comes to clip_fn);
 * -ENODATA when nobody holds the selection or it has no such type. */
int floe_agent_clip_get(struct floe_agent *a, unsigned selection, uint32_t type,
                        const uint8_t **data, size_t *len);

/* The guest copies, with the data kept by the owner (an X11 selection):
 * the core grabs the selection for these types (at most 8; types other
 * than text and PNG are dropped) and asks clip_request_fn on the client's
 * REQUEST. Kept while no client can take it, and offered when one comes.
 * 0, -EINVAL (selection, or no type left), or a write error. */
int floe_agent_clip_offer(struct floe_agent *a, unsigned selection, const uint32_t *types,
                          unsigned n);
/* The answer to clip_request_fn: `data` (copied into the message) or NULL
 * when there is none. 0, -EFBIG (over the client's limit: the client gets
 * an empty answer), -ENOTCONN (no client), or a write error. */
int floe_agent_clip_reply(struct floe_agent *a, unsigned selection, uint32_t type,
                          const uint8_t *data, size_t len);
/* The guest's selection is gone (its owner left): a RELEASE to the client
 * when the guest held it. 0 or a write error. */
int floe_agent_clip_release(struct floe_agent *a, unsigned selection);

#endif
