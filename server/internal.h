/* Shared internals of libfloe-server: the server, sessions, channel clients
 * and the shared message bodies they queue. Not installed. */
#ifndef FLOE_SERVER_INTERNAL_H
#define FLOE_SERVER_INTERNAL_H

#include <openssl/evp.h>
#include <pixman.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#include "floe/server.h"
#include "protocol/spice/draw.h"
#include "protocol/spice/messages.h"
#include "server/agent.h"

struct fsrv_msg_image;

/* An encoded message body, shared by every client that queues it. A draw
 * of pixels (`image` set, body empty) is encoded for each client only when
 * it is written: its codec, cache and GLZ dictionary are that client's. */
struct fsrv_msg {
    int refs;
    uint16_t type;
    int has_box;            /* a draw on a monitor's surface: box is the area */
    int opaque;             /* ... that sets every pixel of box whatever was there */
    pixman_box32_t box;
    /* a draw of pixels (display/encode.c): the queue knows only what it
     * costs and how to free it */
    struct fsrv_msg_image *image;
    size_t image_bytes;
    void (*image_free)(struct fsrv_msg_image *img);
    /* a video frame (display/stream-enc.c): coded for each client when
     * written; image_bytes counts its pixels */
    struct fsrv_frame *frame;
    void (*frame_free)(struct fsrv_frame *f);
    /* an off-screen surface's SURFACE_CREATE, SURFACE_DESTROY or draw (then
     * offscreen_draw, box its area there): the surface's id, else 0 */
    uint32_t surface_id;
    int offscreen_draw;
    /* a draw message whose source image a client may keep in its image
     * cache: the same message with that image FROM_CACHE, the image's id,
     * pixels and place in the body (display/encode.c picks per client) */
    struct fsrv_msg *cached;
    uint64_t cache_id;
    uint64_t cache_pixels;
    uint32_t cache_img_at;
    uint32_t len;
    uint8_t body[];
};

/* Builds a message from the bytes of `w` after `body_at` (w is emptied). */
struct fsrv_msg *fsrv_msg_from_wbuf(uint16_t type, struct floe_wbuf *w);
struct fsrv_msg *fsrv_msg_new(uint16_t type, const void *body, size_t len);
struct fsrv_msg *fsrv_msg_ref(struct fsrv_msg *m);
void fsrv_msg_unref(struct fsrv_msg *m);

/* What a queued message costs: its body and the bookkeeping around it, so
 * that many tiny messages count too. */
static inline size_t fsrv_msg_cost(const struct fsrv_msg *m)
{
    return m->len + 64 + (m->image || m->frame ? m->image_bytes : 0);
}

struct fsrv_qitem {
    struct fsrv_qitem *next;
    struct fsrv_msg *msg;
};

struct fsrv_chan;

struct fsrv_chan_ops {
    void (*linked)(struct fsrv_chan *c);
    /* a channel-specific message; negative = bad input, disconnect */
    int (*handle)(struct fsrv_chan *c, uint16_t type, const uint8_t *body, uint32_t len);
    /* the queue passed its byte limit: make it smaller (display) */
    void (*overflow)(struct fsrv_chan *c);
    /* a draw that paints every pixel of box is about to be queued: draws
     * it covers may go (display) */
    void (*occlude)(struct fsrv_chan *c, const pixman_box32_t *box);
    /* a queued message is about to be written: returns the message to write
     * now (a new reference; NULL skips it), and may put messages back at
     * the queue's head with fsrv_chan_push_front (display: encodes images).
     * It may also take the message away to work on it off the loop thread:
     * it sets `held` and returns NULL, and once done puts the result at the
     * queue's head, clears `held` and flushes. */
    struct fsrv_msg *(*prepare)(struct fsrv_chan *c, struct fsrv_msg *m);
    void (*closed)(struct fsrv_chan *c);
    /* a PONG: the PING's id and the time it carried (fsrv_now_us) */
    void (*pong)(struct fsrv_chan *c, uint32_t id, uint64_t sent_us);
};

/* Why a channel's writes wait: its head message is being encoded on the
 * worker pool, or it waits for another channel's encoding of the same picture. */
