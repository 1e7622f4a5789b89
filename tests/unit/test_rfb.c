/* Unit tests for protocol/rfb: client messages against bytes written from the
 * RFB 3.8 specification, the handshake parsers, and the server-message parser
 * fed a stream split at every point, plus truncated, malformed and oversized input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/rfb/rfb.h"

/* ------------------------------------------------------------------------ */
/* helpers */

#define EXPECT_BYTES(w, ...) do {                                      \
        static const uint8_t want_[] = { __VA_ARGS__ };                \
        assert_false((w)->failed);                                     \
        assert_int_equal((w)->len, sizeof(want_));                     \
        assert_memory_equal((w)->data, want_, sizeof(want_));          \
    } while (0)

static void be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void be32(uint8_t *p, uint32_t v)
{
    be16(p, (uint16_t)(v >> 16));
    be16(p + 2, (uint16_t)v);
}

/* Appends a rectangle header to s at *n. */
static void rect_hdr(uint8_t *s, size_t *n, int x, int y, int w, int h, int32_t enc)
{
    be16(s + *n, (uint16_t)x);
    be16(s + *n + 2, (uint16_t)y);
    be16(s + *n + 4, (uint16_t)w);
    be16(s + *n + 6, (uint16_t)h);
    be32(s + *n + 8, (uint32_t)enc);
    *n += 12;
}

/* Parses one message from an exact-size copy of buf[0..len). */
static int parse_exact(struct floe_rfb_parser *p, const uint8_t *buf, size_t len,
                       struct floe_rfb_msg *msg, size_t *used, char *desc, size_t cap)
{
    uint8_t *copy = dup_exact(buf, len);
    int ret = floe_rfb_parse(p, copy, len, msg, used);
    const struct floe_rfb_rect *rc = &msg->u.rect;
    unsigned sum = 0;
    size_t i;

    if (ret == 1 && desc) {
        switch (msg->type) {
        case FLOE_RFB_MSG_UPDATE_BEGIN: snprintf(desc, cap, "begin %u;", msg->u.nrects); break;
        case FLOE_RFB_MSG_UPDATE_END: snprintf(desc, cap, "end;"); break;
        case FLOE_RFB_MSG_BELL: snprintf(desc, cap, "bell;"); break;
        case FLOE_RFB_MSG_COLOURMAP: snprintf(desc, cap, "colourmap;"); break;
        case FLOE_RFB_MSG_CUT_TEXT:
            snprintf(desc, cap, "cut %.*s;", (int)msg->u.text.len, (const char *)msg->u.text.p);
            break;
        case FLOE_RFB_MSG_RECT:
            for (i = 0; i < rc->size; i++)
                sum = sum * 31 + rc->pixels[i];
            snprintf(desc, cap, "rect %d %u,%u %ux%u src %u,%u size %zu sum %u;", rc->encoding,
                     rc->x, rc->y, rc->w, rc->h, rc->src_x, rc->src_y, rc->size, sum);
            break;
        }
    }
    free(copy);
    return ret;
}

/* Feeds stream s[0..n) to a fresh parser (framebuffer 8x8) in pieces that end
 * at the given split points, as a socket reader would, and returns the trace
 * of messages; fails the test on any error. */
static void run_stream(const uint8_t *s, size_t n, const size_t *cuts, int ncuts, char *trace,
                       size_t cap)
{
    struct floe_rfb_parser p;
    struct floe_rfb_msg msg;
    size_t have = 0, off = 0, used;
    char desc[256];
    int c = 0, ret;

    floe_rfb_parser_init(&p, 8, 8);
    trace[0] = 0;
    for (;;) {
        have = c < ncuts ? cuts[c] : n;
        while ((ret = parse_exact(&p, s + off, have - off, &msg, &used, desc, sizeof(desc))) == 1) {
            assert_true(used <= have - off);
            off += used;
            assert_true(strlen(trace) + strlen(desc) < cap);
            strcat(trace, desc);
        }
        assert_int_equal(ret, 0);
        if (have == n)
            break;
        c++;
    }
    assert_int_equal(off, n);
}

