/* A raw SPICE client against a running floe-server, byte by byte: bad links
 * get the matching link error and a closed connection while a client linked
 * before keeps being served; the session flows (main, inputs, cursor,
 * display) follow the protocol. FLOE_PORT and FLOE_PASSWORD name the server;
 * FLOE_EXPIRED=1, FLOE_STALL=SECONDS, FLOE_SESSION=1, FLOE_MONITORS=N (a
 * server with N monitors) and FLOE_MARK=PREFIX (the picture at MARK, see
 * test_mark) pick other groups. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecs/codec.h"
#include "codecs/png.h"
#include "protocol/spice/draw.h"
#include "protocol/spice/messages.h"

#define FLOE_TEST_MAX_MONITORS 4

static int port;
static const char *password;
static int monitors = 1;
static uint32_t display_caps = 1u << SPICE_DISPLAY_CAP_MONITORS_CONFIG;

/* The DISPLAY capabilities spice-gtk 0.42 (spicy-screenshot) links with, as
 * captured: SIZED_STREAM, MONITORS_CONFIG, COMPOSITE, A8_SURFACE,
 * STREAM_REPORT, LZ4_COMPRESSION, GL_SCANOUT, MULTI_CODEC and the MJPEG, VP8,
 * H264, VP9 and H265 codecs. */
#define REFERENCE_DISPLAY_CAPS 0x6fbfu

static int connect_server(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads exactly n bytes, waiting at most 30 s for each piece (a first
 * picture may be held that long by a slowed encoder); returns bytes read
 * (short on EOF). */
static size_t recv_n(int fd, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t r;

        if (poll(&p, 1, 30000) <= 0)
            break;
        r = recv(fd, (char *)buf + got, n - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void expect_closed(int fd)
{
    char b[64];

    assert_int_equal(recv_n(fd, b, sizeof(b)), 0);
    close(fd);
}

/* Reads a link reply; returns its error, fills pubkey on success. */
static uint32_t read_reply(int fd, uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES], struct spice_caps *caps)
{
    uint8_t hb[16], body[SPICE_LINK_MAX_SIZE];
    struct floe_rbuf r;
    struct spice_link_header h;
    const uint8_t *pk;
    int err;

    assert_int_equal(recv_n(fd, hb, 16), 16);
    floe_rbuf_init(&r, hb, 16);
    spice_link_header_get(&r, &h);
    assert_int_equal(h.magic, SPICE_MAGIC);
    assert_int_equal(h.major, 2);
    assert_true(h.size >= SPICE_LINK_REPLY_SIZE && h.size <= sizeof(body));
    assert_int_equal(recv_n(fd, body, h.size), h.size);
    err = spice_link_reply_parse(body, h.size, &pk, caps);
    if (err == 0 && pubkey)
        memcpy(pubkey, pk, SPICE_TICKET_PUBKEY_BYTES);
    return (uint32_t)err;
}

static void send_link_id(int fd, uint32_t conn_id, uint8_t type, uint8_t id, int auth_sel)
{
    struct floe_wbuf w;
    struct spice_link_mess m = { conn_id, type, id, 0, 0, 0 };
    struct spice_caps caps = { 0 };

    if (auth_sel)
        spice_caps_set(caps.common, SPICE_COMMON_CAP_AUTH_SELECTION);
    spice_caps_set(caps.common, SPICE_COMMON_CAP_AUTH_SPICE);
    spice_caps_set(caps.common, SPICE_COMMON_CAP_MINI_HEADER);
    if (type == SPICE_CHANNEL_MAIN)
        spice_caps_set(caps.channel, SPICE_MAIN_CAP_NAME_AND_UUID);
    if (type == SPICE_CHANNEL_DISPLAY)
        caps.channel[0] = display_caps;
    floe_wbuf_init(&w, 0);
    spice_link_mess_write(&w, &m, &caps);
    send_all(fd, w.data, w.len);
    floe_wbuf_free(&w);
}

static void send_link(int fd, uint32_t conn_id, uint8_t type, int auth_sel)
{
    send_link_id(fd, conn_id, type, 0, auth_sel);
}

static void encrypt_ticket(const uint8_t *pubkey, const char *pw, uint8_t out[128])
{
    const unsigned char *p = pubkey;
    EVP_PKEY *key = d2i_PUBKEY(NULL, &p, SPICE_TICKET_PUBKEY_BYTES);
    EVP_PKEY_CTX *ctx;
    size_t len = 128;

    assert_non_null(key);
    ctx = EVP_PKEY_CTX_new(key, NULL);
    assert_true(EVP_PKEY_encrypt_init(ctx) > 0);
    assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0);
    assert_true(EVP_PKEY_encrypt(ctx, out, &len, (const unsigned char *)pw, strlen(pw) + 1) > 0);
    assert_int_equal(len, 128);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
}

/* Full link of channel (type, id) with a password; returns the link result. */
static uint32_t link_channel_id(int fd, uint32_t conn_id, uint8_t type, uint8_t id,
                                const char *pw)
{
    uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES], ticket[128], res[4];
    uint32_t mech = SPICE_AUTH_SPICE;
    struct spice_caps caps;

    send_link_id(fd, conn_id, type, id, 1);
    assert_int_equal(read_reply(fd, pubkey, &caps), SPICE_LINK_ERR_OK);
    assert_true(spice_caps_has(caps.common, SPICE_COMMON_CAP_AUTH_SELECTION));
    send_all(fd, &mech, 4);
    encrypt_ticket(pubkey, pw, ticket);
    send_all(fd, ticket, sizeof(ticket));
    assert_int_equal(recv_n(fd, res, 4), 4);
    return floe_le32(res);
}

