/* Private structures of libfloe-client shared by its files: the client,
 * channels and their function tables, the display and cursor state. */
#ifndef FLOE_CLIENT_INTERNAL_H
#define FLOE_CLIENT_INTERNAL_H

#include <pixman.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "codecs/codec.h"
#include "floe/client.h"
#include "protocol/spice/messages.h"

/* Largest message body a channel accepts (a 4K 32-bit bitmap is ~33 MB). */
#define FLOE_CLIENT_MAX_MSG (64u << 20)
/* Largest queue of unsent bytes per channel. */
#define FLOE_CLIENT_MAX_OUT (8u << 20)
/* Largest surface side and area floe allocates. */
#define FLOE_CLIENT_MAX_SIDE 16384
/* GLZ window in pixels, as DISPLAY_INIT states it: remote-viewer's default;
 * memory is taken only as images arrive */
#define FLOE_CLIENT_GLZ_WINDOW (16u << 20)
#define FLOE_CLIENT_MAX_PIXELS (64u << 20)
#define FLOE_CLIENT_MAX_SURFACES 1024
/* heads of one display channel the client shows */
#define FLOE_CLIENT_MAX_HEADS 16
/* Display channels (monitors) linked: ids 0 .. this - 1. */
#define FLOE_CLIENT_MAX_DISPLAYS 16

struct fcli_chan;

/* What a channel tells the client that owns it, and asks of it. client.c
 * hands its table to every channel it makes (fcli_chan_new), so no channel
 * calls client.c: the channels are the lower layer. */
struct fcli_chan_owner {
    /* an event for the embedder (its event_fn, if any) */
    void (*emit_fn)(struct floe_client *c, enum floe_client_event ev);
    /* output was queued: wakes the network loop (a no-op from within it) */
    void (*wake_fn)(struct floe_client *c);
    /* the session ends for this reason (the first reason given is kept) */
    void (*error_fn)(struct floe_client *c, const char *reason);
    /* links channel (type, id) of this session and installs it; 0 (also
     * when it is linked already) or -errno */
    int (*open_fn)(struct floe_client *c, uint8_t type, uint8_t id);
};

/* What each channel type does with its messages. */
struct fcli_chan_ops {
    const char *name;
    /* the link just succeeded: send the channel's first messages */
    void (*linked_fn)(struct fcli_chan *ch);
    /* a channel-specific message (type >= 101); 0, or -errno to close */
    int (*message_fn)(struct fcli_chan *ch, uint16_t type, const uint8_t *body, size_t len);
    /* the channel is going away: drop its private state */
    void (*closed_fn)(struct fcli_chan *ch);
};

struct fcli_chan {
    struct floe_client *client;
    const struct fcli_chan_owner *owner;
    const struct fcli_chan_ops *ops;
    uint8_t type, id;
    int fd;
    int mini;                   /* peer advertised MINI_HEADER */
    struct spice_caps peer_caps;
    int dead;
    /* input, network thread only */
    uint8_t *in;
    size_t in_len, in_cap;
    uint32_t ack_window, ack_left;
    /* output, guarded by client->send_lock */
    struct floe_wbuf out;
    size_t out_sent;
    uint64_t out_serial;
};

/* ---- display state, one per display channel (guarded by client->lock) ---- */

struct fcli_surface {
    uint32_t id;
    int width, height;
    uint32_t format;
    int primary;
    pixman_image_t *image;   /* in the surface's own format */
    pixman_image_t *shown;   /* a 16-bit or A8 primary's pixels as xRGB, or NULL */
};

struct fcli_cached_image;

struct fcli_image_cache {
    struct fcli_cached_image **buckets;
    struct fcli_cached_image *lru_head, *lru_tail; /* head = most recent */
    uint64_t pixels, limit;
    size_t count;
};

/* A head the server's MONITORS_CONFIG names: a rectangle of the primary. */
struct fcli_head {
    int x, y, w, h;
};

/* What a display logs once (warned_misc): */
enum fcli_warn { FCLI_WARN_CACHE_MISS, FCLI_WARN_BITMAP, FCLI_WARN_PALETTE, FCLI_WARN_RASTER,
                 FCLI_WARN_CODEC, FCLI_WARN_N };

/* The server's multimedia clock (MAIN INIT, MULTI_MEDIA_TIME): it read mm
 * at at_ms (CLOCK_MONOTONIC) and runs on with local time. Under client->lock. */