/* A stream with every server message the parser knows: an update resizing to
 * 4x3 with Raw, CopyRect and the extended key pseudo-rectangle, a colour map,
 * a bell, cut text, and an empty update. */
static size_t make_stream(uint8_t *s)
{
    size_t n = 0;
    int i;

    s[n++] = 0; s[n++] = 0; be16(s + n, 4); n += 2;
    rect_hdr(s, &n, 0, 0, 4, 3, FLOE_RFB_ENC_DESKTOP_SIZE);
    rect_hdr(s, &n, 1, 1, 2, 2, FLOE_RFB_ENC_RAW);
    for (i = 0; i < 16; i++)
        s[n++] = (uint8_t)(i * 7 + 1);
    rect_hdr(s, &n, 2, 0, 2, 2, FLOE_RFB_ENC_COPYRECT);
    be16(s + n, 1); be16(s + n + 2, 1); n += 4;
    rect_hdr(s, &n, 0, 0, 4, 3, FLOE_RFB_ENC_QEMU_EXT_KEY);
    s[n++] = 1; s[n++] = 0; be16(s + n, 5); be16(s + n + 2, 2); n += 4;
    memset(s + n, 0xab, 12); n += 12;
    s[n++] = 2;
    s[n++] = 3; s[n++] = 0; s[n++] = 0; s[n++] = 0; be32(s + n, 2); n += 4;
    s[n++] = 'h'; s[n++] = 'i';
    s[n++] = 0; s[n++] = 0; be16(s + n, 0); n += 2;
    return n;
}

/* ------------------------------------------------------------------------ */
/* client messages */

static void test_client_messages(void **state)
{
    static const int32_t enc[] = { 1, 0, -223, -258 };
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    floe_rfb_put_version(&w);
    EXPECT_BYTES(&w, 'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0', '8', '\n');
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 0);
    floe_rfb_put_security_choice(&w, FLOE_RFB_SEC_NONE);
    floe_rfb_put_client_init(&w, 1);
    EXPECT_BYTES(&w, 1, 1);
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 0);
    floe_rfb_put_set_pixel_format(&w, &floe_rfb_xrgb);
    EXPECT_BYTES(&w, 0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0);
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 0);
    floe_rfb_put_set_encodings(&w, enc, 4);
    EXPECT_BYTES(&w, 2, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21,
                 0xff, 0xff, 0xfe, 0xfe);
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 0);
    floe_rfb_put_update_request(&w, 1, 0x102, 3, 720, 400);
    EXPECT_BYTES(&w, 3, 1, 1, 2, 0, 3, 0x02, 0xd0, 0x01, 0x90);
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 0);
    floe_rfb_put_key(&w, 1, 0xff1b);
    EXPECT_BYTES(&w, 4, 1, 0, 0, 0, 0, 0xff, 0x1b);
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 0);
    floe_rfb_put_qemu_key(&w, 0, 0xff53, 0xcd);
    EXPECT_BYTES(&w, 255, 0, 0, 0, 0, 0, 0xff, 0x53, 0, 0, 0, 0xcd);
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 0);
    floe_rfb_put_pointer(&w, 5, 640, 0x1ff);
    EXPECT_BYTES(&w, 5, 5, 0x02, 0x80, 0x01, 0xff);
    floe_wbuf_free(&w);
}

static void test_xt_keycodes(void **state)
{
    assert_int_equal(floe_rfb_xt_keycode(0x01), 0x01);
    assert_int_equal(floe_rfb_xt_keycode(0x1e), 0x1e);
    assert_int_equal(floe_rfb_xt_keycode(0xe04d), 0xcd);
    assert_int_equal(floe_rfb_xt_keycode(0xe01d), 0x9d);
    assert_int_equal(floe_rfb_xt_keycode(0), 0);
    assert_int_equal(floe_rfb_xt_keycode(0x9e), 0);     /* a release code */
    assert_int_equal(floe_rfb_xt_keycode(0xe0cd), 0);
    assert_int_equal(floe_rfb_xt_keycode(0xe14d), 0);
    assert_int_equal(floe_rfb_xt_keycode(0x1e0001), 0);
}