static uint32_t link_channel(int fd, uint32_t conn_id, uint8_t type, const char *pw)
{
    return link_channel_id(fd, conn_id, type, 0, pw);
}

/* Reads one mini-header message, skipping PINGs (MAIN's network test
 * sends one with a large payload); returns its type. */
static uint16_t read_msg(int fd, uint8_t *body, size_t cap, uint32_t *len)
{
    for (;;) {
        uint8_t hb[6];
        struct spice_msg_header h;

        assert_int_equal(recv_n(fd, hb, 6), 6);
        spice_header_parse(hb, 6, 1, &h);
        if (h.type == SPICE_MSG_PING) {
            for (uint32_t left = h.size; left > 0;) {
                size_t n = left < cap ? left : cap;

                assert_int_equal(recv_n(fd, body, n), n);
                left -= (uint32_t)n;
            }
            continue;
        }
        assert_true(h.size <= cap);
        assert_int_equal(recv_n(fd, body, h.size), h.size);
        *len = h.size;
        return h.type;
    }
}

static void refused_at_header(uint32_t magic, uint32_t major, uint32_t size, uint32_t want)
{
    int fd = connect_server();
    struct floe_wbuf w;
    struct spice_link_header h = { magic, major, 2, size };

    floe_wbuf_init(&w, 0);
    spice_link_header_put(&w, &h);
    floe_put_zero(&w, 18);
    send_all(fd, w.data, w.len);
    floe_wbuf_free(&w);
    assert_int_equal(read_reply(fd, NULL, NULL), want);
    expect_closed(fd);
}

static void test_wrong_magic(void **st)
{
    refused_at_header(0x12345678, 2, 18, SPICE_LINK_ERR_INVALID_MAGIC);
}

static void test_wrong_major(void **st)
{
    refused_at_header(SPICE_MAGIC, 3, 18, SPICE_LINK_ERR_VERSION_MISMATCH);
}

static void test_oversized_link(void **st)
{
    refused_at_header(SPICE_MAGIC, 2, 100000, SPICE_LINK_ERR_INVALID_DATA);
}

static void test_truncated_link_mess(void **st)
{
    refused_at_header(SPICE_MAGIC, 2, 10, SPICE_LINK_ERR_INVALID_DATA);
}

static void test_oversized_caps(void **st)
{
    int fd = connect_server();
    struct floe_wbuf w;
    struct spice_link_header h = { SPICE_MAGIC, 2, 2, 18 + 8 };
    struct spice_link_mess m = { 0, SPICE_CHANNEL_MAIN, 0, 2000, 0, 18 };

    floe_wbuf_init(&w, 0);
    spice_link_header_put(&w, &h);
    spice_link_mess_put(&w, &m);
    floe_put_zero(&w, 8);
    send_all(fd, w.data, w.len);
    floe_wbuf_free(&w);
    assert_int_equal(read_reply(fd, NULL, NULL), SPICE_LINK_ERR_INVALID_DATA);
    expect_closed(fd);
}

static void test_bad_ticket(void **st)
{
    int fd = connect_server();

    assert_int_equal(link_channel(fd, 0, SPICE_CHANNEL_MAIN, "not the password"),
                     SPICE_LINK_ERR_PERMISSION_DENIED);
    expect_closed(fd);
}

static void test_garbage_ticket(void **st)
{
    int fd = connect_server();
    uint8_t junk[128], res[4];
    uint32_t mech = SPICE_AUTH_SPICE;
    struct spice_caps caps;

    memset(junk, 0x5a, sizeof(junk));
    send_link(fd, 0, SPICE_CHANNEL_MAIN, 1);
    assert_int_equal(read_reply(fd, NULL, &caps), SPICE_LINK_ERR_OK);
    send_all(fd, &mech, 4);
    send_all(fd, junk, sizeof(junk));
    assert_int_equal(recv_n(fd, res, 4), 4);
    assert_int_equal(floe_le32(res), SPICE_LINK_ERR_PERMISSION_DENIED);
    expect_closed(fd);
}

static void test_bad_connection_id(void **st)
{
    int fd = connect_server();

    assert_int_equal(link_channel(fd, 0xdeadbeef, SPICE_CHANNEL_DISPLAY, password),
                     SPICE_LINK_ERR_BAD_CONNECTION_ID);
    expect_closed(fd);
}

static void test_channel_not_available(void **st)
{
    int fd = connect_server();

    send_link(fd, 0, SPICE_CHANNEL_USBREDIR, 1);
    assert_int_equal(read_reply(fd, NULL, NULL), SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE);
    expect_closed(fd);
}

/* A client linked before the bad ones, and a message larger than allowed. */
static void test_survivor_and_oversized_message(void **st)
{
    int good = connect_server(), bad = connect_server();
    uint8_t body[65536];
    uint8_t hdr[6] = { SPICE_MSGC_MAIN_ATTACH_CHANNELS, 0, 0, 0, 0x40, 0 }; /* 4 MiB */
    uint32_t len;

    assert_int_equal(link_channel(good, 0, SPICE_CHANNEL_MAIN, password), 0);
    assert_int_equal(read_msg(good, body, sizeof(body), &len), SPICE_MSG_MAIN_INIT);

    assert_int_equal(link_channel(bad, 0, SPICE_CHANNEL_MAIN, password), 0);
    send_all(bad, hdr, sizeof(hdr));
    {   /* the bad client is cut off: EOF after what was queued before
         * (MAIN's first messages and its 256 KiB network-test PING) */
        size_t total = 0;
        ssize_t n;

        while ((n = recv(bad, body, sizeof(body), 0)) > 0 && total < (1u << 20))
            total += (size_t)n;
        assert_true(n == 0 && total < (1u << 20));
        close(bad);
    }
    test_wrong_magic(st);
    test_truncated_link_mess(st);
    /* the first client still gets answers */
    hdr[4] = 0;
    send_all(good, hdr, sizeof(hdr));
    uint16_t t;
    while ((t = read_msg(good, body, sizeof(body), &len)) != SPICE_MSG_MAIN_CHANNELS_LIST)
        assert_true(t == SPICE_MSG_MAIN_NAME || t == SPICE_MSG_MAIN_UUID);
    assert_int_equal(floe_le32(body), 3);
    close(good);
}

