/* A raw SPICE client for the unit tests that ask a server what a
 * well-behaved client would not: links with mini headers and any ticket,
 * reads the messages it waits for, sends messages built from protocol/'s
 * descriptions. Every step is a cmocka check. Include after cmocka.h. */
#ifndef FLOE_TESTS_RAW_SESSION_H
#define FLOE_TESTS_RAW_SESSION_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/spice/enums.h"
#include "protocol/spice/messages.h"
#include "protocol/spice/wire.h"

static void send_all(int fd, const void *p, size_t n)
{
    assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void recv_all(int fd, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t r;

        assert_true(poll(&p, 1, 10000) > 0);
        r = recv(fd, (char *)buf + got, n - got, 0);
        assert_true(r > 0);
        got += (size_t)r;
    }
}

/* Links channel `type` of session `session` (0: a new one, MAIN) with mini
 * headers and any ticket (the server disables ticketing), stating the
 * n channel capabilities chan_caps. */
static inline int raw_link_caps(int port, uint32_t session, uint8_t type, const int *chan_caps,
                                int n)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct spice_link_mess m = { session, type, 0, 0, 0, 0 };
    struct spice_caps caps = { 0 };
    uint8_t hb[16], body[SPICE_LINK_MAX_SIZE], ticket[128] = { 0 }, res[4];
    const uint8_t *pubkey;
    struct spice_link_header h;
    struct floe_wbuf w;
    struct floe_rbuf r;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    spice_caps_set(caps.common, SPICE_COMMON_CAP_AUTH_SPICE);
    spice_caps_set(caps.common, SPICE_COMMON_CAP_MINI_HEADER);
    for (int i = 0; i < n; i++)
        spice_caps_set(caps.channel, (unsigned)chan_caps[i]);
    floe_wbuf_init(&w, 0);
    spice_link_mess_write(&w, &m, &caps);
    send_all(fd, w.data, w.len);
    floe_wbuf_free(&w);
    recv_all(fd, hb, sizeof(hb));
    floe_rbuf_init(&r, hb, sizeof(hb));
    spice_link_header_get(&r, &h);
    assert_true(h.size <= sizeof(body));
    recv_all(fd, body, h.size);
    assert_int_equal(spice_link_reply_parse(body, h.size, &pubkey, &caps), SPICE_LINK_ERR_OK);
    send_all(fd, ticket, sizeof(ticket));
    recv_all(fd, res, sizeof(res));
    assert_int_equal(floe_le32(res), SPICE_LINK_ERR_OK);
    return fd;
}

/* The same, stating the channel capability chan_cap (negative: none). */
static inline int raw_link_cap(int port, uint32_t session, uint8_t type, int chan_cap)
{
    return raw_link_caps(port, session, type, &chan_cap, chan_cap >= 0);
}

static int raw_link(int port, uint32_t session, uint8_t type)
{
    return raw_link_cap(port, session, type, -1);
}

/* Reads the next message of a type in `want` (0-terminated), skipping
 * others (MAIN's PINGs, INPUTS' motion acks); returns its type. */
static uint16_t raw_read(int fd, const uint16_t *want, uint8_t *body, size_t cap)
{
    for (;;) {
        uint8_t hb[6];
        struct spice_msg_header h;
        int match = 0;

        recv_all(fd, hb, sizeof(hb));
        spice_header_parse(hb, sizeof(hb), 1, &h);
        for (const uint16_t *t = want; *t; t++)
            match |= *t == h.type;
        if (match) {
            assert_true(h.size <= cap);
            recv_all(fd, body, h.size);
            return h.type;
        }
        for (uint32_t left = h.size; left > 0;) {
            size_t n = left < cap ? left : cap;

            recv_all(fd, body, n);
            left -= (uint32_t)n;
        }
    }
}

#define RAW_SEND(fd, type, put) do {                                            \
        struct floe_wbuf w_;                                                    \
        size_t at_;                                                             \
        floe_wbuf_init(&w_, 0);                                                 \
        at_ = spice_header_put(&w_, 1, (type), 0);                              \
        put;                                                                    \
        spice_header_finish(&w_, 1, at_);                                       \
        send_all((fd), w_.data, w_.len);                                        \
        floe_wbuf_free(&w_);                                                    \
    } while (0)

/* One message of a display channel, read whole into body (at most cap
 * bytes) and answered as a client answers: SET_ACK with ACK_SYNC, then an
 * ACK every window of messages. SET_ACK and PING are handled here (0); any
 * other message's type is returned, its size in *len. */
static inline uint16_t raw_display_read(int fd, uint32_t *ack_window, uint32_t *since_ack, uint8_t *body,
                                 size_t cap, uint32_t *len)
{
    struct spice_msg_header h;
    uint8_t hb[6];

    recv_all(fd, hb, sizeof(hb));
    spice_header_parse(hb, sizeof(hb), 1, &h);
    assert_true(h.size <= cap);
    recv_all(fd, body, h.size);
    if (h.type == SPICE_MSG_SET_ACK) {
        struct spice_set_ack a;
        struct floe_rbuf r;

        floe_rbuf_init(&r, body, h.size);
        spice_set_ack_get(&r, &a);
        *ack_window = a.window;
        *since_ack = 0;
        RAW_SEND(fd, SPICE_MSGC_ACK_SYNC,
                 spice_ack_sync_put(&w_, &(struct spice_ack_sync){ a.generation }));
        return 0;
    }
    if (*ack_window && ++*since_ack == *ack_window) {
        RAW_SEND(fd, SPICE_MSGC_ACK, (void)0);
        *since_ack = 0;
    }
    if (h.type == SPICE_MSG_PING)
        return 0;
    *len = h.size;
    return h.type;
}

#endif
