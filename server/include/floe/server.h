/* libfloe-server: an embeddable SPICE 2.2 server on a libuv loop.
 * A display producer draws through this API; the server owns the model. */
#ifndef FLOE_SERVER_H
#define FLOE_SERVER_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

struct floe_server;

/* A rectangle in surface pixels: x, y of the top-left corner, width, height. */
struct floe_rect {
    int x, y, w, h;
};

/* How images are compressed, as QEMU's -spice image-compression spells it;
 * a client's PREFERRED_COMPRESSION overrides it for that client. */
enum floe_image_compression {
    FLOE_IMAGE_AUTO_GLZ = 0,   /* the default: QUIC for photographs, GLZ for the rest */
    FLOE_IMAGE_AUTO_LZ,        /* QUIC for photographs, LZ for the rest */
    FLOE_IMAGE_QUIC,
    FLOE_IMAGE_GLZ,
    FLOE_IMAGE_LZ,
    FLOE_IMAGE_LZ4,            /* for clients with the LZ4 capability, else LZ */
    FLOE_IMAGE_OFF,
};

/* Which regions redrawn at video rate go to clients as MJPEG video streams,
 * as QEMU's -spice streaming-video spells it: every such region (the
 * default), none, or only those that look like photographs. */
/* Which boxes redrawn at video rate become streams: those whose pictures
 * look photographic (the default, as libspice-server's own default), all,
 * or none. */
enum floe_stream_video { FLOE_STREAM_VIDEO_FILTER = 0, FLOE_STREAM_VIDEO_ALL, FLOE_STREAM_VIDEO_OFF };

/* When lossy JPEG replaces QUIC for photographs, and zlib wraps GLZ:
 * always, never, or auto (only for clients on a slow link). */
enum floe_wan { FLOE_WAN_AUTO = 0, FLOE_WAN_NEVER, FLOE_WAN_ALWAYS };

struct floe_server_options {
    const char *name;          /* shown by clients (MAIN NAME); may be NULL */
    uint8_t uuid[16];          /* MAIN UUID */
    int disable_ticketing;     /* accept any ticket */
    /* re-read on every link; NULL = none. A ticket set with
     * floe_server_set_ticket wins over it. */
    const char *password_file;
    enum floe_image_compression image_compression;
    enum floe_wan jpeg_wan;
    enum floe_wan zlib_glz_wan;
    int jpeg_quality;          /* 1..100; 0 = 85 */
    /* monitors served, 1..FLOE_SERVER_MAX_MONITORS; 0 = 1. Monitor k goes
     * to clients on its own DISPLAY channel (channel id k), as QEMU serves
     * one graphics device per channel; remote-viewer opens one window per
     * channel. */
    int monitors;
    /* one client at a time: a new client's MAIN link disconnects every
     * other session (each of its channels gets DISCONNECTING, then is
     * closed), as libspice-server does. 0 (the default): sessions share
     * the server side by side. */
    int exclusive;
    /* a box redrawn again and again (at least 96x96, 20 pictures each less
     * than 200 ms after the last) goes as an MJPEG stream until it stands
     * still for a second, then once more losslessly; by default only a box
     * whose pictures look photographic (text and UI stay lossless) */
    enum floe_stream_video streaming_video;
};

#define FLOE_SERVER_MAX_MONITORS 4

/* Reads a password file as the server does at every link (the password on
 * its first line, at most 60 characters and not empty, optionally a line
 * "expires=WHEN"): 0, or -errno with the reason logged. For a host that
 * wants to refuse a bad file at start rather than refuse every client. */
int floe_server_password_file_check(const char *path);

/* Parse the names QEMU uses ("auto_glz", "off", ...; "auto", "never",
 * "always"): the value, or -1 for an unknown name. */
int floe_image_compression_parse(const char *name);
int floe_wan_parse(const char *name);

/* A monitor a client asks the guest for (one of its windows): its size, and
 * its place on the client's desktop; width and height 0: the monitor is off. */