static void test_expired(void **st)
{
    int fd = connect_server();

    assert_int_equal(link_channel(fd, 0, SPICE_CHANNEL_MAIN, password),
                     SPICE_LINK_ERR_PERMISSION_DENIED);
    expect_closed(fd);
}

/* A client that links MAIN and DISPLAY, asks for the picture and then
 * reads nothing for FLOE_STALL seconds: the server must bound what it keeps. */
static void test_stall(void **st)
{
    int m = connect_server(), d;
    uint8_t body[65536];
    uint32_t len, session;
    uint8_t init[6 + 15] = { SPICE_MSGC_DISPLAY_INIT, 0, 15, 0, 0, 0, 1 };

    assert_int_equal(link_channel(m, 0, SPICE_CHANNEL_MAIN, password), 0);
    assert_int_equal(read_msg(m, body, sizeof(body), &len), SPICE_MSG_MAIN_INIT);
    session = floe_le32(body);
    d = connect_server();
    assert_int_equal(link_channel(d, session, SPICE_CHANNEL_DISPLAY, password), 0);
    send_all(d, init, sizeof(init));
    printf("stalled session %u\n", session);
    fflush(stdout);
    if (getenv("FLOE_STALL_BAD")) {
        /* bad input while the server still has bytes for us: it must stop
         * reading, and cut us once we never take them */
        uint8_t huge[6] = { 1, 0, 0, 0, 0, 0x40 };

        sleep(2);
        send_all(d, huge, sizeof(huge));
        printf("sent bad input\n");
        fflush(stdout);
    }
    sleep((unsigned)atoi(getenv("FLOE_STALL")));
    close(d);
    close(m);
}

/* Sends one mini-header message. */
static void send_msg(int fd, uint16_t type, const void *body, uint32_t len)
{
    uint8_t hdr[6];

    hdr[0] = (uint8_t)type;
    hdr[1] = (uint8_t)(type >> 8);
    floe_wr_le32(hdr + 2, len);
    send_all(fd, hdr, 6);
    if (len)
        send_all(fd, body, len);
}

/* Links MAIN, reads INIT (checked) and returns the session id. */
static uint32_t open_session(int *main_fd)
{
    uint8_t body[4096];
    uint32_t len;
    struct floe_rbuf r;
    struct spice_main_init init;

    *main_fd = connect_server();
    assert_int_equal(link_channel(*main_fd, 0, SPICE_CHANNEL_MAIN, password), 0);
    assert_int_equal(read_msg(*main_fd, body, sizeof(body), &len), SPICE_MSG_MAIN_INIT);
    assert_int_equal(len, SPICE_SIZE_main_init);
    floe_rbuf_init(&r, body, len);
    spice_main_init_get(&r, &init);
    assert_int_not_equal(init.session_id, 0);
    assert_int_equal(init.supported_mouse_modes, SPICE_MOUSE_MODE_SERVER | SPICE_MOUSE_MODE_CLIENT);
    assert_int_equal(init.current_mouse_mode, SPICE_MOUSE_MODE_CLIENT);
    assert_int_equal(init.display_channels_hint, monitors);
    return init.session_id;
}

