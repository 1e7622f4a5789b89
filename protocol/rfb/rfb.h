/* RFB 3.8 (VNC) client side, pure: the handshake, the client messages a
 * framebuffer reader sends and an incremental parser of server messages. */
#ifndef FLOE_PROTOCOL_RFB_H
#define FLOE_PROTOCOL_RFB_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/spice/wire.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* Every multi-byte RFB integer is big-endian on the wire. */

#define FLOE_RFB_VERSION_LEN 12          /* "RFB 003.008\n" */
#define FLOE_RFB_SEC_NONE 1
/* Limits: a framebuffer wider or taller than MAX_DIM, or with more than
 * MAX_PIXELS pixels, is refused, as are longer names, reasons and cut texts. */
#define FLOE_RFB_MAX_DIM 8192
#define FLOE_RFB_MAX_PIXELS (1L << 24)
#define FLOE_RFB_MAX_NAME 4096
#define FLOE_RFB_MAX_REASON 4096
#define FLOE_RFB_MAX_CUT_TEXT (1L << 20)
/* Bytes per pixel of the only pixel format this client asks for. */
#define FLOE_RFB_BPP 4

enum floe_rfb_encoding {
    FLOE_RFB_ENC_RAW = 0,
    FLOE_RFB_ENC_COPYRECT = 1,
    FLOE_RFB_ENC_HEXTILE = 5,
    FLOE_RFB_ENC_DESKTOP_SIZE = -223,      /* pseudo: rect w x h is the new size */
    FLOE_RFB_ENC_QEMU_EXT_KEY = -258,      /* pseudo: the server takes QEMU key events */
};

/* PIXEL_FORMAT, 16 bytes on the wire (3 of padding). */
struct floe_rfb_pixel_format {
    uint8_t bpp, depth, big_endian, true_colour;
    uint16_t red_max, green_max, blue_max;
    uint8_t red_shift, green_shift, blue_shift;
};

/* The format floe asks for: 32 bpp, depth 24, little-endian true colour with
 * red at bit 16, green at 8, blue at 0: a pixel is one xRGB word. */
extern const struct floe_rfb_pixel_format floe_rfb_xrgb;

struct floe_rfb_server_init {
    uint16_t width, height;
    struct floe_rfb_pixel_format format;
    char name[256];                        /* NUL-terminated, truncated copy */
};

/* Results of every parser below: 1 = parsed (*used bytes consumed),
 * 0 = need more bytes, negative = bad input: -EBADMSG (malformed or unknown),
 * -E2BIG (a size over the limits above), -ERANGE (a rectangle outside the
 * framebuffer), -EPROTONOSUPPORT (a version other than 3.8 or later). */

/* ProtocolVersion "RFB xxx.yyy\n": *major and *minor. */
int floe_rfb_parse_version(const uint8_t *buf, size_t len, int *major, int *minor, size_t *used);

/* The server's security types. n == 0 means the server refused the
 * connection; reason (NUL-terminated, truncated to reason_cap - 1) says why. */
struct floe_rfb_security {
    int n;
    uint8_t types[255];
};
int floe_rfb_parse_security(const uint8_t *buf, size_t len, struct floe_rfb_security *sec,
                            char *reason, size_t reason_cap, size_t *used);

/* SecurityResult: *status 0 is OK; otherwise a reason string follows (3.8). */
int floe_rfb_parse_security_result(const uint8_t *buf, size_t len, uint32_t *status,
                                   char *reason, size_t reason_cap, size_t *used);

/* ServerInit. A zero-sized framebuffer or one over the limits is refused. */
int floe_rfb_parse_server_init(const uint8_t *buf, size_t len, struct floe_rfb_server_init *si,
                               size_t *used);

/* Client messages, appended to w (which reports allocation failure itself). */
void floe_rfb_put_version(struct floe_wbuf *w);
void floe_rfb_put_security_choice(struct floe_wbuf *w, uint8_t type);
void floe_rfb_put_client_init(struct floe_wbuf *w, int shared);
void floe_rfb_put_set_pixel_format(struct floe_wbuf *w, const struct floe_rfb_pixel_format *pf);
void floe_rfb_put_set_encodings(struct floe_wbuf *w, const int32_t *enc, uint16_t n);
void floe_rfb_put_update_request(struct floe_wbuf *w, int incremental, uint16_t x, uint16_t y,
                                 uint16_t width, uint16_t height);