enum fsrv_chan_held { HELD_NO, HELD_ENCODING, HELD_WAITING };

enum fsrv_link_state { LINK_HEADER, LINK_MESS, LINK_AUTH_MECH, LINK_TICKET, LINK_DONE };

struct fsrv_session;

/* One TCP connection: linking, then one channel of one session. */
struct fsrv_chan {
    struct floe_server *srv;
    struct fsrv_session *sess;
    struct fsrv_chan *next;          /* in srv->chans */
    uv_tcp_t tcp;
    char peer[64];
    enum fsrv_link_state state;
    uint8_t type, id;
    uint32_t connection_id;
    struct spice_caps caps;
    int mini;
    uint32_t link_size;
    int auth_selection;

    uint8_t *rbuf;
    size_t rlen, rcap;

    struct fsrv_qitem *head, *tail;
    size_t queued_bytes;      /* sum of fsrv_msg_cost of the queue */
    size_t queue_limit;       /* past it: overflow(), or stop reading the peer */
    size_t queued_msgs;       /* messages in the queue */
    size_t queue_msg_limit;   /* past it (when not 0): overflow() too */
    int throttled;            /* reading stopped until the queue drains */
    int overflowing;          /* inside ops->overflow or fsrv_chan_edit: no overflow again */
    int held;                 /* enum fsrv_chan_held: nothing is written meanwhile */
    uint64_t created_ms;
    size_t inflight_bytes;
    uint64_t serial;
    int uses_ack;
    uint32_t ack_window, ack_generation, unacked;
    uint32_t client_generation;   /* from ACK_SYNC: ACKs count once it matches */
    uint64_t ping_id;

    int closing;     /* no more reads; close once writes are done */
    uint64_t closing_ms;  /* when closing began: a peer that never reads is cut later */
    int closed;
    const struct fsrv_chan_ops *ops;
    void *priv;
    int model_synced;          /* display: the model sent it the whole picture and
                                * sends it every change from then on */
    /* for the host's channel events: a number of its own, its socket's two
     * ends (taken when it starts: a closed socket has none) and the session
     * it joined */
    uint64_t conn;
    struct sockaddr_storage laddr, paddr;
    socklen_t llen, plen;
    uint32_t session_id;
    int reported;              /* the host was told it connected: it is told the rest */
    struct fsrv_host_reader *hosted; /* read on the host's thread (host-reader.c) */
    uint32_t stream_joined;    /* display: 1 + the id of its monitor's stream it was
                                * sent STREAM_CREATE for; 0: none */
    struct fsrv_lossy *lossy;  /* display: what its client holds lossy (display/lossy.c) */
};


struct fsrv_session {
    struct fsrv_session *next;
    uint32_t id;
    int monitors;              /* the display channels it was offered (CHANNELS_LIST) */
    struct fsrv_chan *main, *inputs, *cursor;
    struct fsrv_chan *display[FLOE_SERVER_MAX_MONITORS];   /* by channel id: monitor */
    uint16_t mouse_mode;       /* SPICE_MOUSE_MODE_*: one of the server's mouse_modes */
    int mouse_monitor;         /* the monitor the pointer is on (MOUSE_POSITION's display) */
    int mouse_x, mouse_y;
    uint32_t buttons;
    unsigned motion_count;
    /* the network test on MAIN: a small PING, then one with a big payload */
    uint32_t net_ping_small, net_ping_big;
    uint64_t net_small_us;
    uint64_t bandwidth_bps;    /* 0 until measured */
    int slow_link;             /* measured below FLOE_SLOW_LINK_BPS */
    /* link-watch.c: what the display sockets delivered, watched every second */
    uint64_t watch_acked;      /* bytes the peer acknowledged, all display sockets */
    int watch_slow, watch_calm; /* seconds in a row backlogged below the mark / not backlogged */
    int watch_calm_needed;     /* calm seconds before a slow link counts fast again */
    int watch_said_slow;       /* slow_link is the watch's finding, not the network test's */
    uint64_t watch_fast_ms;    /* when it last went back to fast */
    struct fsrv_agent_sess agent;
};
#define FLOE_SLOW_LINK_BPS 10000000ull
#define FLOE_NET_TEST_BYTES (256u << 10)
/* below this the two answers came together: the rate is "at least" */
#define FLOE_NET_TEST_MIN_US 200u