struct floe_monitor_request {
    int x, y, width, height;
};

/* Input from clients, delivered on the loop thread. Any member may be NULL. */
struct floe_input_sink {
    /* PC XT set-1 scancode (0xE0-prefixed codes as 0xE0xx), down=1 / up=0 */
    void (*key_fn)(void *opaque, uint32_t scancode, int down);
    /* absolute position on the primary surface and the button mask
     * (bit 0 left, 1 middle, 2 right) */
    void (*pointer_fn)(void *opaque, int x, int y, uint32_t buttons);
    /* wheel: +1 down, -1 up */
    void (*wheel_fn)(void *opaque, int delta);
    /* a client's keyboard lock state (FLOE_LOCK_*): the guest should adopt
     * it and report back with floe_server_set_keyboard_locks */
    void (*locks_fn)(void *opaque, uint32_t locks);
    void *opaque;
    /* optional: the absolute position on monitor `monitor`'s surface (the
     * display channel the client's pointer is on) and the button mask.
     * When set it is called for every monitor and pointer_fn is not;
     * otherwise pointer_fn gets monitor 0's positions only. */
    void (*pointer_monitor_fn)(void *opaque, int monitor, int x, int y, uint32_t buttons);
    /* optional: a client asks for `count` monitors (1 to 16) of these sizes,
     * as SPICE's VD_AGENT_MONITORS_CONFIG carries them; the array is valid
     * during the call */
    void (*monitors_fn)(void *opaque, int count, const struct floe_monitor_request *mons);
    /* optional: relative motion from a client in server mouse mode, and the
     * button mask (a press or release alone comes as 0, 0). When set, such
     * a client's pointer goes through it only, and its absolute positions
     * are dropped; when NULL, relative motion moves the absolute position
     * handed to pointer_fn, whatever the mode. */
    void (*motion_fn)(void *opaque, int dx, int dy, uint32_t buttons);
    /* optional: the mouse mode in effect (FLOE_MOUSE_MODE_CLIENT while any
     * client uses client mode, or with no client when a new one would start
     * in it; else FLOE_MOUSE_MODE_SERVER): once when the sink is set, then
     * at every change */
    void (*mouse_mode_fn)(void *opaque, uint32_t mode);
};

/* Mouse modes, as SPICE numbers them: in server mode clients grab the
 * pointer and send relative motion; in client mode, absolute positions. */
enum { FLOE_MOUSE_MODE_SERVER = 1, FLOE_MOUSE_MODE_CLIENT = 2 };

/* Keyboard lock states, as SPICE sends them. */
enum { FLOE_LOCK_SCROLL = 1, FLOE_LOCK_NUM = 2, FLOE_LOCK_CAPS = 4 };

/* ---- driving the server ----
 * A server lives on one libuv loop and every function below is called on
 * that loop's thread; so are the input sink's callbacks. A host either runs
 * the server on a loop of its own (floe_server_new), or lets the library run
 * one on a thread of its own (floe_server_thread_new) and hands it work from
 * any thread with floe_server_thread_call. The library installs no signal
 * handler: a write to a client that has hung up raises SIGPIPE on the
 * loop's thread, so a host that brings its own loop ignores SIGPIPE or
 * blocks it on that thread (the server's own thread blocks it). The library
 * never exits or aborts the process on a peer's input. */

/* Creates a server on `loop` (borrowed). Returns NULL with errno set
 * (EINVAL with a logged reason for more than FLOE_SERVER_MAX_MONITORS). */
struct floe_server *floe_server_new(uv_loop_t *loop, const struct floe_server_options *opt);
/* Frees the server. Call floe_server_close first and let the loop run until
 * its handles are closed (uv_run returns). */
void floe_server_free(struct floe_server *s);
/* Listens on TCP host:port (port 0 picks one); *bound gets the port. 0 or -errno. */
int floe_server_listen(struct floe_server *s, const char *host, int port, int *bound);
/* Listens on a unix stream socket at path; its clients are served as TCP
 * ones. The path is claimed first (floe_server_unix_path_claim: a stale
 * socket is replaced, with a log line; a live one or another file refused).
 * One unix listener per server (-EBUSY); the socket file is removed by
 * floe_server_close. 0 or -errno. */
