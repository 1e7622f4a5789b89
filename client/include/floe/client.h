/* libfloe-client: a SPICE 2.2 client library (main, display, inputs and cursor
 * channels, a pixman canvas). No event loop of its own beyond poll(). */
#ifndef FLOE_CLIENT_H
#define FLOE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

struct floe_client;

/* What a spice:// or spice+unix:// URI names. */
struct floe_client_uri {
    char host[256];
    int port;
    char password[128];
    int has_password;
    char unix_path[108];         /* spice+unix:// only (then host is empty, port 0) */
};

/* Display events may be about any monitor: look at each (floe_client_monitors). */
enum floe_client_event {
    FLOE_CLIENT_EVENT_DISPLAY,      /* primary surface pixels changed */
    FLOE_CLIENT_EVENT_RESIZE,       /* primary surface created, destroyed or resized */
    FLOE_CLIENT_EVENT_MARK,         /* the server marked the picture complete */
    FLOE_CLIENT_EVENT_CURSOR,       /* cursor shape, position or visibility changed */
    FLOE_CLIENT_EVENT_TITLE,        /* the server sent the VM's name */
    FLOE_CLIENT_EVENT_MOUSE_MODE,   /* server/client mouse mode changed */
    FLOE_CLIENT_EVENT_INPUTS_READY, /* the inputs channel is linked */
    FLOE_CLIENT_EVENT_DISCONNECTED, /* the session ended (see floe_client_get_error) */
    FLOE_CLIENT_EVENT_AGENT,        /* the guest's agent came (its capabilities known) or went */
    FLOE_CLIENT_EVENT_CLIPBOARD,    /* the guest's clipboard came (floe_client_clipboard_get) */
    FLOE_CLIENT_EVENT_FILE_XFER,    /* a file transfer moved on or ended */
};

struct floe_client_options {
    const char *host;            /* copied */
    int port;
    /* copied; when set, the client connects to this unix stream socket
     * and host and port are not used */
    const char *unix_path;
    const char *password;        /* copied; NULL sends an empty ticket */
    uint64_t pixmap_cache_bytes; /* image cache size; 0 = 20 MiB */
    int timeout_ms;              /* connect and link timeout; 0 = 10 s */
    /* image compression asked of servers that take requests (SPICE
     * image_compression: 1 off ... 7 lz4); 0 or -1 = ask nothing */
    int preferred_compression;
    /* Called on the network thread with no lock held; keep it short (for
     * example post an event to the UI thread). May be NULL. */
    void (*event_fn)(void *opaque, enum floe_client_event ev);
    void *opaque;
    int no_clipboard;            /* share no clipboard with the guest's agent */
    int no_file_transfer;        /* send it no files */
};

/* The primary surface, borrowed while the canvas lock is held. */
struct floe_client_canvas {
    const uint32_t *pixels;   /* xRGB words */
    int width, height, stride; /* stride in bytes */
    uint64_t serial;          /* changes whenever the primary surface is replaced */
    /* bounding box of the pixels changed since the previous lock; w = 0 if none */
    int damage_x, damage_y, damage_w, damage_h;
};

struct floe_client_cursor {
    int visible;
    int x, y;                 /* hot spot position on the primary surface */
    int width, height, hot_x, hot_y;
    uint64_t shape_serial;    /* changes whenever the shape changes */
    uint32_t *argb;           /* shape copy (caller frees) or NULL, see cursor_get */
};

struct floe_client_stats {
    uint64_t frames;          /* canvas updates: bursts of drawing on the primary surface
                                 separated by at least 8 ms without display data */
    uint64_t marks;           /* DISPLAY MARK messages */
    uint64_t draws;           /* draw commands applied */
    uint64_t bytes_in;        /* bytes received on every channel */
    uint64_t messages_in;     /* messages received on every channel */
    int width, height;        /* primary surface size (0 if none) */
    uint64_t streams;         /* video streams the server created */
    uint64_t stream_frames;   /* their frames drawn, each at its time */
    uint64_t stream_reordered;  /* frames stamped no later than the stream's frame before */
    uint64_t stream_span_ms;  /* from the first stream frame drawn to the last */
    uint64_t stream_drops;    /* frames not drawn: late, stamped before one drawn, beyond
                                 what is held, not decoded, held when the stream ended */
    uint64_t stream_late;     /* of those, the frames that came or fell late */
};