/* ------------------------------------------------------------------------ */
/* handshake */

static void test_version(void **state)
{
    int major, minor;
    size_t used = 0;

    assert_int_equal(floe_rfb_parse_version((const uint8_t *)"RFB 003.008\n", 11, &major, &minor,
                                            &used), 0);
    assert_int_equal(floe_rfb_parse_version((const uint8_t *)"RFB 003.008\n", 12, &major, &minor,
                                            &used), 1);
    assert_int_equal(major, 3);
    assert_int_equal(minor, 8);
    assert_int_equal(used, 12);
    assert_int_equal(floe_rfb_parse_version((const uint8_t *)"RFB 004.001\n", 12, &major, &minor,
                                            &used), 1);
    assert_int_equal(floe_rfb_parse_version((const uint8_t *)"RFB 003.003\n", 12, &major, &minor,
                                            &used), -EPROTONOSUPPORT);
    assert_int_equal(floe_rfb_parse_version((const uint8_t *)"RFB 003.00x\n", 12, &major, &minor,
                                            &used), -EBADMSG);
    assert_int_equal(floe_rfb_parse_version((const uint8_t *)"SSH-2.0-xyz\n", 12, &major, &minor,
                                            &used), -EBADMSG);
}

static void test_security(void **state)
{
    static const uint8_t list[] = { 2, 2, 1 };
    static const uint8_t refused[] = { 0, 0, 0, 0, 4, 'b', 'u', 's', 'y' };
    static const uint8_t ok[] = { 0, 0, 0, 0 };
    static const uint8_t failed[] = { 0, 0, 0, 1, 0, 0, 0, 3, 'b', 'a', 'd' };
    uint8_t big[8] = { 0, 0, 0, 1 };
    struct floe_rfb_security sec;
    char reason[16];
    uint32_t status;
    size_t used, i;

    for (i = 0; i < sizeof(list); i++)
        assert_int_equal(floe_rfb_parse_security(list, i, &sec, reason, sizeof(reason), &used), 0);
    assert_int_equal(floe_rfb_parse_security(list, sizeof(list), &sec, reason, sizeof(reason),
                                             &used), 1);
    assert_int_equal(used, 3);
    assert_int_equal(sec.n, 2);
    assert_int_equal(sec.types[0], 2);
    assert_int_equal(sec.types[1], 1);
    for (i = 0; i < sizeof(refused); i++)
        assert_int_equal(floe_rfb_parse_security(refused, i, &sec, reason, sizeof(reason), &used), 0);
    assert_int_equal(floe_rfb_parse_security(refused, sizeof(refused), &sec, reason,
                                             sizeof(reason), &used), 1);
    assert_int_equal(sec.n, 0);
    assert_string_equal(reason, "busy");

    assert_int_equal(floe_rfb_parse_security_result(ok, 3, &status, reason, sizeof(reason),
                                                    &used), 0);
    assert_int_equal(floe_rfb_parse_security_result(ok, 4, &status, reason, sizeof(reason),
                                                    &used), 1);
    assert_int_equal(status, 0);
    for (i = 0; i < sizeof(failed); i++)
        assert_int_equal(floe_rfb_parse_security_result(failed, i, &status, reason,
                                                        sizeof(reason), &used), 0);
    assert_int_equal(floe_rfb_parse_security_result(failed, sizeof(failed), &status, reason,
                                                    sizeof(reason), &used), 1);
    assert_int_equal(status, 1);
    assert_int_equal(used, sizeof(failed));
    assert_string_equal(reason, "bad");
    /* a reason longer than the limit is refused from its length alone */
    be32(big + 4, FLOE_RFB_MAX_REASON + 1);
    assert_int_equal(floe_rfb_parse_security_result(big, 8, &status, reason, sizeof(reason),
                                                    &used), -E2BIG);
}