struct fcli_mm_clock {
    int set;
    uint32_t mm;
    int64_t at_ms;
};

/* CLOCK_MONOTONIC in milliseconds. */
static inline int64_t fcli_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void fcli_mm_clock_set(struct fcli_mm_clock *k, uint32_t mm, int64_t now_ms)
{
    k->set = 1;
    k->mm = mm;
    k->at_ms = now_ms;
}

static inline uint32_t fcli_mm_clock_now(const struct fcli_mm_clock *k, int64_t now_ms)
{
    return k->mm + (uint32_t)(now_ms - k->at_ms);
}

/* A stream's frame (its JPEG, the size it decodes to, where it goes), held
 * until its time (stream-play.c): data is the holder's own copy. A VP8
 * frame is decoded as it comes (each refers to the one before): data is
 * then its width x height xRGB pixels, rows packed. */
struct fcli_frame {
    uint32_t mm_time;
    uint32_t width, height;
    struct spice_rect dest;
    const uint8_t *data;
    uint32_t size;
    int decoded;               /* 1: data is pixels; -1: it did not decode (no data) */
};
struct floe_vp8_dec;

/* What a stream's STREAM_ACTIVATE_REPORT asked for, and the window so far. */
struct fcli_stream_report_state {
    int active;
    uint32_t unique_id, max_window, timeout_ms;
    uint32_t frames, drops, drop_run;
    uint32_t start_mm_time;
    int64_t start_ms;
};

/* A video stream (stream.c): frames of width x height drawn on dest of
 * surface_id within clip, each at its time (stream-play.c). Held: enough
 * for the time a server stamps frames ahead (the reference's 400 ms) at
 * 60 frames a second. */
#define FLOE_CLIENT_MAX_STREAMS 64
#define FLOE_CLIENT_HELD_FRAMES 32
struct fcli_stream {
    int used;
    uint32_t surface_id;
    uint8_t codec;             /* SPICE_VIDEO_CODEC_TYPE_* */
    int top_down;
    uint32_t width, height;
    struct spice_rect dest;
    pixman_region32_t clip;
    uint64_t arrived;          /* frames that came */
    uint32_t last_mm_time;     /* the stamp of the last that came */
    uint32_t interval_ms;      /* between the stamps of the last two (0: not yet) */
    int shown;                 /* a frame was drawn: the stamp of the last */
    uint32_t shown_mm_time;
    struct fcli_frame held[FLOE_CLIENT_HELD_FRAMES];  /* by stamp, oldest first */
    int n_held;
    struct fcli_stream_report_state report;
    uint64_t frames, drops;
    struct floe_vp8_dec *vp8;  /* a VP8 stream's decoder */
    int vp8_keyed;             /* ... which has had a keyframe of the stream's size */
};

/* STREAM_REPORTs made, waiting for the display channel to send them. */
#define FLOE_CLIENT_REPORTS_OUT 8

struct fcli_display {
    struct fcli_surface *surfaces[FLOE_CLIENT_MAX_SURFACES];
    struct fcli_surface *primary;
    uint64_t primary_serial;
    uint64_t surface_bytes;
    pixman_region32_t damage;   /* on the primary, since the last canvas lock */
    /* the heads of MONITORS_CONFIG (none: the whole primary is shown) and
     * what changed on each since its view was last looked at (views.c) */
    int nheads;
    struct fcli_head heads[FLOE_CLIENT_MAX_HEADS];
    pixman_region32_t head_damage[FLOE_CLIENT_MAX_HEADS];
    int dirty;                  /* primary changed since the last frame count */
    struct fcli_image_cache cache;
    /* codec memory across images (the GLZ window), per codec of floe_codecs[] */
    void *codec_states[FLOE_CODEC_SLOTS];
    uint32_t glz_window;        /* pixels, as DISPLAY_INIT told the server */
    /* palettes the server asked to keep (PAL_CACHE_ME), by id; servers keep
     * at most 128 per client and say which they drop (INVAL_PALETTE) */
    struct fcli_palette { uint64_t id; uint16_t n; uint32_t *ents; } palettes[256];
    unsigned palette_next;
    struct fcli_palette palette_tmp;   /* an inline palette not to be kept */
    uint64_t marks, frames, draws;
    int64_t last_ms;            /* when display data last arrived (network thread) */
    uint8_t warned_msg[512];    /* log-once flags by message type */
    /* rendering draw messages since report_ms, told to a server that takes
     * floe's render reports (network thread only) */
    int64_t report_ms, busy_us;
    uint32_t report_draws;
    unsigned render_delay_us;   /* FLOE_TEST_RENDER_DELAY_US: a slow renderer, for tests */
    uint8_t warned_image[256];  /* log-once flags by image type */
    uint8_t warned_misc[FCLI_WARN_N];
    struct fcli_stream streams[FLOE_CLIENT_MAX_STREAMS];
    struct floe_jpeg *stream_jpeg;  /* made with the first MJPEG frame */
    const struct fcli_mm_clock *mm_clock;   /* the session's (NULL: none) */
    uint64_t held_bytes;        /* of every stream's held frames */
    struct spice_stream_report reports_out[FLOE_CLIENT_REPORTS_OUT];
    int n_reports_out;
    /* frames drawn, not drawn (of those, late), stamped no later than the
     * one before */
    uint64_t streams_created, stream_frames, stream_drops, stream_late, stream_reordered;
    int64_t stream_first_ms, stream_last_ms;   /* when frames were drawn, 0: none yet */
};