struct fsrv_surface {
    int width, height;
    pixman_image_t *image;
    uint32_t *pixels;
};

/* display/scroll.c: rows y1..y2 (exclusive) of a new picture equal the
 * surface's rows dy further down (dy < 0: up), inside the picture's box. */
struct fsrv_scroll {
    int dy, y1, y2;
};
/* Looks for the picture px (its box b on surface sf, stride in bytes, px
 * at the box's corner) being the surface scrolled: 1 and *out, or 0. */
int fsrv_scroll_find(const struct fsrv_surface *sf, const pixman_box32_t *b, const uint32_t *px,
                     int stride, struct fsrv_scroll *out);

/* The heads a monitor's surface shows (floe_server_set_heads); none: the
 * whole surface is one head. */
struct fsrv_heads {
    int count;
    struct floe_rect r[FLOE_SERVER_MAX_HEADS];
};

/* display/stream.c: a box of a monitor redrawn at video rate, and the
 * video stream (MJPEG or VP8, per client) it goes as once it is one. */
struct fsrv_stream {
    struct floe_server *srv;
    int monitor;
    /* detection: the last changed picture's box, when it came, and how many
     * came in a row on that box less than FSRV_STREAM_GAP_MS apart */
    pixman_box32_t last_box;
    uint64_t last_ms;
    int run;
    int active;
    uint32_t id;
    pixman_box32_t box;
    uv_timer_t timer;          /* ends the stream once the box stood still ... */
    uint64_t idle_ms;          /* ... this long (FLOE_TEST_STREAM_IDLE_MS for tests) */
    int timer_on;              /* initialised (closed with the server) */
};

struct fsrv_cursor_state {
    uint32_t *argb;
    int w, h, hot_x, hot_y;
    int x, y;
    int visible;
    uint64_t unique;
};

/* What the network layer (net/) needs from the server above it: it knows
 * bytes, messages and queues, and learns of the rest through this table,
 * which the server hands it. */
struct fsrv_net_owner {
    /* the ops that serve channel type:id, or NULL (CHANNEL_NOT_AVAILABLE) */
    const struct fsrv_chan_ops *(*channel_ops)(struct floe_server *s, uint8_t type, uint8_t id);
    /* joins a channel that passed its ticket to its session: a spice_link_err */
    int (*attach)(struct fsrv_chan *c);
    /* a linked channel closes: it leaves its session */
    void (*detach)(struct fsrv_chan *c);
    /* a connection was freed */
    void (*gone)(struct floe_server *s);
    /* a connection started (before its link), finished its link, closed:
     * every connection started is closed once, linked or not */
    void (*connected)(struct fsrv_chan *c);
    void (*initialized)(struct fsrv_chan *c);
    void (*disconnected)(struct fsrv_chan *c);
};

struct floe_server {
    const struct fsrv_net_owner *net;
    uv_loop_t *loop;
    uv_tcp_t listener;
    int listening;
    uv_pipe_t *unix_listener;  /* floe_server_listen_unix; freed once closed */
    char *unix_path;           /* its socket file, removed at close */
    struct floe_server_options opt;
    char *name;
    char *password_file;
    EVP_PKEY *key;
    uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES];
    struct fsrv_chan *chans;
    struct fsrv_session *sessions;
    struct floe_input_sink sink;
    struct floe_input_host input_host;  /* call_fn NULL: none */
    struct floe_event_sink events;
    uint64_t conns;            /* connections started: the last one's conn */
    /* the ticket set in memory (floe_server_set_ticket), which wins over
     * the password file */
    int has_ticket;
    char ticket[SPICE_MAX_PASSWORD + 1];
    time_t ticket_expires;     /* 0 = never */
    uint32_t keyboard_locks;
    uint32_t mouse_modes;      /* FLOE_MOUSE_MODE_* bits clients may use */
    uint32_t mouse_mode_now;   /* the mode in effect, as last told to the sink */
    int monitors;
    struct fsrv_surface primary[FLOE_SERVER_MAX_MONITORS];   /* by monitor */
    struct fsrv_offscreen **offscreen[FLOE_SERVER_MAX_MONITORS];   /* by monitor, then id */
    struct fsrv_heads heads[FLOE_SERVER_MAX_MONITORS];       /* by monitor */
    struct fsrv_cursor_state cursor;
    struct fsrv_stream stream[FLOE_SERVER_MAX_MONITORS];   /* by monitor */
    uint32_t stream_ids;
    uint64_t image_ids;
    uint64_t start_ms;
    struct floe_server_stats stats;
    uv_timer_t ping_timer;     /* housekeeping, once a second */
    int closing;
    unsigned ticks;
    struct fsrv_agent agent;   /* the guest agent's relay (agent-*.c) */
};

