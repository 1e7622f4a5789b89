/* Unit tests of the guest-agent relay: a test guest attached through the
 * agent API and raw clients on MAIN. INIT's agent_connected, AGENT_CONNECTED
 * (_TOKENS), tokens both ways, messages over 2048 bytes cut into chunks and
 * AGENT_DATA pieces, two clients sharing the clipboard and the layout, the
 * bounds on a guest that floods and a client that keeps its tokens, and bad
 * input from either side. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "floe/server.h"
#include "tests/unit/raw_session.h"

/* ---- the test guest: what the server wrote to its port ---- */

struct guest {
    pthread_mutex_t lock;
    uint8_t *bytes;
    size_t len, cap;
    int refuse;                /* write_fn says -EAGAIN */
};

static struct guest guest = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int guest_write(void *opaque, const uint8_t *b, size_t n)
{
    struct guest *g = opaque;
    int rc = 0;

    pthread_mutex_lock(&g->lock);
    if (g->refuse) {
        rc = -EAGAIN;
    } else {
        if (g->len + n > g->cap) {
            g->cap = (g->len + n) * 2;
            g->bytes = realloc(g->bytes, g->cap);
        }
        memcpy(g->bytes + g->len, b, n);
        g->len += n;
    }
    pthread_mutex_unlock(&g->lock);
    return rc;
}

/* A message the guest got: its port, header and body (into the guest's copy). */
struct gmsg {
    uint32_t port, type, size;
    uint8_t body[8192];
};

/* Parses the chunks written so far, checking each holds at most 2048
 * bytes of one message; returns how many whole messages, the first `max`
 * into out. */
static int guest_messages(struct gmsg *out, int max)
{
    struct gmsg cur[3] = { { 0 } };
    uint32_t have[3] = { 0 }, want[3] = { 0 };
    uint8_t head[3][SPICE_SIZE_vd_agent_header];
    size_t at = 0;
    int n = 0;

    pthread_mutex_lock(&guest.lock);
    while (at + 8 <= guest.len) {
        uint32_t port = floe_le32(guest.bytes + at), size = floe_le32(guest.bytes + at + 4);
        const uint8_t *p = guest.bytes + at + 8;

        assert_true(port == 1 || port == 2);
        assert_true(size <= 2048);
        assert_true(at + 8 + size <= guest.len);
        at += 8 + size;
        for (uint32_t i = 0; i < size; i++) {
            uint32_t k = have[port]++;
            assert_true(i == 0 || k != 0);   /* no message starts inside a chunk */
            if (k < sizeof(head[port])) {
                head[port][k] = p[i];
                if (k + 1 == sizeof(head[port])) {
                    cur[port].port = port;
                    cur[port].type = floe_le32(head[port] + 4);
                    cur[port].size = floe_le32(head[port] + 16);
                    assert_int_equal(floe_le32(head[port]), VD_AGENT_PROTOCOL);
                    want[port] = (uint32_t)sizeof(head[port]) + cur[port].size;
                }
            } else if (k - sizeof(head[port]) < sizeof(cur[port].body)) {
                cur[port].body[k - sizeof(head[port])] = p[i];
            }
            if (want[port] && have[port] == want[port]) {
                assert_int_equal(i, size - 1);   /* ... nor ends before the chunk's end */
                if (n < max)
                    out[n] = cur[port];
                n++;
                have[port] = want[port] = 0;
            }
        }
        if (size == 0)
            continue;
    }
    pthread_mutex_unlock(&guest.lock);
    return n;
}

static struct gmsg *await_guest(int n)
{
    static struct gmsg got[64];
    int have = 0;

    for (int i = 0; i < 500 && (have = guest_messages(got, 64)) < n; i++)
        usleep(10000);
    assert_int_equal(have, n);
    return got;
}

/* ---- the server on its own thread ---- */

struct call {
    int port, rc;
    const uint8_t *bytes;
    size_t len;
    int what;
};

enum { DO_START, DO_ATTACH, DO_FROM_GUEST, DO_DETACH, DO_WAKE, DO_STATS };
static struct floe_server_stats stats;