/* Parses spice://HOST:PORT[?password=P] or spice://HOST?port=N[&password=P],
 * or spice+unix://PATH (everything after the scheme is the socket's path, as
 * remote-viewer reads it: spice+unix:///run/vm.sock), into *out. 0, or
 * -EINVAL with a reason in err. */
int floe_client_parse_uri(const char *uri, struct floe_client_uri *out, char *err, size_t errlen);

/* Creates a client (not yet connected); copies every string of opt. NULL on ENOMEM. */
struct floe_client *floe_client_new(const struct floe_client_options *opt);
/* Stops the network thread if any, closes every channel and frees c. */
void floe_client_free(struct floe_client *c);
/* Connects and links the MAIN channel (blocking, bounded by the timeout).
 * 0, or -errno with one line (e.g. "link refused: PERMISSION_DENIED") in err. */
int floe_client_connect(struct floe_client *c, char *err, size_t errlen);
/* Runs the network loop in a new thread owned by c. 0 or -errno. */
int floe_client_start(struct floe_client *c);
/* Runs one network iteration on the caller's thread (when no thread was
 * started), waiting at most timeout_ms. 0, or -ENOTCONN once disconnected. */
int floe_client_poll(struct floe_client *c, int timeout_ms);
/* Asks the network thread to stop, joins it and closes every channel. */
void floe_client_stop(struct floe_client *c);
/* 1 while the MAIN channel is up. */
int floe_client_is_connected(struct floe_client *c);
/* Copies the reason the session ended (empty if none) into buf. */
void floe_client_get_error(struct floe_client *c, char *buf, size_t len);
/* Copies the VM name from MAIN NAME (empty if none) into buf. */
void floe_client_get_title(struct floe_client *c, char *buf, size_t len);
void floe_client_get_stats(struct floe_client *c, struct floe_client_stats *st);

/* ---- monitors: the server's DISPLAY channels; monitor k is channel id k,
 * with a primary surface of its own. The calls without a monitor are
 * about monitor 0. ---- */

/* How many monitors there are: for each display channel up to the highest
 * linked, its primary surface, or each head its MONITORS_CONFIG names (a
 * guest's outputs on one graphics device), in order; 0 before the first
 * display is linked. Every call taking a monitor counts this way: a
 * monitor's canvas is its head's rectangle of the surface. */
int floe_client_monitors(struct floe_client *c);
/* Like floe_client_get_stats for one monitor (bytes and messages are the
 * session's). */
void floe_client_get_monitor_stats(struct floe_client *c, int monitor,
                                   struct floe_client_stats *st);

/* Locks the canvas and describes the primary surface in *out (borrowed until
 * unlock); also takes the damage accumulated since the last call.
 * 0, -ENOENT when there is no primary surface, or -ENOMEM (the lock is held
 * either way). */
int floe_client_canvas_lock(struct floe_client *c, struct floe_client_canvas *out);
/* The same for monitor `monitor`; -ENOENT also for a monitor out of range. */
int floe_client_canvas_lock_monitor(struct floe_client *c, int monitor,
                                    struct floe_client_canvas *out);
void floe_client_canvas_unlock(struct floe_client *c);
/* Writes the primary surface (no cursor) as a PNG file. 0 or -errno. */
int floe_client_save_png(struct floe_client *c, const char *path);
/* The same for monitor `monitor` (-ENOENT when it has no surface). */
int floe_client_save_png_monitor(struct floe_client *c, int monitor, const char *path);

/* Copies the cursor state into *out; out->argb is a new copy of the shape
 * (caller frees) when out->shape_serial differs from known_serial, else NULL. */
void floe_client_cursor_get(struct floe_client *c, struct floe_client_cursor *out,
                            uint64_t known_serial);

/* ---- input (any thread) ---- */