/* net/link.c */
void fsrv_link_read(struct fsrv_chan *c);
int fsrv_auth_init(struct floe_server *s);
/* Returns a spice_link_err for the 128-byte encrypted ticket. */
int fsrv_auth_check_ticket(struct floe_server *s, const uint8_t *ticket);

/* net/chan.c */
#define FSRV_READ_LIMIT (1u << 20)     /* biggest client message accepted */
/* Accepts a connection from a TCP or unix listener. */
void fsrv_chan_accept(struct floe_server *s, uv_stream_t *listener);
/* A connection whose tcp handle is initialised but not yet connected. */
struct fsrv_chan *fsrv_chan_new(struct floe_server *s);
/* Frees a connection fsrv_chan_start was never called on. */
void fsrv_chan_discard(struct fsrv_chan *c);
/* Adds a connected c to the server, names its peer (else `fallback_peer`), reads. */
void fsrv_chan_start(struct fsrv_chan *c, const char *fallback_peer);
/* Queues a message (takes a reference) and starts writing. */
void fsrv_chan_send(struct fsrv_chan *c, struct fsrv_msg *m);
/* Queues a message built from `w`'s bytes (w is emptied). */
void fsrv_chan_send_wbuf(struct fsrv_chan *c, uint16_t type, struct floe_wbuf *w);
void fsrv_chan_send_raw(struct fsrv_chan *c, const void *bytes, size_t len);
void fsrv_chan_flush(struct fsrv_chan *c);
/* Stops reading and closes once queued bytes are written. */
void fsrv_chan_close(struct fsrv_chan *c, const char *why);
/* Cuts a closing channel whose peer has not taken its last bytes in time. */
void fsrv_chan_expire(struct fsrv_chan *c, uint64_t now_ms);
/* net/host-reader.c: a socket read on the host's thread (floe_input_host)
 * for its owner, a channel on the server's thread, which it learns of
 * through these (called on the server's thread). */
struct fsrv_host_reader;
struct fsrv_host_reader_owner {
    /* a message the host handed on: 0, or 1 when the owner takes no more */
    int (*message)(void *owner, uint16_t type, const uint8_t *body, uint32_t len);
    /* the host's side ended: at the socket's end (bad 0) or on bad input */
    void (*ended)(void *owner, int bad);
    void *owner;
};
/* Has the host's thread read fd (the server's own descriptor of a socket,
 * whose messages have `mini` headers; `pending` holds bytes already read
 * of the next message) from now on: the reader, or NULL (nothing changed). */
struct fsrv_host_reader *fsrv_host_reader_start(uv_loop_t *loop, int fd, int mini,
                                                const uint8_t *pending, size_t pending_len,
                                                const struct floe_input_host *host,
                                                const struct fsrv_host_reader_owner *owner);
/* The owner is closing: the host reads no more. */
void fsrv_host_reader_stop_reading(struct fsrv_host_reader *r);
/* The owner is gone (before its descriptor closes): the reader's server
 * side ends. */
void fsrv_host_reader_end(struct fsrv_host_reader *r);
/* Sends DISCONNECTING with `reason` and closes. */
void fsrv_chan_disconnect(struct fsrv_chan *c, uint32_t reason, const char *why);
/* Rewrites the queue (the messages not yet written) in place: edit_fn is
 * handed each message from head to tail, then NULL for the end, and says 1
 * to take the message out. What it sends meanwhile goes just before the
 * message in hand (at the end: last), so a replacement takes the place of
 * what it replaces and every message keeps its order. */