int floe_server_listen_unix(struct floe_server *s, const char *path);
/* Makes a unix socket path free to bind, for this library and for hosts
 * that bind one themselves: 0 when nothing was there, or when a socket
 * nobody listens on was there and is removed (*stale set to 1, if stale is
 * not NULL); -EADDRINUSE when a server answers on it, -EEXIST when it is
 * another kind of file, -ENAMETOOLONG, or another -errno. */
int floe_server_unix_path_claim(const char *path, int *stale);
/* One line's reason for a negative floe_server_unix_path_claim() or
 * floe_server_listen_unix() result. */
const char *floe_server_unix_path_error(int rc);
/* Serves a connected TCP or unix stream socket as a client; owns fd from now on. 0 or -errno. */
int floe_server_adopt_fd(struct floe_server *s, int fd);
/* Stops listening (a unix socket's file is removed), stops the server's
 * timer and disconnects every client; the loop ends once they are gone. */
void floe_server_close(struct floe_server *s);
/* Sets where client input goes; the sink is copied. */
void floe_server_set_input_sink(struct floe_server *s, const struct floe_input_sink *sink);
/* Keys read on the host's thread. A host whose input devices belong to a
 * thread of its own (QEMU's, on its main loop) may have each INPUTS
 * channel's socket read on that thread once the channel has linked: key
 * and keyboard-lock messages then reach the host there, in the call that
 * read them, with no hop through the server's thread; every other message
 * (the pointer, acknowledgements, pings) goes on to the server's thread
 * and the sink as before. Order holds per channel: while a message read
 * before a key is still on its way to the server's thread, the key goes
 * that way too (to the sink's key_fn). call_fn may be called on any
 * thread; every other callback is called on the host's thread. */
struct floe_input_host {
    /* runs fn(arg) on the host's thread soon, calls in the order asked; 0,
     * or <0 when it cannot (the channel is then read on the server's
     * thread, as without a host) */
    int (*call_fn)(void *opaque, void (*fn)(void *arg), void *arg);
    /* watches fd for reading: ready(arg) is called while it has data or
     * has been shut down; returns a handle, NULL on failure (the channel
     * is then closed) */
    void *(*watch_fn)(void *opaque, int fd, void (*ready)(void *arg), void *arg);
    /* ends a watch (from inside its ready callback too) */
    void (*unwatch_fn)(void *opaque, void *handle);
    /* as the sink's key_fn and locks_fn */
    void (*key_fn)(void *opaque, uint32_t scancode, int down);
    void (*locks_fn)(void *opaque, uint32_t locks);
    void *opaque;
};

/* Sets the input host (copied; NULL for none) for the INPUTS channels that
 * link from now on. The host outlives every channel it took: the server
 * shuts the socket down when it closes one, and the host's last call for
 * it ends its watch. */
void floe_server_set_input_host(struct floe_server *s, const struct floe_input_host *h);
/* Reports the guest's keyboard lock state (FLOE_LOCK_*); every client's
 * keyboard follows it. */
void floe_server_set_keyboard_locks(struct floe_server *s, uint32_t locks);
/* Sets the mouse modes clients may use (FLOE_MOUSE_MODE_* bits; server
 * mode always is): client mode only while the host can take absolute
 * positions (a tablet). Both by default. A new client starts in client
 * mode when it is allowed, else in server mode; a client asking for a mode
 * not allowed stays in its own. On a change every client is told (MAIN
 * MOUSE_MODE), and clients in client mode when it stops being allowed are
 * switched to server mode (they may ask for client mode again when it
 * comes back, as SPICE clients do). */
void floe_server_set_mouse_modes(struct floe_server *s, uint32_t modes);

/* ---- access ---- */