static size_t make_server_init(uint8_t *s, int w, int h, uint32_t name_len)
{
    size_t n = 0;

    be16(s, (uint16_t)w);
    be16(s + 2, (uint16_t)h);
    n = 4;
    s[n++] = 32; s[n++] = 24; s[n++] = 0; s[n++] = 1;
    be16(s + n, 255); be16(s + n + 2, 255); be16(s + n + 4, 255); n += 6;
    s[n++] = 16; s[n++] = 8; s[n++] = 0;
    n += 3;
    be32(s + n, name_len);
    n += 4;
    memcpy(s + n, "QEMU guest", name_len < 10 ? name_len : 10);
    return n + (name_len < 10 ? name_len : 10);
}

static void test_server_init(void **state)
{
    struct floe_rfb_server_init si;
    uint8_t s[64] = { 0 }, *copy;
    size_t n = make_server_init(s, 720, 400, 10), used, i;

    for (i = 0; i < n; i++) {
        copy = dup_exact(s, i);
        assert_int_equal(floe_rfb_parse_server_init(copy, i, &si, &used), 0);
        free(copy);
    }
    assert_int_equal(floe_rfb_parse_server_init(s, n, &si, &used), 1);
    assert_int_equal(used, 34);
    assert_int_equal(si.width, 720);
    assert_int_equal(si.height, 400);
    assert_int_equal(si.format.bpp, 32);
    assert_int_equal(si.format.depth, 24);
    assert_int_equal(si.format.true_colour, 1);
    assert_int_equal(si.format.red_max, 255);
    assert_int_equal(si.format.red_shift, 16);
    assert_int_equal(si.format.green_shift, 8);
    assert_string_equal(si.name, "QEMU guest");

    n = make_server_init(s, 0, 400, 0);
    assert_int_equal(floe_rfb_parse_server_init(s, n, &si, &used), -E2BIG);
    n = make_server_init(s, FLOE_RFB_MAX_DIM + 1, 1, 0);
    assert_int_equal(floe_rfb_parse_server_init(s, n, &si, &used), -E2BIG);
    n = make_server_init(s, FLOE_RFB_MAX_DIM, FLOE_RFB_MAX_DIM, 0);   /* too many pixels */
    assert_int_equal(floe_rfb_parse_server_init(s, n, &si, &used), -E2BIG);
    n = make_server_init(s, 640, 480, FLOE_RFB_MAX_NAME + 1);
    assert_int_equal(floe_rfb_parse_server_init(s, 24, &si, &used), -E2BIG);
}

/* ------------------------------------------------------------------------ */
/* server messages */

static const char stream_trace[] =
    "begin 4;"
    "rect -223 0,0 4x3 src 0,0 size 0 sum 0;"
    "rect 0 1,1 2x2 src 0,0 size 16 sum %u;"
    "rect 1 2,0 2x2 src 1,1 size 0 sum 0;"
    "rect -258 0,0 4x3 src 0,0 size 0 sum 0;"
    "end;colourmap;bell;cut hi;begin 0;end;";

static void expected_trace(char *out, size_t cap)
{
    unsigned sum = 0;
    int i;

    for (i = 0; i < 16; i++)
        sum = sum * 31 + (uint8_t)(i * 7 + 1);
    snprintf(out, cap, stream_trace, sum);
}

static void test_stream_whole(void **state)
{
    uint8_t s[256];
    size_t n = make_stream(s);
    char trace[1024], want[1024];

    expected_trace(want, sizeof(want));
    run_stream(s, n, NULL, 0, trace, sizeof(trace));
    assert_string_equal(trace, want);
}

static void test_stream_every_split(void **state)
{
    uint8_t s[256];
    size_t n = make_stream(s), cut, bytes[256];
    char trace[1024], want[1024];

    expected_trace(want, sizeof(want));
    for (cut = 0; cut <= n; cut++) {
        run_stream(s, n, &cut, 1, trace, sizeof(trace));
        assert_string_equal(trace, want);
    }
    for (cut = 0; cut < n; cut++)
        bytes[cut] = cut;                  /* one byte at a time */
    run_stream(s, n, bytes, (int)n, trace, sizeof(trace));
    assert_string_equal(trace, want);
}