typedef int (*fsrv_chan_edit_fn)(struct fsrv_chan *c, const struct fsrv_msg *m, void *arg);
void fsrv_chan_edit(struct fsrv_chan *c, fsrv_chan_edit_fn edit_fn, void *arg);
/* Puts m (takes a reference) at the head of the queue, before everything
 * queued: 0, or -ENOMEM (nothing queued). */
int fsrv_chan_push_front(struct fsrv_chan *c, struct fsrv_msg *m);
void fsrv_chan_set_ack(struct fsrv_chan *c, uint32_t window);
void fsrv_chan_ping(struct fsrv_chan *c);
/* The kernel's view of c's TCP socket: bytes the peer acknowledged so far
 * and bytes not sent yet. 0, or -ENOTSUP (not TCP, or no TCP_INFO). */
int fsrv_chan_tcp_info(struct fsrv_chan *c, uint64_t *acked, uint32_t *unsent);
/* net/tcp-info.c: the same for a socket */
int fsrv_tcp_info(int fd, uint64_t *acked, uint32_t *unsent);
/* link-watch.c: once a second, each session's link from what its display
 * sockets deliver while data waits (slow_link, bandwidth_bps) */
void fsrv_link_watch(struct floe_server *s);
/* A PING carrying `pad` bytes of payload; returns its id. */
uint32_t fsrv_chan_ping_pad(struct fsrv_chan *c, size_t pad);
uint64_t fsrv_now_us(void);
uint64_t fsrv_now_ms(void);

/* channels */
extern const struct fsrv_chan_ops fsrv_main_ops, fsrv_display_ops, fsrv_inputs_ops,
    fsrv_cursor_ops;
/* session.c: binds a linked c to its session (a spice_link_err); unbinds it */
int fsrv_session_attach(struct fsrv_chan *c);
void fsrv_session_detach(struct fsrv_chan *c);
void fsrv_main_send_mouse_mode(struct fsrv_session *ss);
/* main-channel.c: the mode a new session starts in; tells the input sink
 * when the mode in effect changed (a session began, ended or switched) */
uint16_t fsrv_mouse_mode_initial(const struct floe_server *s);
void fsrv_mouse_mode_update(struct floe_server *s);

/* display/encode.c: images encoded per client when written */
/* A DRAW_COPY of width x height pixels (rows `stride` bytes apart) at box b
 * on monitor `monitor`'s surface. */
struct fsrv_msg *fsrv_image_msg_new(int monitor, const pixman_box32_t *b, const uint32_t *pixels,
                                    int stride);
struct fsrv_display_enc;
struct fsrv_display_enc *fsrv_display_enc_new(struct fsrv_chan *c,
                                              const struct spice_display_init *init);
void fsrv_display_enc_free(struct fsrv_display_enc *e);
/* SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION: a SPICE_IMAGE_COMPRESSION_* value */
int fsrv_display_enc_prefer(struct fsrv_display_enc *e, uint8_t compression);
/* The bytes c gets for an image message (a new reference, or NULL); or
 * NULL with c->held set while the encoding runs on the worker pool. */
struct fsrv_msg *fsrv_display_enc_prepare(struct fsrv_chan *c, struct fsrv_display_enc *e,
                                          struct fsrv_msg *m);

/* Marks a DRAW_COPY from fsrv_image_msg_new to go losslessly whatever the
 * client's settings (a stream's last picture). */
void fsrv_image_msg_lossless(struct fsrv_msg *m);
/* Whether w x h pixels (rows stride_px pixels apart) look like a photograph. */
int fsrv_pixels_photographic(const uint32_t *px, int w, int h, int stride_px);

/* Whether pictures go lossy (JPEG) to c now: its link is slow, or it is
 * set so. */
int fsrv_display_enc_lossy(const struct fsrv_chan *c);

/* display/lossy.c: the area of a display client's surface 0 whose pixels
 * it holds lossy, kept as its messages are written */