static void on_server(struct floe_server *s, void *opaque)
{
    struct call *c = opaque;
    struct floe_agent_port port = { guest_write, &guest };
    struct floe_rect all = { 0, 0, 64, 64 };

    switch (c->what) {
    case DO_START:
        c->rc = floe_server_listen(s, "127.0.0.1", 0, &c->port);
        floe_server_surface_create(s, 0, 64, 64);
        floe_server_draw_fill(s, 0, &all, 0x204060);
        floe_server_frame_end(s);
        break;
    case DO_ATTACH: c->rc = floe_server_agent_attach(s, &port); break;
    case DO_FROM_GUEST: c->rc = floe_server_agent_from_guest(s, c->bytes, c->len); break;
    case DO_DETACH: floe_server_agent_detach(s); break;
    case DO_WAKE: floe_server_agent_wake(s); break;
    case DO_STATS: floe_server_get_stats(s, &stats); break;
    }
}

static int run(struct floe_server_thread *t, int what)
{
    struct call c = { .what = what };

    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    return c.rc;
}

static struct floe_server_thread *start(int *port)
{
    struct floe_server_thread *t =
        floe_server_thread_new(&(struct floe_server_options){ .disable_ticketing = 1 });
    struct call c = { .what = DO_START };

    assert_non_null(t);
    pthread_mutex_lock(&guest.lock);
    guest.len = 0;
    guest.refuse = 0;
    pthread_mutex_unlock(&guest.lock);
    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    assert_int_equal(c.rc, 0);
    *port = c.port;
    return t;
}

/* The guest writes one message on `port`, in chunks of at most `chunk`
 * bytes (0: one chunk). */
static int guest_send(struct floe_server_thread *t, uint32_t port, uint32_t type,
                      const uint8_t *body, uint32_t len, uint32_t chunk)
{
    struct floe_wbuf m, w;
    struct call c = { .what = DO_FROM_GUEST };

    floe_wbuf_init(&m, 0);
    spice_vd_agent_header_put(&m, &(struct spice_vd_agent_header){ 1, type, 0, len });
    floe_put_bytes(&m, body, len);
    floe_wbuf_init(&w, 0);
    for (size_t at = 0; at < m.len;) {
        size_t n = chunk && m.len - at > chunk ? chunk : m.len - at;
        spice_vdi_chunk_header_put(&w, &(struct spice_vdi_chunk_header){ port, (uint32_t)n });
        floe_put_bytes(&w, m.data + at, n);
        at += n;
    }
    c.bytes = w.data;
    c.len = w.len;
    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    floe_wbuf_free(&m);
    floe_wbuf_free(&w);
    return c.rc;
}

static int guest_raw(struct floe_server_thread *t, const uint8_t *b, size_t n)
{
    struct call c = { .what = DO_FROM_GUEST, .bytes = b, .len = n };

    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    return c.rc;
}

/* ---- raw clients ---- */

/* A MAIN client stating AGENT_CONNECTED_TOKENS (plain: none). */
static int client_caps(int port, struct spice_main_init *init, int plain)
{
    static const uint16_t want[] = { SPICE_MSG_MAIN_INIT, 0 };
    int caps[] = { SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS };
    uint8_t body[4096];
    struct floe_rbuf r;
    int fd = plain ? raw_link(port, 0, SPICE_CHANNEL_MAIN)
                   : raw_link_caps(port, 0, SPICE_CHANNEL_MAIN, caps, 1);

    raw_read(fd, want, body, sizeof(body));
    floe_rbuf_init(&r, body, sizeof(body));
    spice_main_init_get(&r, init);
    return fd;
}

static int client(int port, struct spice_main_init *init)
{
    return client_caps(port, init, 0);
}

/* The next MAIN message within ms (PINGs and the like skipped): its type,
 * or 0 (none came), -1 (the server closed). */