/* ---- cursor state (guarded by client->lock) ---- */

struct fcli_cursor_shape {
    uint64_t id;
    int width, height, hot_x, hot_y;
    uint32_t *argb;
};

#define FLOE_CURSOR_CACHE_SIZE 256

struct fcli_cursor_state {
    int visible, x, y;
    struct fcli_cursor_shape shape; /* argb NULL = no shape */
    uint64_t shape_serial;
    struct fcli_cursor_shape cache[FLOE_CURSOR_CACHE_SIZE];
    unsigned cache_next;
    uint32_t warned;
};

/* ---- inputs state (guarded by client->send_lock) ---- */

struct fcli_inputs_state {
    uint16_t modifiers;
    uint16_t buttons;
    int motion_unacked;
    int pending_position, pending_x, pending_y, pending_display;
    int pending_motion, pending_dx, pending_dy;
};

/* Channel slots: display channel 0 at FLOE_CHAN_DISPLAY, display k > 0 at
 * FLOE_CHAN_CURSOR + k (see fcli_display_slot). */
enum {
    FLOE_CHAN_MAIN,
    FLOE_CHAN_DISPLAY,
    FLOE_CHAN_INPUTS,
    FLOE_CHAN_CURSOR,
    FLOE_CHAN_COUNT = FLOE_CHAN_CURSOR + FLOE_CLIENT_MAX_DISPLAYS
};

static inline int fcli_display_slot(int id)
{
    return id == 0 ? FLOE_CHAN_DISPLAY : FLOE_CHAN_CURSOR + id;
}

/* The display channel id of a slot, or -1 for another channel's slot. */
static inline int fcli_slot_display(int slot)
{
    return slot == FLOE_CHAN_DISPLAY ? 0 : slot > FLOE_CHAN_CURSOR ? slot - FLOE_CHAN_CURSOR : -1;
}

/* The guest's agent (agent.c, agent-clip.c, agent-xfer.c). Its state is
 * guarded by send_lock, but for the input being put together, which only
 * the network thread touches. */
#define FCLI_XFERS 8
struct fcli_agent_msg;
struct fcli_clip {
    int type;                   /* FLOE_CLIENT_CLIP_*; 0: none */
    uint8_t *data;
    size_t len;
};
struct fcli_xfer {
    int used;
    int fd;                     /* open while sending */
    struct floe_client_file_xfer st;
};
struct fcli_agent {
    int inited;                 /* MAIN INIT came: tokens counts */
    uint32_t tokens;            /* AGENT_DATA messages the server takes now */
    int connected;              /* the server says an agent is there */
    struct fcli_agent_msg *head, *tail;   /* whole messages, sent in pieces */
    size_t queued;              /* their bytes */
    int mon_pending;            /* the monitors below wait for a token */
    int mon_count;
    struct floe_client_monitor mons[FLOE_CLIENT_MAX_ASKED];
    int caps_known;             /* the agent announced its capabilities */
    uint32_t caps;              /* its first capability word */
    int no_clipboard, no_xfer;
    struct fcli_clip offer[2];  /* the client's, per selection */
    int offer_told[2];          /* the agent was told of it (GRAB) */
    struct fcli_clip got[2];    /* the guest's, per selection */
    uint64_t got_serial[2];
    struct fcli_xfer xfers[FCLI_XFERS];
    uint32_t next_xfer_id;
    /* queues the next message of file data: 1, or 0 when there is none */
    int (*refill)(struct floe_client *c);
    /* input (network thread): the message being put together */
    uint8_t hdr[SPICE_SIZE_vd_agent_header];
    uint32_t hdr_got, body_got;
    struct spice_vd_agent_header cur;
    uint8_t *body;              /* NULL while skipping one too large */
};