struct fsrv_lossy;
struct fsrv_lossy *fsrv_lossy_new(void);
void fsrv_lossy_free(struct fsrv_lossy *l);
/* A message is about to be written to the client (an image as encoded for
 * it, a video frame, a draw): the area follows what it does to the pixels. */
void fsrv_lossy_written(struct fsrv_lossy *l, const struct fsrv_msg *m);
/* Pixels of box b arrive lossy (1) or exact (0). */
void fsrv_lossy_image(struct fsrv_lossy *l, const pixman_box32_t *b, int lossy);
uint64_t fsrv_lossy_pixels(const struct fsrv_lossy *l);
const pixman_region32_t *fsrv_lossy_region(const struct fsrv_lossy *l);
/* Queues for c up to max_pixels of its lossy area (outside a running
 * stream's box) as lossless DRAW_COPYs of the surface's pixels, and takes
 * them out of the area: the rectangles queued. */
int fsrv_lossy_refresh(struct fsrv_chan *c, uint64_t max_pixels);
/* Once a second: each client that no longer gets lossy pictures and has
 * nothing waiting gets a bounded part of its lossy area again. */
void fsrv_lossy_tick(struct floe_server *s);

/* display/op-image.c: an image a draw operation reads, as a SPICE image
 * every client reads the same: LZ_RGB of its pixels in 32 bits (with alpha
 * when it has one). 0, -E2BIG (more than max_pixels) or -ENOMEM; *data is
 * the payload out points to, the caller's to free. */
int fsrv_op_image(pixman_image_t *src, size_t max_pixels, struct spice_image *out,
                  uint8_t **data);
/* The id a draw operation's source image goes by in clients' image caches:
 * its pixels (alpha too when it has one) and size, and the monitor. */
uint64_t fsrv_op_image_id(pixman_image_t *src, int monitor);

/* display/offscreen.c: off-screen surfaces, their pixels the producer's */
struct fsrv_offscreen;
/* The id of the monitor's off-screen surface whose pixels img shows, or 0. */
uint32_t fsrv_offscreen_of(struct floe_server *s, int monitor, pixman_image_t *img);
int fsrv_offscreen_size(struct floe_server *s, uint32_t monitor, uint32_t id, int *w, int *h);
/* m is a draw on off-screen surface id, of box b there. */
void fsrv_offscreen_mark(struct fsrv_msg *m, uint32_t id, const pixman_box32_t *b);
/* Queues the current pixels of rg of surface id for c, as DRAW_COPYs. */
void fsrv_offscreen_send_region(struct fsrv_chan *c, uint32_t id, pixman_region32_t *rg);
/* Each off-screen surface, created and whole, for a client that just synced
 * or renders draws again. */
void fsrv_offscreen_client_sync(struct fsrv_chan *c);
/* Each off-screen surface destroyed, for a client the server renders for
 * from now on: what it shows reads none. */
void fsrv_offscreen_client_drop(struct fsrv_chan *c);
void fsrv_offscreen_free_all(struct floe_server *s);

/* display/stream.c */
/* A picture for box b of the monitor (px at b's corner): ends a stream it
 * overlaps, and when it is a stream's frame (one running, or the one that
 * starts it) writes it into the surface, sends it and returns 1; else 0
 * (the caller sends it as usual). */
int fsrv_stream_picture(struct floe_server *s, int monitor, const pixman_box32_t *b,
                        const uint32_t *px, int stride);
/* Another draw touches box b: a stream it overlaps ends first. */
void fsrv_stream_touch(struct floe_server *s, int monitor, const pixman_box32_t *b);
/* Ends the monitor's stream: with `redraw`, lossless pixels of its box
 * first (each client ends exact); without, only STREAM_DESTROY (the
 * surface goes). */
void fsrv_stream_end(struct floe_server *s, int monitor, int redraw);
/* The server closes: the streams' timers close. */
void fsrv_stream_close(struct floe_server *s);

/* display-channel.c: whether draw operations go to this display client as
 * the pixels they change (it reported falling behind rendering them) */