/* Parses s[0..n) with a fresh 8x8 parser until it stops; returns the result. */
static int parse_until_stop(const uint8_t *s, size_t n, struct floe_rfb_parser *p)
{
    struct floe_rfb_msg msg;
    size_t off = 0, used;
    int ret;

    floe_rfb_parser_init(p, 8, 8);
    while ((ret = parse_exact(p, s + off, n - off, &msg, &used, NULL, 0)) == 1)
        off += used;
    return ret;
}

static void test_bad_messages(void **state)
{
    struct floe_rfb_parser p;
    uint8_t s[64];
    size_t n;

    s[0] = 7;                                                /* unknown type */
    assert_int_equal(parse_until_stop(s, 1, &p), -EBADMSG);
    assert_non_null(p.error);
    n = 4; s[0] = 0; s[1] = 0; be16(s + 2, 1);
    rect_hdr(s, &n, 0, 0, 1, 1, 16);                         /* ZRLE, not asked for */
    assert_int_equal(parse_until_stop(s, n, &p), -EBADMSG);
    n = 4;
    rect_hdr(s, &n, 7, 0, 2, 1, FLOE_RFB_ENC_RAW);           /* past the right edge */
    assert_int_equal(parse_until_stop(s, n, &p), -ERANGE);
    n = 4;
    rect_hdr(s, &n, 0, 0xffff, 1, 2, FLOE_RFB_ENC_RAW);      /* y + h wraps 16 bits */
    assert_int_equal(parse_until_stop(s, n, &p), -ERANGE);
    n = 4;
    rect_hdr(s, &n, 0, 0, 4, 4, FLOE_RFB_ENC_COPYRECT);
    be16(s + n, 5); be16(s + n + 2, 0); n += 4;              /* source past the edge */
    assert_int_equal(parse_until_stop(s, n, &p), -ERANGE);
    n = 4;
    rect_hdr(s, &n, 0, 0, 0, 10, FLOE_RFB_ENC_DESKTOP_SIZE);
    assert_int_equal(parse_until_stop(s, n, &p), -E2BIG);
    n = 4;
    rect_hdr(s, &n, 0, 0, FLOE_RFB_MAX_DIM + 1, 10, FLOE_RFB_ENC_DESKTOP_SIZE);
    assert_int_equal(parse_until_stop(s, n, &p), -E2BIG);
    s[0] = 3; s[1] = s[2] = s[3] = 0; be32(s + 4, FLOE_RFB_MAX_CUT_TEXT + 1);
    assert_int_equal(parse_until_stop(s, 8, &p), -E2BIG);    /* refused before its text */
}

static void le32(uint8_t *s, size_t *n, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        s[(*n)++] = (uint8_t)(v >> (8 * i));
}

/* A 20x18 Hextile rectangle, four tiles (16x16, 4x16, 16x2, 4x2): one on a
 * background with two subrectangles of the foreground, a raw one, one with
 * a coloured subrectangle on a new background, one on that background
 * carried over. *want gets its pixels, rows 20 apart. */
static size_t make_hextile(uint8_t *s, uint32_t *want)
{
    size_t n = 0;
    int x, y;

    s[n++] = 2 | 4 | 8;                       /* background, foreground, subrects */
    le32(s, &n, 0xaa111111);                  /* the padding byte is dropped */
    le32(s, &n, 0x222222);
    s[n++] = 2;
    s[n++] = 0x12; s[n++] = 0x31;             /* (1,2) 4x2 */
    s[n++] = 0xf0; s[n++] = 0x0f;             /* (15,0) 1x16 */
    s[n++] = 1;                               /* raw 4x16 */
    for (y = 0; y < 16; y++)
        for (x = 0; x < 4; x++)
            le32(s, &n, 0xff000000u | (uint32_t)(0x400000 + y * 4 + x));
    s[n++] = 2 | 8 | 16;                      /* background, coloured subrects */
    le32(s, &n, 0x333333);
    s[n++] = 1;
    le32(s, &n, 0x444444);
    s[n++] = 0x31; s[n++] = 0x20;             /* (3,1) 3x1 */
    s[n++] = 0;                               /* background carried over */
    for (y = 0; y < 18; y++)
        for (x = 0; x < 20; x++) {
            uint32_t v = y < 16 ? (x < 16 ? 0x111111 : (uint32_t)(0x400000 + y * 4 + x - 16))
                                : 0x333333;

            if (y < 16 && ((x >= 1 && x < 5 && y >= 2 && y < 4) || x == 15))
                v = 0x222222;
            if (y == 17 && x >= 3 && x < 6)
                v = 0x444444;
            want[y * 20 + x] = v;
        }
    return n;
}