/* Sets the password clients must give (the SPICE ticket; at most 60
 * characters, else -EINVAL), copied. Once the time is past `expires`
 * (seconds since the epoch; 0 = never) every link is refused as expired.
 * While set it wins over the options' password file; NULL clears it (then
 * the password file, if any, decides; with none every client is refused).
 * An empty password refuses every client, as no password does. Each link
 * is checked when its ticket arrives: clients already linked stay; with
 * disable_ticketing on no ticket is checked. 0 or -EINVAL. */
int floe_server_set_ticket(struct floe_server *s, const char *password, time_t expires);
/* Turns the options' disable_ticketing on (any ticket is accepted, the
 * password is not asked) or off, for the links from now on. */
void floe_server_set_disable_ticketing(struct floe_server *s, int on);
/* Turns the options' exclusive on or off, for the MAIN links from now on. */
void floe_server_set_exclusive(struct floe_server *s, int on);
/* Changes options.streaming_video; a stream running when it is turned off
 * ends as if it had stood still. */
void floe_server_set_streaming_video(struct floe_server *s, enum floe_stream_video mode);

/* ---- channel events, for the host ---- */

enum floe_channel_event {
    FLOE_CHANNEL_CONNECTED = 1,   /* a socket was accepted (or adopted), before its link */
    FLOE_CHANNEL_INITIALIZED = 2, /* its link succeeded: it serves a channel of a session */
    FLOE_CHANNEL_DISCONNECTED = 3,/* it is closed, whether its link succeeded or not */
};

/* One connection, as an event describes it; valid during the callback. */
struct floe_channel_info {
    uint64_t conn;            /* the same in every event of one connection, never 0 */
    int type, id;             /* SPICE channel type and id; 0 before INITIALIZED */
    uint32_t session_id;      /* the session's id (MAIN_INIT's); 0 before INITIALIZED */
    int tls;                  /* 1 on a TLS connection (none yet: 0) */
    struct sockaddr_storage laddr, paddr;   /* the server's end and the peer's */
    socklen_t llen, plen;     /* their lengths; AF_UNIX for a unix socket */
};

struct floe_event_sink {
    /* event is a floe_channel_event. Called on the loop thread; it must not
     * close or free the server. */
    void (*channel_fn)(void *opaque, int event, const struct floe_channel_info *info);
    void *opaque;
};

/* Sets where channel events go (copied; NULL for none). Each connection
 * that starts while a sink is set gets CONNECTED, then INITIALIZED if its
 * link succeeds, then exactly one DISCONNECTED: when its link fails, when
 * its client leaves, is replaced or is disconnected, or when the server
 * closes (after floe_server_close, as the loop runs on). The events of a
 * connection go to the sink set when they happen; connections that started
 * with no sink set are never reported. */
void floe_server_set_event_sink(struct floe_server *s, const struct floe_event_sink *sink);

/* ---- the server on a thread of its own ---- */

struct floe_server_thread;
/* Work handed to the server's thread: it runs there with the server. */
typedef void floe_server_call_fn(struct floe_server *s, void *opaque);
/* Starts a thread with a loop of its own and a server on it (options as for
 * floe_server_new). NULL with errno set. */
struct floe_server_thread *floe_server_thread_new(const struct floe_server_options *opt);
/* Runs fn(server, opaque) on the server's thread, soon; calls run one at a
 * time in the order they were made. Safe from any thread; fn owns opaque
 * (e.g. a frame's pixels it frees once drawn). 0, -ENOMEM, or -ESHUTDOWN
 * once the thread is being freed. */
int floe_server_thread_call(struct floe_server_thread *t, floe_server_call_fn *fn, void *opaque);
/* The same, and returns once fn has run. -EDEADLK on the server's thread. */
int floe_server_thread_call_wait(struct floe_server_thread *t, floe_server_call_fn *fn,
                                 void *opaque);
/* Runs the calls already made, disconnects every client, closes the server,
 * joins its thread and frees everything. Not on the server's thread. */
void floe_server_thread_free(struct floe_server_thread *t);