int fsrv_display_server_renders(const struct fsrv_chan *c);
/* ... and whether the client said it is busy rendering (its reads lag for
 * that, not for its link) */
int fsrv_display_client_bound(const struct fsrv_chan *c);

/* display/stream-enc.c: a stream's frames coded for each client */
struct fsrv_stream_enc;
/* A frame of stream `stream_id` for box b (px at its corner), stamped mm_time. */
struct fsrv_msg *fsrv_frame_msg_new(uint32_t stream_id, uint32_t mm_time, const pixman_box32_t *b,
                                    const uint32_t *px, int stride);
struct fsrv_stream_enc *fsrv_stream_enc_new(struct fsrv_chan *c);
void fsrv_stream_enc_free(struct fsrv_stream_enc *se);
/* The display channel's (NULL before its DISPLAY_INIT). */
struct fsrv_stream_enc *fsrv_display_stream_enc(struct fsrv_chan *c);
/* The video codec (SPICE_VIDEO_CODEC_TYPE_*) of the client's next stream,
 * of `pixels` pixels a frame: from its caps, its preference, the frame's
 * size and FLOE_TEST_STREAM_CODEC (MJPEG for NULL); 0 when it plays none
 * of floe's: it gets the stream's area as pictures. */
int fsrv_stream_enc_codec(const struct fsrv_stream_enc *se, uint64_t pixels);
/* Whether the client's coded frames refer to those before them (VP8): then
 * none of them may be left unwritten. */
int fsrv_stream_enc_inter(const struct fsrv_stream_enc *se);
/* The client's PREFERRED_VIDEO_CODEC_TYPE, best first: for its next streams. */
void fsrv_stream_enc_prefer(struct fsrv_stream_enc *se, const uint8_t *codecs, int n);
/* The client joins stream_id (STREAM_CREATE of `codec` was queued): its
 * rate starts from the link's measure, and a client that reports is asked to. */
void fsrv_stream_enc_join(struct fsrv_stream_enc *se, uint32_t stream_id, const pixman_box32_t *b,
                          int codec);
/* A new frame: 1 when it goes to this client, 0 when its rate skips it. */
int fsrv_stream_enc_offer(struct fsrv_stream_enc *se);
/* Frames of the client's queue replaced by a newer one before being written. */
void fsrv_stream_enc_dropped(struct fsrv_stream_enc *se, unsigned frames);
/* The bytes c gets for a frame's message (a new reference), or NULL with
 * c->held set while it is coded on the worker pool (NULL alone: skipped). */
struct fsrv_msg *fsrv_stream_enc_prepare(struct fsrv_chan *c, struct fsrv_stream_enc *se,
                                         struct fsrv_msg *m);
void fsrv_stream_enc_pong(struct fsrv_stream_enc *se, uint32_t id, uint64_t sent_us);
/* A STREAM_REPORT for the client's stream stream_id: 0, or -EBADMSG. */
int fsrv_stream_enc_report(struct fsrv_stream_enc *se, uint32_t stream_id,
                           const uint8_t *body, uint32_t len);
/* " stream_quality=Q stream_kbps=N ..." for the clients command. */
void fsrv_stream_enc_describe(const struct fsrv_stream_enc *se, char *out, size_t len);

/* display/broadcast.c: queues m (the reference is taken over) on every
 * synced DISPLAY channel `monitor` of the clients. */
void fsrv_display_broadcast(struct floe_server *s, int monitor, struct fsrv_msg *m);

/* display/model.c */
void fsrv_display_client_sync(struct fsrv_chan *c);
void fsrv_surface_free(struct fsrv_surface *sf);
void fsrv_display_send_region(struct fsrv_chan *c, pixman_region32_t *rg);
/* Queues the current pixels of every rectangle of rg (on the surface) as
 * DRAW_COPYs on every synced DISPLAY channel `monitor`. */
void fsrv_display_broadcast_pixels(struct floe_server *s, int monitor, pixman_region32_t *rg);
void fsrv_cursor_broadcast_state(struct floe_server *s, int init_to_all);
struct fsrv_msg *fsrv_cursor_msg(struct floe_server *s, int init);

#endif