struct floe_client {
    char *host, *password, *unix_path;
    int port, timeout_ms;
    int preferred_compression;  /* sent in PREFERRED_COMPRESSION; -1: nothing */
    uint64_t pixmap_cache_bytes;
    void (*event_fn)(void *opaque, enum floe_client_event ev);
    void *opaque;

    pthread_mutex_t lock;       /* display, cursor, title, error */
    pthread_mutex_t send_lock;  /* channel output queues, inputs state, chans[] */
    pthread_t thread;
    int thread_started;
    atomic_int stop;
    int wake[2];

    struct fcli_chan *chans[FLOE_CHAN_COUNT];
    atomic_int connected;
    atomic_int inputs_ready;
    atomic_int mouse_mode;
    uint32_t session_id;
    uint32_t supported_mouse_modes;

    /* by display channel id (monitor); n_displays: 1 + the highest linked */
    struct fcli_display displays[FLOE_CLIENT_MAX_DISPLAYS];
    atomic_int n_displays;
    struct fcli_mm_clock mm_clock;
    struct fcli_cursor_state cursor;
    struct fcli_inputs_state inputs;
    struct fcli_agent agent;
    char title[256];
    char error[256];
    atomic_uint_fast64_t bytes_in, messages_in;
};

/* views.c: the monitors shown (a display's primary, or each of its heads),
 * with client->lock held */
struct fcli_view {
    int display, head;
    int x, y, w, h;             /* on the display's primary */
};
int fcli_views_count(struct floe_client *c);
/* Monitor `view`: 0, or -1 when there is none (or it has no surface yet). */
int fcli_view_find(struct floe_client *c, int view, struct fcli_view *out);
/* The bounds of what changed in v since it was last looked at, in v's
 * coordinates (w = 0: nothing), and forgets them. */
void fcli_view_take_damage(struct fcli_display *d, const struct fcli_view *v, int *x, int *y,
                           int *w, int *h);
/* MONITORS_CONFIG: 1 if the heads changed. */
int fcli_display_set_heads(struct fcli_display *d, int count, const struct fcli_head *heads);

/* agent.c: tokens from INIT (inited: they replace the count) or AGENT_TOKEN */
void fcli_agent_tokens(struct floe_client *c, uint32_t tokens, int inited);
/* The server says whether an agent is there (INIT, AGENT_CONNECTED[_TOKENS],
 * AGENT_DISCONNECTED); network thread. */
void fcli_agent_connected(struct floe_client *c, int connected);
/* A MAIN AGENT_DATA's body; network thread. Events to emit, as bits
 * (1 << FLOE_CLIENT_EVENT_*); a bad message is logged and dropped. */
int fcli_agent_data(struct floe_client *c, const uint8_t *body, size_t len);
void fcli_agent_fini(struct floe_client *c);
/* the capabilities the client announces to the agent */
#define FCLI_AGENT_CAPS                                                                      \
    (1u << VD_AGENT_CAP_MONITORS_CONFIG | 1u << VD_AGENT_CAP_REPLY |                         \
     1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND | 1u << VD_AGENT_CAP_CLIPBOARD_SELECTION |        \
     1u << VD_AGENT_CAP_MONITORS_CONFIG_POSITION | 1u << VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS)
/* agent-out.c. The network loop: sends what tokens allow (and has more of
 * a file being sent read while little waits to be written). */
void fcli_agent_pump(struct floe_client *c);
/* send_lock held: queues one message (header and the two parts of its
 * body) to go when tokens allow (the network loop sends it), 0 or
 * -ENOMEM; sends what tokens allow now; drops what waits (but, unless all,
 * the rest of a message begun); wakes the network loop. */