/* Changes the number of monitors served (1..FLOE_SERVER_MAX_MONITORS, else
 * -EINVAL), e.g. when a second graphics device comes after the start. Sessions
 * that link from now on are offered that many DISPLAY channels; sessions
 * already linked keep the ones they were offered. A monitor beyond a lowered
 * count keeps its surface, but producer calls on it are ignored and its
 * DISPLAY channels get nothing more until the count is raised again. 0 or
 * -EINVAL. */
int floe_server_set_monitors(struct floe_server *s, int monitors);

/* ---- display producer API ----
 * surface_id k (0 <= k < monitors) is monitor k's primary surface: what is
 * drawn on it goes only to clients' DISPLAY channel k, where it is that
 * channel's surface 0. With one monitor, surface 0 is the primary surface.
 * An id out of range is ignored (logged at debug level); surface_create
 * returns -ENOTSUP for it. */

/* Creates (or re-creates, at a new size) monitor surface_id's primary
 * surface, black. 0 or -errno. */
int floe_server_surface_create(struct floe_server *s, uint32_t surface_id, int width, int height);

#define FLOE_SERVER_MAX_HEADS 16
/* Says that monitor surface_id's surface is shown as `count` heads (a
 * guest's several outputs on one graphics device), each a rectangle of the
 * surface; count 0: one head, the whole surface (the default). Clients told
 * of heads (SPICE's MONITORS_CONFIG) show a window for each; a head is
 * clipped to the surface, and one left empty is not told. Kept across
 * surface_create. 0, -EINVAL (count or a rectangle out of range) or
 * -ENOTSUP (no such monitor). */
int floe_server_set_heads(struct floe_server *s, uint32_t surface_id, int count,
                          const struct floe_rect *heads);
/* Fills r with an opaque colour 0xRRGGBB. */
void floe_server_draw_fill(struct floe_server *s, uint32_t surface_id, const struct floe_rect *r,
                           uint32_t rgb);
/* Copies opaque xRGB pixels (stride in bytes, negative for rows bottom up;
 * the server copies them) to r. Clients are sent what differs from the
 * surface only, and a picture that is the surface scrolled goes as a
 * COPY_BITS and the rows that are new. */
void floe_server_draw_image(struct floe_server *s, uint32_t surface_id, const struct floe_rect *r,
                            const uint32_t *pixels, int stride);
/* Moves the pixels at (src_x, src_y) of size dst->w x dst->h to dst
 * (overlap allowed, as for scrolling). */
void floe_server_copy_bits(struct floe_server *s, uint32_t surface_id, int src_x, int src_y,
                           const struct floe_rect *dst);
/* A draw operation as SPICE defines it (struct floe_raster_op of
 * codecs/raster.h: FILL, COPY, TEXT, STROKE, ROP3, COMPOSITE, ... with
 * clip, mask and brushes), on monitor surface_id's surface. The server
 * renders it into the surface as SPICE's software canvas would, and sends
 * the clients the draw message that says the same, for them to render
 * (its images compressed losslessly, each at most four times the pixels
 * the operation changes; a source image a client has cached goes as
 * FROM_CACHE); an operation that reads a surface (src_surface)
 * other than one of the monitor's off-screen surfaces (below), has a mask
 * other than 1-bit or A8 glyphs (which the reference client misreads), or
 * whose images are larger goes as the pixels it changed. Images the operation names are read during the call
 * only. Colours are xRGB. 0; -ENOTSUP (no such monitor or no surface yet,
 * or an operation the renderer does not draw, whose area then goes as
 * pixels), -EINVAL (a bbox that leaves the surface: nothing is drawn) or
 * -ENOMEM. */
struct floe_raster_op;
int floe_server_draw(struct floe_server *s, uint32_t surface_id, const struct floe_raster_op *op);

