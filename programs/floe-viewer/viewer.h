/* Shared pieces of floe-viewer: options, the clock and --type key sender
 * (typer.c), the latency probe and the SDL front end's entry points. Only
 * main.c calls the probe and the front end; they call typer.c alone. */
#ifndef FLOE_VIEWER_H
#define FLOE_VIEWER_H

#include <stddef.h>
#include <stdint.h>

#include "floe/client.h"

struct viewer_options {
    const char *uri;
    int headless;
    double duration;         /* seconds; < 0 = until the window closes */
    double settle;           /* headless: after duration, wait for this long a still picture */
    const char *snapshot;
    const char *type_text;
    const char *password_file;
    int64_t type_delay_ms;   /* --type starts this long after the picture is up */
    int preferred_compression;  /* see floe_client_options */
    int measure_latency;     /* > 0: headless, time this many keys, then stop */
    int guest_monitors;      /* > 0: --guest-size, the monitors to ask the guest for */
    struct floe_client_monitor guest_size[FLOE_CLIENT_MAX_ASKED];
    const char *pointer;     /* headless: the --pointer script */
    int no_clipboard, no_file_transfer, no_guest_resize;
    const char *clipboard_set;   /* text offered to the guest's clipboard */
    const char *clipboard_out;   /* the guest's clipboard text goes to this file */
    const char *send_file;       /* sent to the guest once its agent is ready */
};

/* --clipboard-set, --clipboard-out and --send-file (share.c). */
struct viewer_share {
    const char *clip_set, *clip_out, *send_file;
    int offered;
    uint64_t clip_serial;
    uint32_t file_id;
    int file_ended;          /* 1 sent whole, -1 failed */
    int last_state;
    uint64_t last_sent;
    int64_t last_print;
};

/* Types text as key presses once the display and inputs are up, delay_ms
 * after that. */
struct viewer_typer {
    const char *text;
    int64_t delay_ms;
    size_t pos;
    int phase;               /* 0 press, 1 release, 2 gap */
    int64_t next_ms;
    int64_t up_ms;           /* when the display and inputs were first seen up */
};

/* --pointer: steps sent in order once the picture is up (after delay_ms),
 * 50 ms apart; a relative move waits for server mouse mode, an absolute
 * position for client mode. */
enum viewer_pointer_kind { POINTER_REL, POINTER_ABS, POINTER_PRESS, POINTER_RELEASE };
#define VIEWER_POINTER_MAX 64
struct viewer_pointer_step {
    enum viewer_pointer_kind kind;
    int a, b;                /* REL: dx, dy; ABS: x, y; PRESS, RELEASE: the button in a */
};
struct viewer_pointer {
    struct viewer_pointer_step steps[VIEWER_POINTER_MAX];
    int n, pos;
    int64_t delay_ms, up_ms, next_ms;
};

/* ---- typer.c ---- */

/* CLOCK_MONOTONIC in milliseconds. */
int64_t viewer_now_ms(void);
/* 0 once the picture and the inputs channel are up and delay_ms has passed
 * since (*up_ms keeps when they were first seen up); else ms to wait. */
int viewer_wait_up(int64_t *up_ms, int64_t delay_ms, struct floe_client *c, int64_t now);
/* Sends the key event that is due; returns ms until the next one, or -1 when
 * there is nothing (left) to type. */
int viewer_typer_step(struct viewer_typer *t, struct floe_client *c, int64_t now);

/* ---- pointer.c ---- */

/* Parses a --pointer script ("rel DX DY", "abs X Y", "press N", "release N"
 * separated by commas; N 1 left, 2 middle, 3 right, 4 and 5 the wheel):
 * 0, or -1 when it is not one. */
int viewer_pointer_parse(struct viewer_pointer *p, const char *script);
/* Sends the step that is due (printing it, with the mouse mode, on
 * stderr); returns ms until the next one, or -1 when all were sent. */
int viewer_pointer_step(struct viewer_pointer *p, struct floe_client *c, int64_t now);

/* ---- share.c ---- */

/* Offers --clipboard-set once, writes the guest's clipboard text to
 * --clipboard-out whenever new text came, sends --send-file once the agent
 * is ready and prints "file_xfer name= sent= size= state=[ error=]" lines
 * on stdout as it goes. ms until it wants to look again, or -1 when nothing
 * is left to watch. */
int viewer_share_step(struct viewer_share *s, struct floe_client *c, int64_t now);

/* ---- latency.c ---- */

/* --measure-latency: once the picture is up, count times waits for a still
 * picture, sends a key and times the first changed pixel; prints
 * "latency_ms min= median= max= n=". 0 when all count samples were taken,
 * -1 when the session ended, a key changed nothing within 10 s,
 * deadline_ms (viewer_now_ms() time) passed or stop_fn (asked while
 * waiting; the caller's SIGINT or SIGTERM) returned nonzero first. */
int viewer_measure_latency(struct floe_client *c, int count, int64_t deadline_ms,
                           int (*stop_fn)(void));

/* ---- sdl-ui.c ---- */

/* SDL front end. init: 0, or -1 when no display can be opened. */
int viewer_sdl_init(void);
/* The client's event callback for the SDL front end (any thread). */
void viewer_sdl_event(void *opaque, enum floe_client_event ev);
/* Runs the window until it closes, the duration passes or the session ends
 * (-1). */
int viewer_sdl_run(struct floe_client *c, const struct viewer_options *o,
                   struct viewer_typer *t, struct viewer_share *sh);
void viewer_sdl_quit(void);

#endif