int fcli_agent_queue_locked(struct floe_client *c, uint32_t type, const void *a, size_t alen,
                            const void *b, size_t blen);
void fcli_agent_pump_locked(struct floe_client *c);
void fcli_agent_drop_queue_locked(struct fcli_agent *a, int all);
void fcli_agent_wake(struct floe_client *c);
/* 1 when both sides have capability cap (the client's own are fixed). */
int fcli_agent_both_have(const struct fcli_agent *a, unsigned cap);
/* agent-clip.c, send_lock held: the agent's clipboard messages (events as
 * bits), the agent came (offers told), all dropped. */
int fcli_clip_message_locked(struct floe_client *c, uint32_t type, const uint8_t *body,
                             uint32_t len);
void fcli_clip_agent_came_locked(struct floe_client *c);
void fcli_clip_reset_locked(struct fcli_agent *a);
/* agent-xfer.c, send_lock held: a FILE_XFER_STATUS (events as bits); the
 * next data message of a running transfer queued (1), or none (0); every
 * transfer failed with `why`. */
int fcli_xfer_status_locked(struct floe_client *c, const uint8_t *body, uint32_t len);
int fcli_xfer_next_locked(struct floe_client *c);
int fcli_xfer_fail_all_locked(struct fcli_agent *a, const char *why);

/* link.c: TCP or unix connect + SPICE link + ticket, blocking with a timeout. */
struct fcli_link_request {
    const char *host;
    int port;
    const char *unix_path;      /* NULL: TCP to host:port */
    int timeout_ms;
    uint32_t connection_id;
    uint8_t channel_type, channel_id;
    const struct spice_caps *caps;
    const char *password;
    atomic_int *cancel;         /* set (by another thread) to give up now */
};
struct fcli_link_reply {
    int fd;                     /* non-blocking, linked */
    int mini;
    struct spice_caps peer_caps;
    int link_error;             /* spice_link_err when the server refused */
};
int fcli_link_open(const struct fcli_link_request *req, struct fcli_link_reply *rep,
                   char *err, size_t errlen);
const char *fcli_link_error_name(uint32_t err);

/* channel.c */
/* A channel of client c on the linked socket rep->fd (which it takes),
 * telling c through owner's callbacks (owner is not copied: it must
 * outlive the channel). NULL on no memory. */
struct fcli_chan *fcli_chan_new(struct floe_client *c, const struct fcli_chan_owner *owner,
                                const struct fcli_chan_ops *ops, uint8_t type, uint8_t id,
                                const struct fcli_link_reply *rep);
void fcli_chan_free(struct fcli_chan *ch);
/* Queues one message; safe from any thread. 0 or -errno. */
int fcli_chan_send(struct fcli_chan *ch, uint16_t type, const void *body, size_t len);
/* Queues the message in w and frees w. 0 or -errno. */
int fcli_chan_send_wbuf(struct fcli_chan *ch, uint16_t type, struct floe_wbuf *w);
/* Like fcli_chan_send with client->send_lock already held. */
int fcli_chan_send_locked(struct fcli_chan *ch, uint16_t type, const void *body, size_t len);
/* Reads what the socket has and handles every complete message. 0 or -errno. */
int fcli_chan_read(struct fcli_chan *ch);
/* Writes queued bytes. 0 or -errno. */
int fcli_chan_flush(struct fcli_chan *ch);
/* 1 if bytes wait to be written (takes send_lock). */
int fcli_chan_want_write(struct fcli_chan *ch);
/* Handles one framed message (exposed for fuzzing). 0 or -errno. */
int fcli_chan_handle_bytes(struct fcli_chan *ch, const uint8_t *buf, size_t len, size_t *used);

/* the channel tables */
extern const struct fcli_chan_ops fcli_main_ops, fcli_display_ops, fcli_inputs_ops,
    fcli_cursor_ops;

/* display-channel.c / canvas.c / image-cache.c */
void fcli_display_init(struct fcli_display *d, uint64_t cache_pixels);
void fcli_display_fini(struct fcli_display *d);

/* cursor-channel.c */
void fcli_cursor_state_fini(struct fcli_cursor_state *s);

/* inputs-channel.c: called with send_lock held */
void fcli_inputs_reset(struct fcli_inputs_state *s);

#endif