/* Off-screen surfaces: a monitor's surfaces other than its primary (ids 1 ..
 * FLOE_SERVER_MAX_SURFACES - 1 on its display channel, as QXL's), whose
 * pixels the producer owns and draws on itself. Every client gets each one
 * created, each draw on it as a draw message (or the pixels it changed),
 * and a draw on the primary (floe_server_draw) whose src_surface is one of
 * them (its pixels are the ones given here) names it instead of carrying
 * its pixels. A client that links later gets each one whole. */
#define FLOE_SERVER_MAX_SURFACES 1024
/* An off-screen surface's pixels: 32-bit xRGB or ARGB words, 16-bit 5-6-5
 * or x-5-5-5 ones, or 8-bit alpha (A8). A draw on one takes its colours in
 * the surface's own format, as QXL's do. */
enum floe_surface_format {
    FLOE_SURFACE_XRGB = 0,
    FLOE_SURFACE_ARGB = 1,
    FLOE_SURFACE_RGB565,
    FLOE_SURFACE_XRGB1555,
    FLOE_SURFACE_A8,
};
/* Surface id of monitor, width x height pixels of `format` at `pixels`,
 * rows stride bytes apart (a multiple of 4; negative: bottom up). They stay
 * the producer's and are read until the surface is destroyed; an id in use
 * is destroyed first. 0, -EINVAL, -ENOSPC (the monitor's off-screen
 * surfaces would hold more than 256 MB: this one stays the producer's
 * alone) or -ENOMEM. */
int floe_server_offscreen_create(struct floe_server *s, uint32_t monitor, uint32_t id, int width,
                                 int height, void *pixels, int stride,
                                 enum floe_surface_format format);
/* Before its pixels go: clients destroy it too. */
void floe_server_offscreen_destroy(struct floe_server *s, uint32_t monitor, uint32_t id);
/* The producer drew op on surface id (called after drawing it): 0 when the
 * clients get it as a draw message; 1 when they need the pixels it changed
 * (floe_server_offscreen_update); -ENOENT (no such surface) or -EINVAL. */
int floe_server_offscreen_draw(struct floe_server *s, uint32_t monitor, uint32_t id,
                               const struct floe_raster_op *op);
/* Sends the clients the current pixels of r of surface id. */
void floe_server_offscreen_update(struct floe_server *s, uint32_t monitor, uint32_t id,
                                  const struct floe_rect *r);
/* Ends a frame: clients are told the picture is complete up to here. */
void floe_server_frame_end(struct floe_server *s);

/* ---- cursor (on monitor 0: clients have one CURSOR channel, id 0) ---- */

/* Sets the cursor shape from w x h premultiplied ARGB words (copied). */
void floe_server_cursor_set(struct floe_server *s, const uint32_t *argb, int w, int h,
                            int hot_x, int hot_y);
void floe_server_cursor_move(struct floe_server *s, int x, int y);
void floe_server_cursor_hide(struct floe_server *s);

/* ---- inspection ---- */

/* Writes monitor 0's primary surface as PNG. 0 or -errno. */
int floe_server_snapshot(struct floe_server *s, const char *path);
/* Writes monitor `monitor`'s primary surface as PNG. 0, -EINVAL for a
 * monitor out of range, -ENODATA when it has no surface yet, or -errno. */
int floe_server_snapshot_monitor(struct floe_server *s, int monitor, const char *path);
/* The number of monitors served (1..FLOE_SERVER_MAX_MONITORS). */
int floe_server_monitors(const struct floe_server *s);
/* Describes connected clients and their channels, one line each, into buf. */
void floe_server_describe_clients(struct floe_server *s, char *buf, size_t len);