void floe_rfb_put_key(struct floe_wbuf *w, int down, uint32_t keysym);
/* QEMU extended key event; keycode is the RFB form of an XT scancode
 * (see floe_rfb_xt_keycode). */
void floe_rfb_put_qemu_key(struct floe_wbuf *w, int down, uint32_t keysym, uint32_t keycode);
void floe_rfb_put_pointer(struct floe_wbuf *w, uint8_t buttons, uint16_t x, uint16_t y);

/* An XT scancode (0xNN, or 0xe0NN for the extended ones) as the keycode of
 * the QEMU key event (0xNN, or 0x80 | NN); 0 for anything else. */
uint32_t floe_rfb_xt_keycode(uint32_t xt);

/* ---- server messages ---- */

enum floe_rfb_msg_type {
    FLOE_RFB_MSG_UPDATE_BEGIN,   /* FramebufferUpdate header: u.nrects rectangles follow */
    FLOE_RFB_MSG_RECT,           /* one rectangle of it: u.rect */
    FLOE_RFB_MSG_UPDATE_END,     /* after its last rectangle (consumes no bytes) */
    FLOE_RFB_MSG_COLOURMAP,      /* SetColourMapEntries, skipped */
    FLOE_RFB_MSG_BELL,
    FLOE_RFB_MSG_CUT_TEXT,       /* ServerCutText: u.text (Latin-1, not terminated) */
};

struct floe_rfb_rect {
    uint16_t x, y, w, h;
    int32_t encoding;
    /* RAW: w * h pixels of FLOE_RFB_BPP bytes (the client's pixel format),
     * rows packed, pointing into the parsed buffer. HEXTILE: its size
     * bytes of tiles there, whole and checked (floe_rfb_hextile_decode). */
    const uint8_t *pixels;
    size_t size;
    /* COPYRECT: the source's top-left corner (same w x h). */
    uint16_t src_x, src_y;
    /* DESKTOP_SIZE: w x h is the new framebuffer size, x and y mean nothing. */
};

struct floe_rfb_msg {
    enum floe_rfb_msg_type type;
    union {
        uint16_t nrects;
        struct floe_rfb_rect rect;
        struct { const uint8_t *p; size_t len; } text;
    } u;
};

/* The state between server messages: the framebuffer size rectangles are
 * checked against (a DesktopSize rectangle changes it) and the position in
 * the FramebufferUpdate being read. error names the last bad input. */
struct floe_rfb_parser {
    uint16_t fb_w, fb_h;
    uint32_t rects_left;
    int in_update;
    const char *error;
};

void floe_rfb_parser_init(struct floe_rfb_parser *p, uint16_t fb_w, uint16_t fb_h);
/* Parses the next server message from buf[0..len): 1 with *msg filled and
 * *used bytes consumed (pointers in *msg point into buf), 0 when buf holds
 * less than the whole message, or a negative error (see above) with
 * p->error set; after an error the stream cannot be resumed. Only encodings
 * named in enum floe_rfb_encoding are accepted. */
int floe_rfb_parse(struct floe_rfb_parser *p, const uint8_t *buf, size_t len,
                   struct floe_rfb_msg *msg, size_t *used);

/* Hextile: the size of a w x h rectangle's tiles at the start of
 * buf[0..len) in *size: 1, 0 when buf holds less, -EBADMSG for a bad
 * subencoding or a subrectangle outside its tile. */
int floe_rfb_hextile_size(const uint8_t *buf, size_t len, int w, int h, size_t *size);
/* Paints those tiles into dst (rows stride pixels apart) as xRGB words,
 * the padding byte 0 (floe_rfb_xrgb's depth is 24): 0 or -EBADMSG. */
int floe_rfb_hextile_decode(const uint8_t *buf, size_t len, int w, int h, uint32_t *dst,
                            size_t stride);

#pragma GCC visibility pop

#endif