/* Hextile: the size is known only once every tile is there, the tiles paint
 * what they say, and a subrectangle outside its tile or an unknown
 * subencoding bit is refused. */
static void test_hextile(void **state)
{
    uint8_t s[512];
    uint32_t want[20 * 18], got[24 * 18];
    size_t n = make_hextile(s, want), size, i;

    for (i = 0; i < n; i++)
        assert_int_equal(floe_rfb_hextile_size(s, i, 20, 18, &size), 0);
    assert_int_equal(floe_rfb_hextile_size(s, n, 20, 18, &size), 1);
    assert_int_equal(size, n);
    memset(got, 0xee, sizeof(got));
    assert_int_equal(floe_rfb_hextile_decode(s, n, 20, 18, got, 24), 0);
    for (int y = 0; y < 18; y++) {
        assert_memory_equal(got + y * 24, want + y * 20, 20 * 4);
        assert_int_equal(got[y * 24 + 20], 0xeeeeeeee);      /* nothing past the rectangle */
    }
    assert_int_equal(floe_rfb_hextile_decode(s, n - 1, 20, 18, got, 24), -EBADMSG);
    s[12] = 0xf1;                             /* (15,1) 1x16: past the tile's bottom */
    assert_int_equal(floe_rfb_hextile_size(s, n, 20, 18, &size), -EBADMSG);
    s[12] = 0xf0;
    s[0] = 0x20 | 2 | 4 | 8;                  /* a bit RFC 6143 does not define */
    assert_int_equal(floe_rfb_hextile_size(s, n, 20, 18, &size), -EBADMSG);
}

/* The parser hands a Hextile rectangle over whole, at every split. */
static void test_hextile_stream(void **state)
{
    uint8_t s[600], t[512];
    uint32_t want[20 * 18];
    size_t n = 4, m = make_hextile(t, want), used, cut;
    struct floe_rfb_parser p;
    struct floe_rfb_msg msg;

    s[0] = 0; s[1] = 0; be16(s + 2, 1);
    rect_hdr(s, &n, 2, 3, 20, 18, FLOE_RFB_ENC_HEXTILE);
    memcpy(s + n, t, m);
    n += m;
    for (cut = 4; cut < n; cut++) {
        floe_rfb_parser_init(&p, 24, 24);
        assert_int_equal(parse_exact(&p, s, 4, &msg, &used, NULL, 0), 1);
        assert_int_equal(parse_exact(&p, s + 4, cut - 4, &msg, &used, NULL, 0), 0);
    }
    assert_int_equal(parse_exact(&p, s + 4, n - 4, &msg, &used, NULL, 0), 1);
    assert_int_equal(used, n - 4);
    assert_int_equal(msg.u.rect.encoding, FLOE_RFB_ENC_HEXTILE);
    assert_int_equal(msg.u.rect.size, m);
    /* past the framebuffer's edge */
    floe_rfb_parser_init(&p, 21, 24);
    assert_int_equal(parse_exact(&p, s, 4, &msg, &used, NULL, 0), 1);
    assert_int_equal(parse_exact(&p, s + 4, n - 4, &msg, &used, NULL, 0), -ERANGE);
}