struct floe_server_stats {
    uint64_t frames;        /* floe_server_frame_end calls */
    uint64_t bytes_sent;    /* bytes written to all clients */
    uint64_t messages_sent;
    int clients;            /* connected sessions */
    uint64_t images;        /* images sent to clients (each client counts) */
    uint64_t image_bytes_raw;     /* their size as 32-bit pixels */
    uint64_t image_bytes_coded;   /* their size as sent (cache hits not counted) */
    uint64_t cache_hits;    /* images sent as FROM_CACHE */
    uint64_t images_by_type[128];  /* by SPICE image type (BITMAP 0, QUIC 1, LZ_RGB 101, ...) */
    uint64_t scrolls;       /* pictures found to be the surface scrolled (sent as
                             * COPY_BITS and what is new) */
    uint64_t fills;         /* changed bands of pictures found to be one colour (sent
                             * as DRAW_FILL) */
    uint64_t streams;       /* video streams started (each monitor's, not each client's) */
    uint64_t stream_frames; /* STREAM_DATA frames written to clients (each client counts) */
    uint64_t ops_offloaded; /* floe_server_draw operations sent as draw messages */
    uint64_t ops_rendered;  /* floe_server_draw operations sent as the pixels they changed */
    uint64_t occluded;      /* draws queued for a client dropped unsent, painted over
                             * whole by a later one */
    int server_rendered_clients; /* display channels whose client reported falling behind
                                  * rendering draws: they get the pixels instead */
    int offscreen_surfaces; /* off-screen surfaces the clients are given, all monitors */
    uint64_t lossless_refresh;        /* rectangles a client held lossy sent again
                                       * losslessly once its link was fast */
    uint64_t lossless_refresh_pixels; /* ... and their pixels */
    int agent;                        /* a guest agent is attached */
    uint64_t agent_to_guest;          /* agent messages the clients sent the guest */
    uint64_t agent_from_guest;        /* ... and the guest sent the clients */
    uint64_t agent_dropped;           /* agent messages dropped (bad, not the owner's, over a bound) */
};
void floe_server_get_stats(struct floe_server *s, struct floe_server_stats *st);

/* Disconnects every client: each linked channel gets DISCONNECTING with
 * `reason` (a SPICE link error: 0 OK, 1 ERROR, ...) and is closed once its
 * queued bytes are written; `why` goes to the log. The server keeps
 * listening. Returns how many sessions there were. */
int floe_server_disconnect_clients(struct floe_server *s, uint32_t reason, const char *why);

/* ---- the guest agent's port (VDAgent, as on virtio-serial com.redhat.spice.0) ----
 * One agent per server, relayed to every client's MAIN channel. The bytes
 * both ways are VDIChunks: a chunk header {port, size} and `size` bytes of
 * the messages of that port (1: the clients', 2: the server's own). */
struct floe_agent_port {
    /* Bytes for the guest, whole chunks (the buffer is the server's, valid
     * for the call). 0: all taken; -EAGAIN: none taken, the server offers
     * them again after floe_server_agent_wake. It must not call the agent
     * functions below from inside. */
    int (*write_fn)(void *opaque, const uint8_t *bytes, size_t len);
    void *opaque;
};

/* The guest's agent opened its port: clients get AGENT_CONNECTED. The
 * table is copied. 0, or -EBUSY (one is attached). */
int floe_server_agent_attach(struct floe_server *s, const struct floe_agent_port *port);
/* Bytes the guest wrote, cut anywhere (the caller keeps them). 0, or
 * -EPROTO: they broke the protocol and the agent was detached. */
int floe_server_agent_from_guest(struct floe_server *s, const void *bytes, size_t len);
/* The port takes bytes again after a write_fn's -EAGAIN. */
void floe_server_agent_wake(struct floe_server *s);
/* The guest closed its port: clients get AGENT_DISCONNECTED. No-op when
 * none is attached. */
void floe_server_agent_detach(struct floe_server *s);
int floe_server_agent_attached(const struct floe_server *s);
/* Whether clients' monitor configs go to the host rather than the agent:
 * with `local` set, the server reads them itself and hands them to the
 * input sink's monitors_fn, as when no agent is attached (a host whose
 * display device hands them to the guest's driver, as QEMU's qxl does,
 * sets it; the agent then never sees them). 0 by default; kept across
 * attach and detach. */
void floe_server_agent_monitors_local(struct floe_server *s, int local);

#pragma GCC visibility pop

#endif