static int next_msg(int fd, uint8_t *body, size_t cap, uint32_t *len, int ms)
{
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        struct spice_msg_header h;
        uint8_t hb[6];
        ssize_t r;

        if (poll(&p, 1, ms) <= 0)
            return 0;
        r = recv(fd, hb, 1, MSG_PEEK);
        if (r <= 0)
            return -1;
        recv_all(fd, hb, sizeof(hb));
        spice_header_parse(hb, sizeof(hb), 1, &h);
        if (h.type == SPICE_MSG_PING || h.type == SPICE_MSG_MAIN_MULTI_MEDIA_TIME ||
            h.size > cap) {
            for (uint32_t left = h.size; left > 0;) {
                size_t n = left < cap ? left : cap;
                recv_all(fd, body, n);
                left -= (uint32_t)n;
            }
            continue;
        }
        recv_all(fd, body, h.size);
        *len = h.size;
        return h.type;
    }
}

static uint32_t u32_body(int fd, uint16_t type)
{
    uint8_t body[4096];
    uint32_t len = 0;
    int t;

    while ((t = next_msg(fd, body, sizeof(body), &len, 5000)) != type)
        assert_true(t > 0 && t != SPICE_MSG_MAIN_AGENT_DATA);
    return len >= 4 ? floe_le32(body) : 0;
}

/* One whole agent message from AGENT_DATA pieces (each at most 2048):
 * its type, body in `out`; 0 when none came within ms. */
static uint32_t client_agent_msg(int fd, uint8_t *out, uint32_t *size, int ms, int *pieces)
{
    uint8_t body[4096], msg[16384];
    uint32_t have = 0, len = 0, want = 0;

    *pieces = 0;
    for (;;) {
        int t = next_msg(fd, body, sizeof(body), &len, ms);
        if (t <= 0)
            return 0;
        if (t != SPICE_MSG_MAIN_AGENT_DATA)
            continue;
        assert_true(len <= 2048);
        assert_true(have + len <= sizeof(msg));
        memcpy(msg + have, body, len);
        have += len;
        (*pieces)++;
        if (have >= SPICE_SIZE_vd_agent_header)
            want = SPICE_SIZE_vd_agent_header + floe_le32(msg + 16);
        if (want && have >= want) {
            assert_int_equal(have, want);   /* a piece holds one message's bytes */
            *size = want - SPICE_SIZE_vd_agent_header;
            memcpy(out, msg + SPICE_SIZE_vd_agent_header, *size);
            return floe_le32(msg + 4);
        }
    }
}

static void client_send(int fd, uint32_t type, const uint8_t *body, uint32_t len, uint32_t piece)
{
    struct floe_wbuf m;

    floe_wbuf_init(&m, 0);
    spice_vd_agent_header_put(&m, &(struct spice_vd_agent_header){ 1, type, 0, len });
    floe_put_bytes(&m, body, len);
    for (size_t at = 0; at < m.len;) {
        size_t n = m.len - at > piece ? piece : m.len - at;
        RAW_SEND(fd, SPICE_MSGC_MAIN_AGENT_DATA, floe_put_bytes(&w_, m.data + at, n));
        at += n;
    }
    floe_wbuf_free(&m);
}

static void agent_start(int fd, uint32_t tokens)
{
    RAW_SEND(fd, SPICE_MSGC_MAIN_AGENT_START,
             spice_agent_start_put(&w_, &(struct spice_agent_start){ tokens }));
}

static void give_token(int fd, uint32_t n)
{
    RAW_SEND(fd, SPICE_MSGC_MAIN_AGENT_TOKEN,
             spice_agent_token_put(&w_, &(struct spice_agent_token){ n }));
}

/* Whether the server closed fd (reading what is left). */
static int closed_by_server(int fd)
{
    uint8_t b[4096];
    uint32_t len;
    int t;

    while ((t = next_msg(fd, b, sizeof(b), &len, 5000)) > 0)
        ;
    return t < 0;
}