/* A truncated message is never parsed: every prefix of each one needs more. */
static void test_truncated(void **state)
{
    struct floe_rfb_parser p;
    uint8_t s[256];
    size_t n = make_stream(s), i;

    /* the stream's first message ends after its fourth rectangle */
    for (i = 0; i < 80 && i < n; i++) {
        struct floe_rfb_msg msg;
        size_t used;

        floe_rfb_parser_init(&p, 8, 8);
        if (i < 4) {
            assert_int_equal(parse_exact(&p, s, i, &msg, &used, NULL, 0), 0);
            continue;
        }
        assert_int_equal(parse_exact(&p, s, i, &msg, &used, NULL, 0), 1);
        assert_int_equal(used, 4);
    }
    /* a rectangle header missing its last byte, then its pixels missing one */
    floe_rfb_parser_init(&p, 8, 8);
    assert_int_equal(parse_until_stop(s, 4 + 12 + 11, &p), 0);
    assert_int_equal(parse_until_stop(s, 4 + 12 + 12 + 15, &p), 0);
}

/* The largest framebuffer's full-screen Raw rectangle is accepted and waits
 * for its pixels; one pixel more in either direction is refused. */
static void test_size_limits(void **state)
{
    struct floe_rfb_parser p;
    struct floe_rfb_msg msg;
    uint8_t s[32];
    size_t n = 0, used;
    int h = (int)(FLOE_RFB_MAX_PIXELS / FLOE_RFB_MAX_DIM);

    rect_hdr(s, &n, 0, 0, FLOE_RFB_MAX_DIM, h, FLOE_RFB_ENC_RAW);
    floe_rfb_parser_init(&p, FLOE_RFB_MAX_DIM, (uint16_t)h);
    p.in_update = 1;
    p.rects_left = 1;
    assert_int_equal(parse_exact(&p, s, n, &msg, &used, NULL, 0), 0);
    n = 0;
    rect_hdr(s, &n, 0, 0, FLOE_RFB_MAX_DIM, h + 1, FLOE_RFB_ENC_RAW);
    assert_int_equal(parse_exact(&p, s, n, &msg, &used, NULL, 0), -ERANGE);
    n = 4; s[0] = 0; s[1] = 0; be16(s + 2, 1);
    rect_hdr(s, &n, 0, 0, FLOE_RFB_MAX_DIM, h, FLOE_RFB_ENC_DESKTOP_SIZE);
    assert_int_equal(parse_until_stop(s, n, &p), 0);
    assert_int_equal(p.fb_w, FLOE_RFB_MAX_DIM);
    assert_int_equal(p.fb_h, h);
    n = 4;
    rect_hdr(s, &n, 0, 0, FLOE_RFB_MAX_DIM, h + 1, FLOE_RFB_ENC_DESKTOP_SIZE);
    assert_int_equal(parse_until_stop(s, n, &p), -E2BIG);
}

/* Rectangles after a DesktopSize are checked against the new size, 16x2:
 * one that fits it but not the old 8x8 passes, one that fits only 8x8 fails. */
static void test_resize_bounds(void **state)
{
    struct floe_rfb_parser p;
    uint8_t s[64];
    size_t n = 4;

    s[0] = 0; s[1] = 0; be16(s + 2, 3);
    rect_hdr(s, &n, 0, 0, 16, 2, FLOE_RFB_ENC_DESKTOP_SIZE);
    rect_hdr(s, &n, 10, 0, 4, 2, FLOE_RFB_ENC_COPYRECT);
    be16(s + n, 0); be16(s + n + 2, 0); n += 4;
    assert_int_equal(parse_until_stop(s, n, &p), 0);
    rect_hdr(s, &n, 0, 0, 4, 4, FLOE_RFB_ENC_COPYRECT);
    be16(s + n, 0); be16(s + n + 2, 0); n += 4;
    assert_int_equal(parse_until_stop(s, n, &p), -ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_messages),
        cmocka_unit_test(test_xt_keycodes),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_security),
        cmocka_unit_test(test_server_init),
        cmocka_unit_test(test_stream_whole),
        cmocka_unit_test(test_stream_every_split),
        cmocka_unit_test(test_bad_messages),
        cmocka_unit_test(test_hextile),
        cmocka_unit_test(test_hextile_stream),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_resize_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