/* 1 = server mouse mode (relative motion), 2 = client mode (absolute). */
int floe_client_mouse_mode(struct floe_client *c);
/* 1 once the inputs channel is linked. */
int floe_client_inputs_ready(struct floe_client *c);
/* A PC XT set-1 scancode; 0xE0-prefixed keys as 0x100 | code. */
void floe_client_key(struct floe_client *c, uint32_t scancode, int down);
/* Absolute pointer position on the primary surface (client mouse mode). */
void floe_client_mouse_position(struct floe_client *c, int x, int y);
/* The same on monitor `monitor` (sent with its display channel's id, on
 * that channel's surface). */
void floe_client_mouse_position_monitor(struct floe_client *c, int monitor, int x, int y);
/* Relative pointer motion (server mouse mode). */
void floe_client_mouse_motion(struct floe_client *c, int dx, int dy);
/* Button 1 left, 2 middle, 3 right, 4 wheel up, 5 wheel down. */
void floe_client_mouse_button(struct floe_client *c, int button, int down);

/* A monitor asked of the guest: its size and its place on the client's
 * desktop; width and height 0 switch it off. */
struct floe_client_monitor {
    int x, y, width, height;
};
#define FLOE_CLIENT_MAX_ASKED 16
/* Asks the guest for these monitors (SPICE's VD_AGENT_MONITORS_CONFIG, which
 * floe's server and QEMU hand to the guest's QXL driver): sent once the
 * session has begun and the server's tokens allow; a newer request replaces
 * one not sent yet. 0, or -EINVAL. */
int floe_client_ask_monitors(struct floe_client *c, int count,
                             const struct floe_client_monitor *mons);

/* ---- the guest's agent: clipboard and file transfer ---- */

/* 1 when the guest's agent is connected and has told its capabilities. */
int floe_client_agent_ready(struct floe_client *c);

/* Clipboard contents: UTF-8 text or a PNG picture; selection 0 is the
 * clipboard, 1 the primary selection. */
enum { FLOE_CLIENT_CLIP_TEXT = 1, FLOE_CLIENT_CLIP_PNG = 2 };
#define FLOE_CLIENT_MAX_CLIPBOARD (16u << 20)
/* The client's user copied data: the guest's agent is told the selection
 * is the client's (now, or when an agent comes) and gets a copy of the data
 * when it asks. 0, -EINVAL (another type, a selection other than 0 or 1, or
 * more than FLOE_CLIENT_MAX_CLIPBOARD bytes), -EPERM (no_clipboard) or
 * -ENOMEM. */
int floe_client_clipboard_offer(struct floe_client *c, int selection, int type,
                                const void *data, size_t len);
/* What the guest put on the selection, the last that came: a copy in *data
 * (the caller frees it; a NUL follows its len bytes), its type, and a serial
 * that grows by one each time new contents come. -ENOENT when none came
 * (or the guest released it since), -ENOMEM. */
int floe_client_clipboard_get(struct floe_client *c, int selection, int *type, void **data,
                              size_t *len, uint64_t *serial);

/* A file sent to the guest's agent, which writes it into its folder. */
enum floe_client_xfer_state {
    FLOE_CLIENT_XFER_WAITING,    /* asked; the agent has not said yes */
    FLOE_CLIENT_XFER_SENDING,
    FLOE_CLIENT_XFER_DONE,       /* the agent wrote it whole */
    FLOE_CLIENT_XFER_FAILED,     /* see error */
};
struct floe_client_file_xfer {
    uint32_t id;
    uint64_t size, sent;
    enum floe_client_xfer_state state;
    char name[256];
    char error[128];
};
/* Starts sending the regular file at path (its name without the folders):
 * its id (> 0), or -errno: -EPERM (no_file_transfer), -ENOTCONN (no agent
 * ready), -ENOTSUP (the agent takes no files: FILE_XFER_DISABLED), -EBUSY
 * (8 transfers running), or what opening it said. */
int floe_client_file_send(struct floe_client *c, const char *path);
/* Transfer id's progress. 0 or -ENOENT. */
int floe_client_file_status(struct floe_client *c, uint32_t id, struct floe_client_file_xfer *out);

#pragma GCC visibility pop

#endif