static void fill(uint8_t *p, uint32_t n, uint32_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

/* ---- the tests ---- */

static void test_connect_and_tokens(void **st)
{
    struct spice_main_init init;
    struct floe_server_thread *t;
    uint8_t body[8192], msg[64] = { 1, 2, 3 };
    uint32_t size;
    int port, a, b, pieces;

    (void)st;
    t = start(&port);
    a = client(port, &init);
    assert_int_equal(init.agent_connected, 0);
    assert_int_equal(init.agent_tokens, 10);
    assert_int_equal(run(t, DO_ATTACH), 0);
    assert_int_equal(run(t, DO_ATTACH), -EBUSY);
    assert_int_equal(u32_body(a, SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS), 10);
    b = client(port, &init);
    assert_int_equal(init.agent_connected, 1);

    /* a client gives 2 tokens: the third message waits for another */
    agent_start(a, 2);
    agent_start(b, ~0u);
    for (int i = 0; i < 3; i++) {
        msg[0] = (uint8_t)i;
        assert_int_equal(guest_send(t, 1, VD_AGENT_AUDIO_VOLUME_SYNC, msg, 5, 0), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(client_agent_msg(a, body, &size, 5000, &pieces),
                         VD_AGENT_AUDIO_VOLUME_SYNC);
        assert_int_equal(body[0], i);
    }
    assert_int_equal(client_agent_msg(a, body, &size, 300, &pieces), 0);
    give_token(a, 1);
    assert_int_equal(client_agent_msg(a, body, &size, 5000, &pieces), VD_AGENT_AUDIO_VOLUME_SYNC);
    assert_int_equal(body[0], 2);
    for (int i = 0; i < 3; i++)
        assert_int_equal(client_agent_msg(b, body, &size, 5000, &pieces),
                         VD_AGENT_AUDIO_VOLUME_SYNC);
    /* port 2 is the server's: what the agent writes there is not relayed */
    assert_int_equal(guest_send(t, 2, VD_AGENT_AUDIO_VOLUME_SYNC, msg, 5, 0), 0);
    assert_int_equal(client_agent_msg(b, body, &size, 300, &pieces), 0);

    /* the client's message reaches the guest; its token comes back */
    client_send(a, VD_AGENT_AUDIO_VOLUME_SYNC, msg, 7, 2048);
    assert_int_equal(u32_body(a, SPICE_MSG_MAIN_AGENT_TOKEN), 1);
    assert_int_equal(await_guest(1)[0].type, VD_AGENT_AUDIO_VOLUME_SYNC);

    run(t, DO_DETACH);
    assert_int_equal(u32_body(a, SPICE_MSG_MAIN_AGENT_DISCONNECTED), 0);
    assert_int_equal(u32_body(b, SPICE_MSG_MAIN_AGENT_DISCONNECTED), 0);
    close(a);
    close(b);
    floe_server_thread_free(t);
}

static void test_chunking_both_ways(void **st)
{
    struct spice_main_init init;
    struct floe_server_thread *t;
    static uint8_t big[6000], got[8192];
    uint32_t size;
    struct gmsg *g;
    int port, a, pieces;

    (void)st;
    t = start(&port);
    assert_int_equal(run(t, DO_ATTACH), 0);
    a = client(port, &init);
    assert_int_equal(init.agent_connected, 1);
    agent_start(a, ~0u);

    /* client -> guest: 6000 bytes in pieces of 2048, then of 1000 (each
     * piece but the first holds the end of one part and ...); two small
     * messages in one piece are cut into two chunks */
    fill(big, sizeof(big), 1);
    client_send(a, VD_AGENT_FILE_XFER_DATA, big, sizeof(big), 2048);
    client_send(a, VD_AGENT_FILE_XFER_DATA, big, 3000, 1000);
    {
        struct floe_wbuf m;
        floe_wbuf_init(&m, 0);
        for (int i = 0; i < 2; i++) {
            spice_vd_agent_header_put(&m, &(struct spice_vd_agent_header){
                                              1, VD_AGENT_FILE_XFER_STATUS, 0, 8 });
            floe_put_bytes(&m, big + i, 8);
        }
        RAW_SEND(a, SPICE_MSGC_MAIN_AGENT_DATA, floe_put_bytes(&w_, m.data, m.len));
        floe_wbuf_free(&m);
    }
    g = await_guest(4);
    assert_int_equal(g[0].port, 1);
    assert_int_equal(g[0].size, sizeof(big));
    assert_memory_equal(g[0].body, big, sizeof(big));
    assert_int_equal(g[1].size, 3000);
    assert_memory_equal(g[1].body, big, 3000);
    assert_int_equal(g[2].type, VD_AGENT_FILE_XFER_STATUS);
    assert_int_equal(g[3].body[0], big[1]);

    /* guest -> client: one chunk of 6000 bytes comes as 3 pieces; chunks
     * of 100 bytes come together again */
    fill(big, sizeof(big), 9);
    assert_int_equal(guest_send(t, 1, VD_AGENT_FILE_XFER_DATA, big, sizeof(big), 0), 0);
    assert_int_equal(client_agent_msg(a, got, &size, 5000, &pieces), VD_AGENT_FILE_XFER_DATA);
    assert_int_equal(size, sizeof(big));
    assert_int_equal(pieces, 3);
    assert_memory_equal(got, big, sizeof(big));
    assert_int_equal(guest_send(t, 1, VD_AGENT_FILE_XFER_DATA, big, 2500, 100), 0);
    assert_int_equal(client_agent_msg(a, got, &size, 5000, &pieces), VD_AGENT_FILE_XFER_DATA);
    assert_int_equal(size, 2500);
    assert_memory_equal(got, big, 2500);
    close(a);
    floe_server_thread_free(t);
}

/* A clipboard message without selection (neither side announced it). */
static uint32_t expect_agent(int fd, int ms)
{
    static uint8_t body[8192];
    uint32_t size;
    int pieces;

    return client_agent_msg(fd, body, &size, ms, &pieces);
}

static void test_two_clients_clipboard(void **st)
{
    struct spice_main_init init;
    struct floe_server_thread *t;
    uint8_t text_type[4] = { VD_AGENT_CLIPBOARD_UTF8_TEXT }, data[16] = { 1, 0, 0, 0, 'h', 'i' };
    uint8_t mons[SPICE_SIZE_vd_agent_monitors_config + SPICE_SIZE_vd_agent_mon_config] = { 1 };
    struct gmsg *g;
    int port, a, b, n = 0;

    (void)st;
    t = start(&port);
    assert_int_equal(run(t, DO_ATTACH), 0);
    a = client(port, &init);
    b = client(port, &init);
    agent_start(a, ~0u);
    agent_start(b, ~0u);

    /* A grabs: the guest's requests go to A only, only A's data passes */
    client_send(a, VD_AGENT_CLIPBOARD_GRAB, text_type, 4, 2048);
    assert_int_equal(await_guest(n + 1)[n].type, VD_AGENT_CLIPBOARD_GRAB);
    n++;
    assert_int_equal(guest_send(t, 1, VD_AGENT_CLIPBOARD_REQUEST, text_type, 4, 0), 0);
    assert_int_equal(expect_agent(a, 5000), VD_AGENT_CLIPBOARD_REQUEST);
    assert_int_equal(expect_agent(b, 300), 0);
    client_send(b, VD_AGENT_CLIPBOARD, data, 6, 2048);    /* not asked: dropped */
    client_send(a, VD_AGENT_CLIPBOARD, data, 6, 2048);
    g = await_guest(++n);
    assert_int_equal(g[n - 1].type, VD_AGENT_CLIPBOARD);
    assert_int_equal(g[n - 1].size, 6);

    /* the guest grabs: both hear it; B grabs: A hears the guest's grab end */
    assert_int_equal(guest_send(t, 1, VD_AGENT_CLIPBOARD_GRAB, text_type, 4, 0), 0);
    assert_int_equal(expect_agent(a, 5000), VD_AGENT_CLIPBOARD_GRAB);
    assert_int_equal(expect_agent(b, 5000), VD_AGENT_CLIPBOARD_GRAB);
    client_send(b, VD_AGENT_CLIPBOARD_GRAB, text_type, 4, 2048);
    assert_int_equal(expect_agent(a, 5000), VD_AGENT_CLIPBOARD_RELEASE);
    assert_int_equal(await_guest(n + 1)[n].type, VD_AGENT_CLIPBOARD_GRAB);
    n++;
    assert_int_equal(guest_send(t, 1, VD_AGENT_CLIPBOARD_REQUEST, text_type, 4, 0), 0);
    assert_int_equal(expect_agent(b, 5000), VD_AGENT_CLIPBOARD_REQUEST);
    assert_int_equal(expect_agent(a, 300), 0);
    /* A's release is not the owner's: dropped; A asks the guest: only A
     * gets the data */
    client_send(a, VD_AGENT_CLIPBOARD_RELEASE, NULL, 0, 2048);
    client_send(a, VD_AGENT_CLIPBOARD_REQUEST, text_type, 4, 2048);
    g = await_guest(++n);
    assert_int_equal(g[n - 1].type, VD_AGENT_CLIPBOARD_REQUEST);
    assert_int_equal(guest_send(t, 1, VD_AGENT_CLIPBOARD, data, 6, 0), 0);
    assert_int_equal(expect_agent(a, 5000), VD_AGENT_CLIPBOARD);
    assert_int_equal(expect_agent(b, 300), 0);

    /* the layout is A's (the first client): B's monitors config is dropped */
    mons[12] = 0x20;    /* height 0x2000... any: the guest checks nothing here */
    client_send(b, VD_AGENT_MONITORS_CONFIG, mons, sizeof(mons), 2048);
    client_send(a, VD_AGENT_MONITORS_CONFIG, mons, sizeof(mons), 2048);
    g = await_guest(++n);
    assert_int_equal(g[n - 1].type, VD_AGENT_MONITORS_CONFIG);
    usleep(200000);
    assert_int_equal(guest_messages(NULL, 0), n);

    /* B, the owner, goes: the guest is told its grab is over; then A goes:
     * CLIENT_DISCONNECTED on the server's port */
    close(b);
    g = await_guest(++n);
    assert_int_equal(g[n - 1].type, VD_AGENT_CLIPBOARD_RELEASE);
    assert_int_equal(g[n - 1].port, 1);
    close(a);
    g = await_guest(++n);
    assert_int_equal(g[n - 1].type, VD_AGENT_CLIENT_DISCONNECTED);
    assert_int_equal(g[n - 1].port, 2);
    floe_server_thread_free(t);
}

static void test_flood_bounds(void **st)
{
    struct spice_main_init init;
    struct floe_server_thread *t;
    static uint8_t big[2000];
    uint8_t body[8192];
    uint32_t size;
    int port, a, b, c, pieces, got = 0;

    (void)st;
    t = start(&port);
    assert_int_equal(run(t, DO_ATTACH), 0);
    a = client(port, &init);
    b = client(port, &init);
    agent_start(a, 1);        /* and never gives more */
    agent_start(b, ~0u);
    /* the guest floods 1.6 MiB: A is cut at its bound, B gets every message */
    for (int i = 0; i < 800; i++)
        assert_int_equal(guest_send(t, 1, VD_AGENT_FILE_XFER_DATA, big, sizeof(big), 0), 0);
    assert_true(closed_by_server(a));
    for (int i = 0; i < 800 && client_agent_msg(b, body, &size, 5000, &pieces); i++)
        got++;
    assert_int_equal(got, 800);
    run(t, DO_STATS);
    assert_true(stats.agent_dropped >= 1);
    assert_int_equal(stats.clients, 1);

    /* a port that takes nothing: B's tokens stay with the server, and a
     * piece past them cuts B; C is served once the port takes bytes */
    c = client(port, &init);
    agent_start(c, ~0u);
    pthread_mutex_lock(&guest.lock);
    guest.refuse = 1;
    pthread_mutex_unlock(&guest.lock);
    for (int i = 0; i < 10; i++)
        client_send(b, VD_AGENT_FILE_XFER_STATUS, big, 8, 2048);
    assert_int_equal(next_msg(b, body, sizeof(body), &size, 300), 0);   /* no token */
    client_send(b, VD_AGENT_FILE_XFER_STATUS, big, 8, 2048);
    assert_true(closed_by_server(b));
    client_send(c, VD_AGENT_FILE_XFER_STATUS, big, 8, 2048);
    pthread_mutex_lock(&guest.lock);
    guest.refuse = 0;
    guest.len = 0;
    pthread_mutex_unlock(&guest.lock);
    run(t, DO_WAKE);
    assert_int_equal(u32_body(c, SPICE_MSG_MAIN_AGENT_TOKEN), 1);
    assert_int_equal(await_guest(1)[0].type, VD_AGENT_FILE_XFER_STATUS);
    close(a);
    close(b);
    close(c);
    floe_server_thread_free(t);
}

static void test_bad_input(void **st)
{
    struct spice_main_init init;
    struct floe_server_thread *t;
    uint8_t body[3000] = { 0 };
    struct floe_wbuf w;
    int port, a, b;

    (void)st;
    t = start(&port);
    a = client(port, &init);
    b = client_caps(port, &init, 1);   /* AGENT_CONNECTED without tokens */
    /* from the guest: a chunk for port 3, a chunk over 1 MiB, a protocol
     * that is not 1, a chunk holding the end of one message and the start
     * of the next: each detaches the agent, which may attach again */
    for (int k = 0; k < 4; k++) {
        assert_int_equal(run(t, DO_ATTACH), 0);
        assert_int_equal(u32_body(a, SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS), 10);
        u32_body(b, SPICE_MSG_MAIN_AGENT_CONNECTED);
        floe_wbuf_init(&w, 0);
        if (k == 0) {
            spice_vdi_chunk_header_put(&w, &(struct spice_vdi_chunk_header){ 3, 4 });
        } else if (k == 1) {
            spice_vdi_chunk_header_put(&w, &(struct spice_vdi_chunk_header){ 1, 2u << 20 });
        } else {
            spice_vdi_chunk_header_put(&w, &(struct spice_vdi_chunk_header){ 1, k == 2 ? 20 : 41 });
            spice_vd_agent_header_put(&w, &(struct spice_vd_agent_header){
                                              k == 2 ? 2 : 1, VD_AGENT_REPLY, 0, 0 });
            if (k == 3)
                spice_vd_agent_header_put(&w, &(struct spice_vd_agent_header){
                                                  1, VD_AGENT_REPLY, 0, 0 });
            floe_put_bytes(&w, body, k == 3 ? 1 : 0);
        }
        assert_int_equal(guest_raw(t, w.data, w.len), -EPROTO);
        floe_wbuf_free(&w);
        assert_int_equal(u32_body(a, SPICE_MSG_MAIN_AGENT_DISCONNECTED), 0);
        assert_int_equal(u32_body(b, SPICE_MSG_MAIN_AGENT_DISCONNECTED), 0);
    }
    assert_int_equal(guest_raw(t, body, 8), -ENOTCONN);

    /* from a client: an AGENT_DATA over 2048 bytes cuts it; a clipboard
     * grab over 4 KiB is dropped; the other client goes on */
    assert_int_equal(run(t, DO_ATTACH), 0);
    agent_start(b, ~0u);
    RAW_SEND(a, SPICE_MSGC_MAIN_AGENT_DATA, floe_put_bytes(&w_, body, 2049));
    assert_true(closed_by_server(a));
    {
        static uint8_t huge[5000];
        client_send(b, VD_AGENT_CLIPBOARD_GRAB, huge, sizeof(huge), 2048);
    }
    client_send(b, VD_AGENT_AUDIO_VOLUME_SYNC, body, 5, 2048);
    assert_int_equal(await_guest(1)[0].type, VD_AGENT_AUDIO_VOLUME_SYNC);
    assert_int_equal(guest_send(t, 1, VD_AGENT_AUDIO_VOLUME_SYNC, body, 5, 0), 0);
    assert_int_equal(expect_agent(b, 5000), VD_AGENT_AUDIO_VOLUME_SYNC);
    close(a);
    close(b);
    floe_server_thread_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_and_tokens),
        cmocka_unit_test(test_chunking_both_ways),
        cmocka_unit_test(test_two_clients_clipboard),
        cmocka_unit_test(test_flood_bounds),
        cmocka_unit_test(test_bad_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