static void test_main_flow(void **st)
{
    uint8_t body[4096];
    uint32_t len;
    uint16_t mode = SPICE_MOUSE_MODE_SERVER;
    int m;

    open_session(&m);
    assert_int_equal(read_msg(m, body, sizeof(body), &len), SPICE_MSG_MAIN_NAME);
    assert_true(len >= 5 && floe_le32(body) == len - 4 && body[len - 1] == 0);
    assert_int_equal(read_msg(m, body, sizeof(body), &len), SPICE_MSG_MAIN_UUID);
    assert_int_equal(len, 16);
    send_msg(m, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
    assert_int_equal(read_msg(m, body, sizeof(body), &len), SPICE_MSG_MAIN_CHANNELS_LIST);
    assert_int_equal(len, 4 + 3 * 2);
    static const uint8_t want[] = { 3, 0, 0, 0, SPICE_CHANNEL_DISPLAY, 0, SPICE_CHANNEL_INPUTS, 0,
                                    SPICE_CHANNEL_CURSOR, 0 };
    assert_memory_equal(body, want, sizeof(want));
    send_msg(m, SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST, &mode, 2);
    assert_int_equal(read_msg(m, body, sizeof(body), &len), SPICE_MSG_MAIN_MOUSE_MODE);
    assert_int_equal(len, 4);
    assert_int_equal(floe_le16(body), SPICE_MOUSE_MODE_SERVER | SPICE_MOUSE_MODE_CLIENT);
    assert_int_equal(floe_le16(body + 2), SPICE_MOUSE_MODE_SERVER);
    close(m);
}

/* INPUTS: INIT first, then one MOUSE_MOTION_ACK for every four motions. */
static void test_inputs_motion_acks(void **st)
{
    uint8_t body[4096], motion[10] = { 3, 0, 0, 0, 2, 0, 0, 0, 0, 0 };
    uint32_t len, session;
    int m, in, acks = 0;

    session = open_session(&m);
    in = connect_server();
    assert_int_equal(link_channel(in, session, SPICE_CHANNEL_INPUTS, password), 0);
    assert_int_equal(read_msg(in, body, sizeof(body), &len), SPICE_MSG_INPUTS_INIT);
    assert_int_equal(len, 2);
    for (int i = 0; i < 8; i++)
        send_msg(in, SPICE_MSGC_INPUTS_MOUSE_MOTION, motion, sizeof(motion));
    while (acks < 2) {
        assert_int_equal(read_msg(in, body, sizeof(body), &len), SPICE_MSG_INPUTS_MOUSE_MOTION_ACK);
        acks++;
    }
    close(in);
    close(m);
}

/* Links INPUTS to the session and returns the lock state of its INIT. */
static int open_inputs(uint32_t session, uint16_t *locks)
{
    uint8_t body[64];
    uint32_t len;
    int in = connect_server();

    assert_int_equal(link_channel(in, session, SPICE_CHANNEL_INPUTS, password), 0);
    assert_int_equal(read_msg(in, body, sizeof(body), &len), SPICE_MSG_INPUTS_INIT);
    assert_int_equal(len, 2);
    *locks = floe_le16(body);
    return in;
}

/* Skips MOUSE_MOTION_ACKs; expects KEY_MODIFIERS and returns its value. */
static uint16_t read_locks(int in)
{
    uint8_t body[64];
    uint32_t len;
    uint16_t t;

    while ((t = read_msg(in, body, sizeof(body), &len)) == SPICE_MSG_INPUTS_MOUSE_MOTION_ACK)
        ;
    assert_int_equal(t, SPICE_MSG_INPUTS_KEY_MODIFIERS);
    assert_int_equal(len, 2);
    return floe_le16(body);
}

/* Keyboard locks: Caps Lock typed on one client toggles the demo's Caps
 * Lock, which every client is told of; a client's KEY_MODIFIERS is adopted. */
static void test_keyboard_locks(void **st)
{
    uint32_t down = 0x3a, up = 0xba;
    uint16_t l0, l1, l2;
    int ma, mb, a, b;

    a = open_inputs(open_session(&ma), &l0);
    send_msg(a, SPICE_MSGC_INPUTS_KEY_DOWN, &down, 4);
    send_msg(a, SPICE_MSGC_INPUTS_KEY_UP, &up, 4);
    assert_int_equal(read_locks(a), l0 ^ SPICE_KEYBOARD_CAPS_LOCK);
    b = open_inputs(open_session(&mb), &l1);
    assert_int_equal(l1, l0 ^ SPICE_KEYBOARD_CAPS_LOCK);
    l2 = l0;
    send_msg(b, SPICE_MSGC_INPUTS_KEY_MODIFIERS, &l2, 2);
    assert_int_equal(read_locks(b), l0);
    assert_int_equal(read_locks(a), l0);
    close(a);
    close(b);
    close(ma);
    close(mb);
}

/* CURSOR: SET_ACK, then INIT with an ALPHA cursor; the demo moves it. */
static void test_cursor_channel(void **st)
{
    uint8_t body[65536], sync[4];
    uint32_t len, session;
    struct floe_rbuf r;
    struct spice_cursor cur;
    int m, c;
    uint16_t t;

    session = open_session(&m);
    c = connect_server();
    assert_int_equal(link_channel(c, session, SPICE_CHANNEL_CURSOR, password), 0);
    assert_int_equal(read_msg(c, body, sizeof(body), &len), SPICE_MSG_SET_ACK);
    assert_int_equal(floe_le32(body + 4), 20);
    memcpy(sync, body, 4);
    send_msg(c, SPICE_MSGC_ACK_SYNC, sync, 4);
    assert_int_equal(read_msg(c, body, sizeof(body), &len), SPICE_MSG_CURSOR_INIT);
    floe_rbuf_init(&r, body, len);
    r.pos = 4 + 2 + 2;                 /* position, trail length, trail frequency */
    assert_int_equal(floe_get_u8(&r), 1); /* visible */
    assert_int_equal(spice_cursor_get(&r, &cur), 0);
    assert_int_equal(cur.flags & SPICE_CURSOR_FLAG_NONE, 0);
    assert_int_equal(cur.header.type, SPICE_CURSOR_TYPE_ALPHA);
    assert_true(cur.header.width > 0 && cur.header.height > 0);
    assert_int_equal(cur.data_len, (size_t)cur.header.width * cur.header.height * 4);
    do {
        t = read_msg(c, body, sizeof(body), &len);
        assert_true(t == SPICE_MSG_CURSOR_MOVE || t == SPICE_MSG_CURSOR_SET);
    } while (t != SPICE_MSG_CURSOR_MOVE);
    assert_int_equal(len, 4);
    close(c);
    close(m);
}

/* DISPLAY: after DISPLAY_INIT, the reference order: INVAL_ALL_PALETTES,
 * SURFACE_CREATE, DRAW_COPYs covering the whole surface (uncompressed, as
 * the client asked), MONITORS_CONFIG; then the off-screen surface (the
 * demo's wallpaper) whole, and MARK. */
static void test_display_sync(void **st)
{
    static uint8_t body[4 << 20];
    uint8_t init[15] = { 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
    uint32_t len, session, w, h;
    uint64_t area = 0;
    struct spice_draw_copy dc;
    int m, d, acked = 0;
    uint16_t t;

    session = open_session(&m);
    d = connect_server();
    assert_int_equal(link_channel(d, session, SPICE_CHANNEL_DISPLAY, password), 0);
    assert_int_equal(read_msg(d, body, sizeof(body), &len), SPICE_MSG_SET_ACK);
    send_msg(d, SPICE_MSGC_ACK_SYNC, body, 4);
    /* uncompressed, asked before DISPLAY_INIT: it must hold from the first picture */
    send_msg(d, SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION, (const uint8_t[]){ 1 }, 1);
    send_msg(d, SPICE_MSGC_DISPLAY_INIT, init, sizeof(init));
    assert_int_equal(read_msg(d, body, sizeof(body), &len), SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES);
    assert_int_equal(read_msg(d, body, sizeof(body), &len), SPICE_MSG_DISPLAY_SURFACE_CREATE);
    assert_int_equal(floe_le32(body), 0);
    w = floe_le32(body + 4);
    h = floe_le32(body + 8);
    assert_int_equal(floe_le32(body + 12), SPICE_SURFACE_FMT_32_xRGB);
    assert_int_equal(floe_le32(body + 16), SPICE_SURFACE_FLAG_PRIMARY);
    while ((t = read_msg(d, body, sizeof(body), &len)) == SPICE_MSG_DISPLAY_DRAW_COPY) {
        assert_int_equal(spice_draw_copy_parse(body, len, &dc), 0);
        assert_int_equal(dc.image.desc.type, SPICE_IMAGE_BITMAP);
        assert_int_equal(dc.rop, SPICE_ROPD_OP_PUT);
        area += (uint64_t)(dc.base.box.right - dc.base.box.left) *
                (uint64_t)(dc.base.box.bottom - dc.base.box.top);
        if (++acked % 20 == 0)
            send_msg(d, SPICE_MSGC_ACK, NULL, 0);
    }
    assert_int_equal(area, (uint64_t)w * h);
    assert_int_equal(t, SPICE_MSG_DISPLAY_MONITORS_CONFIG);
    assert_int_equal(floe_le16(body), 1);
    assert_int_equal(floe_le32(body + 4 + 8), w);
    assert_int_equal(floe_le32(body + 4 + 12), h);
    /* then the demo's wallpaper, an off-screen surface, whole (LZ, the one
     * coding every client shares), then MARK */
    assert_int_equal(read_msg(d, body, sizeof(body), &len), SPICE_MSG_DISPLAY_SURFACE_CREATE);
    assert_int_equal(floe_le32(body), 1);
    assert_int_equal(floe_le32(body + 4), w);
    assert_int_equal(floe_le32(body + 8), h);
    assert_int_equal(floe_le32(body + 16), 0);
    area = 0;
    while ((t = read_msg(d, body, sizeof(body), &len)) == SPICE_MSG_DISPLAY_DRAW_COPY) {
        assert_int_equal(spice_draw_copy_parse(body, len, &dc), 0);
        assert_int_equal(dc.base.surface_id, 1);
        assert_int_equal(dc.image.desc.type, SPICE_IMAGE_LZ_RGB);
        area += (uint64_t)(dc.base.box.right - dc.base.box.left) *
                (uint64_t)(dc.base.box.bottom - dc.base.box.top);
        if (++acked % 20 == 0)
            send_msg(d, SPICE_MSGC_ACK, NULL, 0);
    }
    assert_int_equal(area, (uint64_t)w * h);
    assert_int_equal(t, SPICE_MSG_DISPLAY_MARK);
    close(d);
    close(m);
}

/* MAIN lists DISPLAY 0..N-1, then INPUTS and CURSOR; DISPLAY N is refused. */
static void test_monitors_list(void **st)
{
    uint8_t body[4096], want[4 + 2 * (FLOE_TEST_MAX_MONITORS + 2)];
    uint32_t len, session, n = 0;
    int m, d;

    session = open_session(&m);
    send_msg(m, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
    while (read_msg(m, body, sizeof(body), &len) != SPICE_MSG_MAIN_CHANNELS_LIST)
        ;
    floe_wr_le32(want, (uint32_t)monitors + 2);
    for (int k = 0; k < monitors; k++, n++) {
        want[4 + 2 * n] = SPICE_CHANNEL_DISPLAY;
        want[5 + 2 * n] = (uint8_t)k;
    }
    memcpy(want + 4 + 2 * n, (const uint8_t[]){ SPICE_CHANNEL_INPUTS, 0, SPICE_CHANNEL_CURSOR, 0 },
           4);
    assert_int_equal(len, 4 + 2 * (monitors + 2));
    assert_memory_equal(body, want, len);
    d = connect_server();
    send_link_id(d, session, SPICE_CHANNEL_DISPLAY, (uint8_t)monitors, 1);
    assert_int_equal(read_reply(d, NULL, NULL), SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE);
    expect_closed(d);
    close(m);
}

/* The last monitor's DISPLAY channel: its own picture as surface 0, and
 * MONITORS_CONFIG with one head on it; a pointer on it goes with its id. */
static void test_monitor_display(void **st)
{
    static uint8_t body[4 << 20];
    uint8_t init[15] = { 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
    uint8_t pos[11] = { 10, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0 };
    uint32_t len, session, w, h;
    int m, d, in, acked = 0;
    uint16_t t, locks;

    session = open_session(&m);
    d = connect_server();
    assert_int_equal(link_channel_id(d, session, SPICE_CHANNEL_DISPLAY, (uint8_t)(monitors - 1),
                                     password), 0);
    assert_int_equal(read_msg(d, body, sizeof(body), &len), SPICE_MSG_SET_ACK);
    send_msg(d, SPICE_MSGC_ACK_SYNC, body, 4);
    send_msg(d, SPICE_MSGC_DISPLAY_INIT, init, sizeof(init));
    assert_int_equal(read_msg(d, body, sizeof(body), &len), SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES);
    assert_int_equal(read_msg(d, body, sizeof(body), &len), SPICE_MSG_DISPLAY_SURFACE_CREATE);
    assert_int_equal(floe_le32(body), 0);
    w = floe_le32(body + 4);
    h = floe_le32(body + 8);
    while ((t = read_msg(d, body, sizeof(body), &len)) == SPICE_MSG_DISPLAY_DRAW_COPY)
        if (++acked % 20 == 0)
            send_msg(d, SPICE_MSGC_ACK, NULL, 0);
    assert_int_equal(t, SPICE_MSG_DISPLAY_MONITORS_CONFIG);
    assert_int_equal(floe_le16(body), 1);
    assert_int_equal(floe_le32(body + 4), 0);       /* head 0 */
    assert_int_equal(floe_le32(body + 4 + 4), 0);   /* on surface 0 */
    assert_int_equal(floe_le32(body + 4 + 8), w);
    assert_int_equal(floe_le32(body + 4 + 12), h);
    assert_int_equal(read_msg(d, body, sizeof(body), &len), SPICE_MSG_DISPLAY_MARK);
    in = open_inputs(session, &locks);
    pos[10] = (uint8_t)(monitors - 1);
    send_msg(in, SPICE_MSGC_INPUTS_MOUSE_POSITION, pos, sizeof(pos));
    pos[10] = (uint8_t)monitors;  /* not served: dropped */
    send_msg(in, SPICE_MSGC_INPUTS_MOUSE_POSITION, pos, sizeof(pos));
    usleep(300000);
    close(in);
    close(d);
    close(m);
}

/* Floods MAIN with MOUSE_MODE_REQUESTs and reads nothing; prints how many
 * bytes the server took before it stopped reading (or 400 MiB, or 20 s). */
static void test_flood(void **st)
{
    static uint8_t req[8 * 8192];
    size_t sent = 0;
    time_t end = time(NULL) + 20;
    int m;

    for (size_t i = 0; i < sizeof(req); i += 8) {
        uint8_t one[8] = { SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST, 0, 2, 0, 0, 0,
                           SPICE_MOUSE_MODE_SERVER, 0 };
        memcpy(req + i, one, 8);
    }
    open_session(&m);
    while (time(NULL) < end && sent < (400u << 20)) {
        struct pollfd p = { m, POLLOUT, 0 };
        ssize_t n;

        if (poll(&p, 1, 3000) <= 0)
            break; /* the server stopped reading */
        n = send(m, req, sizeof(req), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN)
            break;
        if (n > 0)
            sent += (size_t)n;
    }
    printf("accepted %zu\n", sent);
    assert_true(sent > 0);
    close(m);
}

/* --- a client that keeps the picture it has at MARK -------------------- */

/* The picture as a client draws it from images, solid fills and
 * COPY_BITS, with which pixels something has drawn. */
struct canvas {
    int w, h;
    uint32_t *px;
    uint8_t *drawn;
    void *states[FLOE_CODEC_SLOTS];   /* the codecs' memory across images */
};

/* The box of a draw, checked to lie on the surface. */
static void draw_box(const struct canvas *cv, const struct spice_display_base *b, int *x, int *y,
                     int *w, int *h)
{
    assert_int_equal(b->surface_id, 0);
    assert_int_equal(b->clip.type, SPICE_CLIP_NONE);
    assert_true(b->box.left >= 0 && b->box.top >= 0);
    assert_true(b->box.left < b->box.right && b->box.top < b->box.bottom);
    assert_true(b->box.right <= cv->w && b->box.bottom <= cv->h);
    *x = b->box.left;
    *y = b->box.top;
    *w = b->box.right - b->box.left;
    *h = b->box.bottom - b->box.top;
}

/* A compressed image's pixels, w x h rows packed (free() them). */
static uint32_t *decode_image(struct canvas *cv, const struct spice_image *im, int w, int h)
{
    const struct floe_codec *codec = floe_codec_by_type(im->desc.type);
    struct floe_coded in = { im->desc.type, im->flags, im->aux, NULL, 0, im->data,
                             im->data_len };
    struct floe_pic pic = { NULL, w, h, w * 4, false };
    int slot;
    void *state = NULL;

    assert_non_null(codec);
    slot = floe_codec_state_slot(codec);
    if (codec->state_new) {
        struct floe_codec_params params = { 0 };

        assert_true(slot >= 0 && slot < FLOE_CODEC_SLOTS);
        if (!cv->states[slot])
            cv->states[slot] = codec->state_new(&params);
        state = cv->states[slot];
        assert_non_null(state);
    }
    pic.pixels = malloc((size_t)w * h * 4);
    assert_non_null(pic.pixels);
    assert_int_equal(codec->decode(state, &in, &pic), 0);
    return pic.pixels;
}

static void canvas_copy(struct canvas *cv, const uint8_t *body, uint32_t len)
{
    struct spice_draw_copy dc;
    const struct spice_image *im = &dc.image;
    uint32_t *decoded = NULL;
    int x, y, w, h;

    assert_int_equal(spice_draw_copy_parse(body, len, &dc), 0);
    draw_box(cv, &dc.base, &x, &y, &w, &h);
    assert_int_equal(dc.rop, SPICE_ROPD_OP_PUT);
    assert_true(dc.src_area.left == 0 && dc.src_area.top == 0);
    assert_true(dc.src_area.right == w && dc.src_area.bottom == h);
    assert_true(im->desc.width == (uint32_t)w && im->desc.height == (uint32_t)h);
    /* no pixmap cache was offered: every image comes whole */
    if (im->desc.type == SPICE_IMAGE_BITMAP)
        assert_int_equal(im->bitmap.format, SPICE_BITMAP_32BIT);
    else
        decoded = decode_image(cv, im, w, h);
    for (int r = 0; r < h; r++) {
        int src = decoded || im->bitmap.flags & SPICE_BITMAP_TOP_DOWN ? r : h - 1 - r;
        const void *row = decoded ? (const void *)(decoded + (size_t)r * w)
                                : (const void *)(im->data + (size_t)src * im->bitmap.stride);

        memcpy(cv->px + (size_t)(y + r) * cv->w + x, row, (size_t)w * 4);
        memset(cv->drawn + (size_t)(y + r) * cv->w + x, 1, (size_t)w);
    }
    free(decoded);
}

static void canvas_fill(struct canvas *cv, const uint8_t *body, uint32_t len)
{
    struct spice_draw_fill f;
    int x, y, w, h;

    assert_int_equal(spice_draw_fill_parse(body, len, &f), 0);
    draw_box(cv, &f.base, &x, &y, &w, &h);
    assert_int_equal(f.brush.type, SPICE_BRUSH_SOLID);
    assert_int_equal(f.rop, SPICE_ROPD_OP_PUT);
    for (int r = y; r < y + h; r++) {
        for (int c = x; c < x + w; c++)
            cv->px[(size_t)r * cv->w + c] = f.brush.color & 0xffffff;
        memset(cv->drawn + (size_t)r * cv->w + x, 1, (size_t)w);
    }
}

/* A copy within the surface: what it copies counts as drawn only where its
 * source was. */
static void canvas_copy_bits(struct canvas *cv, const uint8_t *body, uint32_t len)
{
    struct spice_copy_bits cb;
    int x, y, w, h, sx, sy;

    assert_int_equal(spice_copy_bits_parse(body, len, &cb), 0);
    draw_box(cv, &cb.base, &x, &y, &w, &h);
    sx = cb.src_pos.x;
    sy = cb.src_pos.y;
    assert_true(sx >= 0 && sy >= 0 && sx + w <= cv->w && sy + h <= cv->h);
    for (int i = 0; i < h; i++) {
        int r = y > sy ? h - 1 - i : i;   /* rows in the order that keeps overlaps right */

        memmove(cv->px + (size_t)(y + r) * cv->w + x, cv->px + (size_t)(sy + r) * cv->w + sx,
                (size_t)w * 4);
        memmove(cv->drawn + (size_t)(y + r) * cv->w + x,
                cv->drawn + (size_t)(sy + r) * cv->w + sx, (size_t)w);
    }
}

static uint64_t canvas_drawn(const struct canvas *cv)
{
    uint64_t n = 0;

    for (size_t i = 0; i < (size_t)cv->w * cv->h; i++)
        n += cv->drawn[i];
    return n;
}

static void canvas_save(const struct canvas *cv, const char *prefix, const char *what)
{
    char path[4096], part[4200];

    /* written whole under another name first: a test that waits for the
     * file never reads half of it */
    snprintf(path, sizeof(path), "%s-%s.png", prefix, what);
    snprintf(part, sizeof(part), "%s.part", path);
    assert_int_equal(floe_png_write(part, cv->px, cv->w, cv->h, cv->w * 4), 0);
    assert_int_equal(rename(part, path), 0);
}

/* Reads one message of any type, PINGs included (into body). */
static uint16_t read_any(int fd, uint8_t *body, size_t cap, uint32_t *len)
{
    uint8_t hb[6];
    struct spice_msg_header h;

    assert_int_equal(recv_n(fd, hb, 6), 6);
    spice_header_parse(hb, 6, 1, &h);
    assert_true(h.size <= cap);
    assert_int_equal(recv_n(fd, body, h.size), h.size);
    *len = h.size;
    return h.type;
}

/* Draws one DISPLAY message; returns its type. Off-screen surfaces (ids
 * but 0: the demo's wallpaper) and the draws on them are left aside: the
 * server renders for this client (it says it is busy), so nothing it gets
 * on surface 0 reads them. */
static uint16_t mark_step(int d, struct canvas *cv, uint8_t *body, size_t cap)
{
    uint32_t len;
    uint16_t t = read_any(d, body, cap, &len);

    if ((t == SPICE_MSG_DISPLAY_SURFACE_CREATE || t == SPICE_MSG_DISPLAY_DRAW_COPY ||
         t == SPICE_MSG_DISPLAY_DRAW_FILL || t == SPICE_MSG_DISPLAY_COPY_BITS) &&
        len >= 4 && floe_le32(body) != 0)
        return t;
    switch (t) {
    case SPICE_MSG_DISPLAY_SURFACE_CREATE:
        free(cv->px);
        free(cv->drawn);
        cv->w = (int)floe_le32(body + 4);
        cv->h = (int)floe_le32(body + 8);
        cv->px = calloc((size_t)cv->w * cv->h, 4);
        cv->drawn = calloc((size_t)cv->w * cv->h, 1);
        assert_true(cv->px && cv->drawn);
        break;
    case SPICE_MSG_DISPLAY_DRAW_COPY:
        assert_non_null(cv->px);
        canvas_copy(cv, body, len);
        break;
    case SPICE_MSG_DISPLAY_DRAW_FILL:
        assert_non_null(cv->px);
        canvas_fill(cv, body, len);
        break;
    case SPICE_MSG_DISPLAY_COPY_BITS:
        assert_non_null(cv->px);
        canvas_copy_bits(cv, body, len);
        break;
    default:
        break;
    }
    return t;
}

static int readable(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };

    return poll(&p, 1, ms) > 0;
}

/* Links DISPLAY with the reference client's capabilities, no pixmap cache
 * and no GLZ window, and draws what comes. At the first MARK it writes
 * PREFIX-mark.png and prints how many pixels had been drawn. With
 * FLOE_MARK_END=FILE it then asks for raw pictures (PREFERRED_COMPRESSION
 * off, so a server that encodes slowly catches up) and goes on drawing
 * until FILE exists and the channel has been quiet for a second; then it
 * writes PREFIX-final.png. */
static void test_mark(void **st)
{
    static uint8_t body[64 << 20];
    const char *prefix = getenv("FLOE_MARK"), *end = getenv("FLOE_MARK_END");
    uint8_t init[15] = { 1 };   /* cache 1 of size 0, GLZ dictionary 0 of window 0 */
    struct canvas cv = { 0 };
    uint32_t len, session, gen, seen = 0;
    uint16_t t;
    int m, d;
    time_t deadline = time(NULL) + 120;
    struct floe_wbuf w;

    display_caps = REFERENCE_DISPLAY_CAPS | 1u << FLOE_DISPLAY_CAP_RENDER_REPORT;
    session = open_session(&m);
    d = connect_server();
    assert_int_equal(link_channel(d, session, SPICE_CHANNEL_DISPLAY, password), 0);
    assert_int_equal(read_msg(d, body, sizeof(body), &len), SPICE_MSG_SET_ACK);
    gen = floe_le32(body);
    send_msg(d, SPICE_MSGC_ACK_SYNC, &gen, 4);
    send_msg(d, SPICE_MSGC_DISPLAY_INIT, init, sizeof(init));
    /* it draws pictures, fills and copies only: busy all the time, it says,
     * so that draw operations come to it as pixels */
    floe_wbuf_init(&w, 0);
    spice_floe_render_report_put(&w, &(struct spice_floe_render_report){ 1000, 1, 1000000 });
    send_msg(d, FLOE_MSGC_DISPLAY_RENDER_REPORT, w.data, (uint32_t)w.len);
    floe_wbuf_free(&w);
    /* one ACK per window of 20 messages: the server counts every message
     * after SET_ACK, PINGs too */
    do {
        t = mark_step(d, &cv, body, sizeof(body));
        if (++seen % 20 == 0)
            send_msg(d, SPICE_MSGC_ACK, NULL, 0);
    } while (t != SPICE_MSG_DISPLAY_MARK);
    assert_non_null(cv.px);
    printf("mark: %llu of %llu pixels drawn\n", (unsigned long long)canvas_drawn(&cv),
           (unsigned long long)cv.w * cv.h);
    fflush(stdout);
    canvas_save(&cv, prefix, "mark");
    if (end)
        send_msg(d, SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION, (const uint8_t[]){ 1 }, 1);
    while (end && time(NULL) < deadline) {
        if (!readable(d, 1000)) {
            if (access(end, F_OK) == 0)
                break;
            continue;
        }
        mark_step(d, &cv, body, sizeof(body));
        if (++seen % 20 == 0)
            send_msg(d, SPICE_MSGC_ACK, NULL, 0);
    }
    if (end) {
        assert_true(time(NULL) < deadline);
        canvas_save(&cv, prefix, "final");
        printf("final: %llu of %llu pixels drawn\n", (unsigned long long)canvas_drawn(&cv),
               (unsigned long long)cv.w * cv.h);
    }
    for (int i = 0; floe_codecs[i]; i++)
        if (cv.states[i])
            floe_codecs[i]->state_free(cv.states[i]);
    free(cv.px);
    free(cv.drawn);
    close(d);
    close(m);
}

int main(void)
{
    const char *p = getenv("FLOE_PORT");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_wrong_major),
        cmocka_unit_test(test_oversized_link),
        cmocka_unit_test(test_truncated_link_mess),
        cmocka_unit_test(test_oversized_caps),
        cmocka_unit_test(test_bad_ticket),
        cmocka_unit_test(test_garbage_ticket),
        cmocka_unit_test(test_bad_connection_id),
        cmocka_unit_test(test_channel_not_available),
        cmocka_unit_test(test_survivor_and_oversized_message),
    };
    const struct CMUnitTest expired[] = { cmocka_unit_test(test_expired) };
    const struct CMUnitTest stall[] = { cmocka_unit_test(test_stall) };
    const struct CMUnitTest mark[] = { cmocka_unit_test(test_mark) };
    const struct CMUnitTest flood[] = { cmocka_unit_test(test_flood) };
    const struct CMUnitTest multi[] = {
        cmocka_unit_test(test_monitors_list),
        cmocka_unit_test(test_monitor_display),
    };
    const struct CMUnitTest session[] = {
        cmocka_unit_test(test_main_flow),
        cmocka_unit_test(test_inputs_motion_acks),
        cmocka_unit_test(test_keyboard_locks),
        cmocka_unit_test(test_cursor_channel),
        cmocka_unit_test(test_display_sync),
    };

    password = getenv("FLOE_PASSWORD");
    if (!p || !password) {
        fprintf(stderr, "raw_client: set FLOE_PORT and FLOE_PASSWORD\n");
        return 2;
    }
    port = atoi(p);
    if (getenv("FLOE_MONITORS")) {
        monitors = atoi(getenv("FLOE_MONITORS"));
        if (monitors < 1 || monitors > FLOE_TEST_MAX_MONITORS)
            return 2;
        return cmocka_run_group_tests_name("monitors", multi, NULL, NULL);
    }
    if (getenv("FLOE_MARK"))
        return cmocka_run_group_tests_name("mark", mark, NULL, NULL);
    if (getenv("FLOE_FLOOD"))
        return cmocka_run_group_tests_name("flood", flood, NULL, NULL);
    if (getenv("FLOE_SESSION"))
        return cmocka_run_group_tests_name("session", session, NULL, NULL);
    if (getenv("FLOE_STALL"))
        return cmocka_run_group_tests_name("stall", stall, NULL, NULL);
    if (getenv("FLOE_EXPIRED"))
        return cmocka_run_group_tests_name("link-expired", expired, NULL, NULL);
    return cmocka_run_group_tests_name("link-errors", tests, NULL, NULL);
}
