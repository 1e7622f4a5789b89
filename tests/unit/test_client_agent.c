/* Unit tests for libfloe-client's end of the guest's agent (white-box: a
 * MAIN channel whose output the test reads, and the agent's messages handed
 * to the library as AGENT_DATA bodies cut anywhere): once the server says an
 * agent is there the client sends AGENT_START and announces its
 * capabilities, answers the agent's announce, and sends MAX_CLIPBOARD only
 * to an agent that has it; a clipboard the client offers goes as a GRAB
 * (with the selection, both sides having CLIPBOARD_SELECTION) and, asked
 * for, as a CLIPBOARD cut into AGENT_DATA of at most 2048 bytes that stop
 * when the tokens do; the guest's offer is asked for as text and its
 * contents kept until released; a file goes as START (name, size), waits
 * for CAN_SEND_DATA, then as DATA messages that put it back together byte
 * for byte, and SUCCESS ends it; a refusal says why; messages of another
 * protocol or too large are skipped and the next is read; the agent going
 * fails the transfers and drops the guest's clipboard; switched off, no
 * clipboard and no file goes either way. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/internal.h"

static struct {
    struct floe_client *c;
    struct fcli_chan ch;
    uint32_t events;
    /* the agent's stream as the client wrote it, put together */
    uint8_t *stream;
    size_t len;
    int pieces, big_piece;
    uint16_t other[8];          /* other MAIN messages written */
    int n_other;
} T;

static void emit(struct floe_client *c, enum floe_client_event ev)
{
    (void)c;
    T.events |= 1u << ev;
}

static void nothing(struct floe_client *c)
{
    (void)c;
}

static const struct fcli_chan_owner owner = { .emit_fn = emit, .wake_fn = nothing };

/* Reads what the client wrote on MAIN (mini headers): AGENT_DATA bodies
 * onto the stream, other types noted; then the output is empty. */
static void drain(void)
{
    fcli_agent_pump(T.c);
    pthread_mutex_lock(&T.c->send_lock);
    for (size_t at = 0; at + 6 <= T.ch.out.len;) {
        const uint8_t *h = T.ch.out.data + at;
        uint16_t type = (uint16_t)(h[0] | h[1] << 8);
        uint32_t size = (uint32_t)h[2] | (uint32_t)h[3] << 8 | (uint32_t)h[4] << 16 |
                        (uint32_t)h[5] << 24;

        assert_true(at + 6 + size <= T.ch.out.len);
        if (type == SPICE_MSGC_MAIN_AGENT_DATA) {
            T.stream = realloc(T.stream, T.len + size);
            assert_non_null(T.stream);
            memcpy(T.stream + T.len, h + 6, size);
            T.len += size;
            T.pieces++;
            if (size > VD_AGENT_MAX_DATA_SIZE)
                T.big_piece = 1;
        } else if (T.n_other < 8) {
            T.other[T.n_other++] = type;
        }
        at += 6 + size;
    }
    T.ch.out.len = T.ch.out_sent = 0;
    pthread_mutex_unlock(&T.c->send_lock);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The next whole message the client sent the agent: its type, its body in
 * *body (borrowed until the next call); -1 when none is whole yet. */
static int next_msg(const uint8_t **body, uint32_t *len)
{
    static uint8_t *keep;
    uint32_t type, size;

    drain();
    if (T.len < 20)
        return -1;
    assert_int_equal(le32(T.stream), VD_AGENT_PROTOCOL);
    type = le32(T.stream + 4);
    size = le32(T.stream + 16);
    if (T.len < 20 + (size_t)size)
        return -1;
    free(keep);
    keep = malloc(size + 1);
    memcpy(keep, T.stream + 20, size);
    memmove(T.stream, T.stream + 20 + size, T.len - 20 - size);
    T.len -= 20 + size;
    *body = keep;
    *len = size;
    return (int)type;
}

static uint32_t want_msg(uint32_t type, const uint8_t **body)
{
    uint32_t len = 0;
    int got = next_msg(body, &len);

    if (got != (int)type)
        fail_msg("the client sent agent message %d, want %u", got, type);
    return len;
}

/* An agent message handed to the client cut in pieces of `cut` bytes. */
static int from_agent_proto(uint32_t protocol, uint32_t type, const void *body, uint32_t len,
                            size_t cut)
{
    uint8_t *m = malloc(20 + (size_t)len);
    int ev = 0;

    assert_non_null(m);
    for (int i = 0; i < 4; i++) {
        m[i] = (uint8_t)(protocol >> 8 * i);
        m[4 + i] = (uint8_t)(type >> 8 * i);
        m[16 + i] = (uint8_t)(len >> 8 * i);
    }
    memset(m + 8, 0, 8);
    if (len)
        memcpy(m + 20, body, len);
    for (size_t at = 0; at < 20 + (size_t)len; at += cut) {
        size_t n = 20 + (size_t)len - at < cut ? 20 + (size_t)len - at : cut;

        ev |= fcli_agent_data(T.c, m + at, n);
    }
    free(m);
    return ev;
}

static int from_agent(uint32_t type, const void *body, uint32_t len, size_t cut)
{
    return from_agent_proto(VD_AGENT_PROTOCOL, type, body, len, cut);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static void setup_client(uint32_t tokens)
{
    memset(&T, 0, sizeof(T));
    T.c = floe_client_new(&(struct floe_client_options){ .host = "127.0.0.1", .port = 1 });
    assert_non_null(T.c);
    T.ch = (struct fcli_chan){ .client = T.c, .owner = &owner, .ops = &fcli_main_ops,
                               .type = SPICE_CHANNEL_MAIN, .fd = -1, .mini = 1 };
    floe_wbuf_init(&T.ch.out, 0);
    T.c->chans[FLOE_CHAN_MAIN] = &T.ch;
    fcli_agent_tokens(T.c, tokens, 1);
}

static void teardown_client(void)
{
    T.c->chans[FLOE_CHAN_MAIN] = NULL;
    floe_wbuf_free(&T.ch.out);
    floe_client_free(T.c);
    free(T.stream);
}

/* The agent comes with caps: AGENT_START, the client's announce, the
 * agent's, the client's answer. */
static void agent_comes(uint32_t caps)
{
    const uint8_t *b;
    uint8_t ann[8];
    uint32_t len;

    fcli_agent_connected(T.c, 1);
    drain();
    assert_int_equal(T.n_other, 1);
    assert_int_equal(T.other[0], SPICE_MSGC_MAIN_AGENT_START);
    len = want_msg(VD_AGENT_ANNOUNCE_CAPABILITIES, &b);
    assert_int_equal(len, 8);
    assert_int_equal(le32(b), 1);   /* it asks for the agent's */
    assert_true(le32(b + 4) & 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
    assert_true(le32(b + 4) & 1u << VD_AGENT_CAP_CLIPBOARD_SELECTION);
    assert_false(floe_client_agent_ready(T.c));
    put32(ann, 1);
    put32(ann + 4, caps);
    assert_true(from_agent(VD_AGENT_ANNOUNCE_CAPABILITIES, ann, 8, 3) &
                1u << FLOE_CLIENT_EVENT_AGENT);
    assert_true(floe_client_agent_ready(T.c));
    len = want_msg(VD_AGENT_ANNOUNCE_CAPABILITIES, &b);
    assert_int_equal(le32(b), 0);
}

static const uint32_t CLIP_CAPS = 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND |
                                  1u << VD_AGENT_CAP_CLIPBOARD_SELECTION |
                                  1u << VD_AGENT_CAP_MAX_CLIPBOARD;

static void test_clipboard_both_ways(void **st)
{
    char *text = malloc(5001), *got;
    const uint8_t *b;
    uint8_t msg[16];
    uint64_t serial = 0;
    uint32_t len;
    size_t glen;
    int type, pieces;

    (void)st;
    assert_non_null(text);
    for (int i = 0; i < 5000; i++)
        text[i] = (char)('a' + i % 26);
    text[5000] = 0;
    setup_client(4);
    /* offered before the agent came: told once it has */
    assert_int_equal(floe_client_clipboard_offer(T.c, 0, FLOE_CLIENT_CLIP_TEXT, text, 5000), 0);
    drain();
    assert_int_equal(T.len, 0);
    agent_comes(CLIP_CAPS);
    len = want_msg(VD_AGENT_MAX_CLIPBOARD, &b);
    assert_int_equal(len, 4);
    assert_int_equal(le32(b), FLOE_CLIENT_MAX_CLIPBOARD);
    len = want_msg(VD_AGENT_CLIPBOARD_GRAB, &b);
    assert_int_equal(len, 8);   /* the selection, then the one type */
    assert_int_equal(b[0], 0);
    assert_int_equal(le32(b + 4), VD_AGENT_CLIPBOARD_UTF8_TEXT);

    /* asked for: it goes in pieces of at most 2048 bytes, as tokens allow */
    fcli_agent_tokens(T.c, 1, 0);
    memset(msg, 0, sizeof(msg));
    put32(msg + 4, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    from_agent(VD_AGENT_CLIPBOARD_REQUEST, msg, 8, 5);
    pieces = T.pieces;
    assert_int_equal(next_msg(&b, &len), -1);   /* one token: one piece of it */
    assert_int_equal(T.pieces, pieces + 1);
    fcli_agent_tokens(T.c, 10, 0);
    len = want_msg(VD_AGENT_CLIPBOARD, &b);
    assert_int_equal(len, 8 + 5000);
    assert_int_equal(b[0], 0);
    assert_int_equal(le32(b + 4), VD_AGENT_CLIPBOARD_UTF8_TEXT);
    assert_memory_equal(b + 8, text, 5000);
    assert_false(T.big_piece);

    /* the guest copies: the client asks for text, keeps what comes */
    put32(msg + 4, VD_AGENT_CLIPBOARD_IMAGE_PNG);
    put32(msg + 8, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    from_agent(VD_AGENT_CLIPBOARD_GRAB, msg, 12, 7);
    len = want_msg(VD_AGENT_CLIPBOARD_REQUEST, &b);
    assert_int_equal(le32(b + 4), VD_AGENT_CLIPBOARD_UTF8_TEXT);
    {
        uint8_t *clip = malloc(8 + 3000);

        memset(clip, 0, 8);
        put32(clip + 4, VD_AGENT_CLIPBOARD_UTF8_TEXT);
        for (int i = 0; i < 3000; i++)
            clip[8 + i] = (uint8_t)('A' + i % 26);
        assert_true(from_agent(VD_AGENT_CLIPBOARD, clip, 8 + 3000, 2048) &
                    1u << FLOE_CLIENT_EVENT_CLIPBOARD);
        assert_int_equal(floe_client_clipboard_get(T.c, 0, &type, (void **)&got, &glen, &serial),
                         0);
        assert_int_equal(type, FLOE_CLIENT_CLIP_TEXT);
        assert_int_equal(glen, 3000);
        assert_memory_equal(got, clip + 8, 3000);
        assert_int_equal(got[3000], 0);
        assert_int_equal(serial, 1);
        free(got);
        free(clip);
    }
    /* released: gone */
    from_agent(VD_AGENT_CLIPBOARD_RELEASE, msg, 4, 4);
    assert_int_equal(floe_client_clipboard_get(T.c, 0, &type, (void **)&got, &glen, NULL),
                     -ENOENT);
    /* bad offers */
    assert_int_equal(floe_client_clipboard_offer(T.c, 2, FLOE_CLIENT_CLIP_TEXT, "x", 1), -EINVAL);
    assert_int_equal(floe_client_clipboard_offer(T.c, 0, 7, "x", 1), -EINVAL);
    assert_int_equal(floe_client_clipboard_offer(T.c, 0, FLOE_CLIENT_CLIP_TEXT, text,
                                                 (size_t)FLOE_CLIENT_MAX_CLIPBOARD + 1),
                     -EINVAL);
    free(text);
    teardown_client();
}

/* No CLIPBOARD_SELECTION on the agent's side: no prefix either way; no
 * MAX_CLIPBOARD to an agent without it. */
static void test_clipboard_without_selection(void **st)
{
    const uint8_t *b;
    uint8_t msg[8];
    uint32_t len;

    (void)st;
    setup_client(100);
    agent_comes(1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
    assert_int_equal(floe_client_clipboard_offer(T.c, 0, FLOE_CLIENT_CLIP_TEXT, "hello", 5), 0);
    len = want_msg(VD_AGENT_CLIPBOARD_GRAB, &b);   /* not MAX_CLIPBOARD first */
    assert_int_equal(len, 4);
    assert_int_equal(le32(b), VD_AGENT_CLIPBOARD_UTF8_TEXT);
    put32(msg, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    from_agent(VD_AGENT_CLIPBOARD_REQUEST, msg, 4, 1);
    len = want_msg(VD_AGENT_CLIPBOARD, &b);
    assert_int_equal(len, 4 + 5);
    assert_memory_equal(b + 4, "hello", 5);
    teardown_client();
}

static void test_file_transfer(void **st)
{
    char path[] = "/tmp/floe-agent-xfer-XXXXXX";
    int fd = mkstemp(path);
    size_t size = 150000;
    uint8_t *data = malloc(size), *back = calloc(1, size), status[8];
    struct floe_client_file_xfer x;
    const uint8_t *b;
    uint64_t at = 0;
    uint32_t len, id;
    int rc;

    (void)st;
    assert_true(fd >= 0 && data && back);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)(i * 131 + (i >> 9));
    assert_int_equal(write(fd, data, size), (ssize_t)size);
    close(fd);
    setup_client(1000);
    assert_int_equal(floe_client_file_send(T.c, path), -ENOTCONN);   /* no agent yet */
    agent_comes(CLIP_CAPS);
    want_msg(VD_AGENT_MAX_CLIPBOARD, &b);
    rc = floe_client_file_send(T.c, path);
    assert_true(rc > 0);
    id = (uint32_t)rc;
    len = want_msg(VD_AGENT_FILE_XFER_START, &b);
    assert_int_equal(le32(b), id);
    {
        char want[256];

        snprintf(want, sizeof(want), "[vdagent-file-xfer]\nname=%s\nsize=%zu\n",
                 strrchr(path, '/') + 1, size);
        assert_int_equal(len, 4 + strlen(want) + 1);
        assert_string_equal((const char *)b + 4, want);
    }
    /* nothing more until the agent says yes */
    assert_int_equal(next_msg(&b, &len), -1);
    assert_int_equal(floe_client_file_status(T.c, id, &x), 0);
    assert_int_equal(x.state, FLOE_CLIENT_XFER_WAITING);
    put32(status, id);
    put32(status + 4, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    assert_true(from_agent(VD_AGENT_FILE_XFER_STATUS, status, 8, 8) &
                1u << FLOE_CLIENT_EVENT_FILE_XFER);
    while (at < size) {
        uint64_t n;

        len = want_msg(VD_AGENT_FILE_XFER_DATA, &b);
        assert_int_equal(le32(b), id);
        n = le32(b + 4) | (uint64_t)le32(b + 8) << 32;
        assert_int_equal(len, 12 + n);
        assert_true(n > 0 && at + n <= size);
        memcpy(back + at, b + 12, n);
        at += n;
    }
    assert_memory_equal(back, data, size);
    assert_false(T.big_piece);
    assert_int_equal(floe_client_file_status(T.c, id, &x), 0);
    assert_int_equal(x.state, FLOE_CLIENT_XFER_SENDING);
    assert_int_equal(x.sent, size);
    put32(status + 4, VD_AGENT_FILE_XFER_STATUS_SUCCESS);
    from_agent(VD_AGENT_FILE_XFER_STATUS, status, 8, 3);
    assert_int_equal(floe_client_file_status(T.c, id, &x), 0);
    assert_int_equal(x.state, FLOE_CLIENT_XFER_DONE);

    /* another, refused for want of space (the detail says how much) */
    rc = floe_client_file_send(T.c, path);
    assert_true(rc > 0 && (uint32_t)rc != id);
    id = (uint32_t)rc;
    want_msg(VD_AGENT_FILE_XFER_START, &b);
    {
        uint8_t ns[16];

        put32(ns, id);
        put32(ns + 4, VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE);
        put32(ns + 8, 4096);
        put32(ns + 12, 0);
        from_agent(VD_AGENT_FILE_XFER_STATUS, ns, 16, 16);
    }
    assert_int_equal(floe_client_file_status(T.c, id, &x), 0);
    assert_int_equal(x.state, FLOE_CLIENT_XFER_FAILED);
    assert_non_null(strstr(x.error, "4096 bytes free"));

    /* a third, and the agent goes: failed, said why */
    rc = floe_client_file_send(T.c, path);
    assert_true(rc > 0);
    fcli_agent_connected(T.c, 0);
    assert_int_equal(floe_client_file_status(T.c, (uint32_t)rc, &x), 0);
    assert_int_equal(x.state, FLOE_CLIENT_XFER_FAILED);
    assert_non_null(strstr(x.error, "agent"));
    assert_false(floe_client_agent_ready(T.c));
    assert_int_equal(floe_client_file_send(T.c, "/nonexistent/file"), -ENOENT);
    assert_int_equal(floe_client_file_send(T.c, "/tmp"), -EINVAL);
    unlink(path);
    free(data);
    free(back);
    teardown_client();
}

/* Messages of another protocol and ones past the size limit are skipped
 * whole, and the one after each is read. */
static void test_bad_messages_skipped(void **st)
{
    uint8_t grab[8];
    const uint8_t *b;
    uint8_t *huge;
    uint32_t big = FLOE_CLIENT_MAX_CLIPBOARD + 1000;

    (void)st;
    setup_client(100);
    agent_comes(CLIP_CAPS);
    want_msg(VD_AGENT_MAX_CLIPBOARD, &b);
    memset(grab, 0, sizeof(grab));
    put32(grab + 4, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    from_agent_proto(7, VD_AGENT_CLIPBOARD_GRAB, grab, 8, 3);
    huge = calloc(1, big);
    assert_non_null(huge);
    from_agent(VD_AGENT_CLIPBOARD, huge, big, 65536);
    free(huge);
    /* a truncated grab (no types): nothing asked */
    from_agent(VD_AGENT_CLIPBOARD_GRAB, grab, 4, 4);
    from_agent(VD_AGENT_CLIPBOARD_GRAB, grab, 8, 1);
    want_msg(VD_AGENT_CLIPBOARD_REQUEST, &b);
    assert_int_equal(le32(b + 4), VD_AGENT_CLIPBOARD_UTF8_TEXT);
    {
        uint32_t len;

        assert_int_equal(next_msg(&b, &len), -1);
    }
    teardown_client();
}

/* With no_clipboard and no_file_transfer the client offers and takes no
 * clipboard and sends no file. */
static void test_switched_off(void **st)
{
    uint8_t grab[8];
    const uint8_t *b;
    void *got;
    size_t len;
    int type;

    (void)st;
    memset(&T, 0, sizeof(T));
    T.c = floe_client_new(&(struct floe_client_options){ .host = "127.0.0.1", .port = 1,
                                                          .no_clipboard = 1,
                                                          .no_file_transfer = 1 });
    assert_non_null(T.c);
    T.ch = (struct fcli_chan){ .client = T.c, .owner = &owner, .ops = &fcli_main_ops,
                               .type = SPICE_CHANNEL_MAIN, .fd = -1, .mini = 1 };
    floe_wbuf_init(&T.ch.out, 0);
    T.c->chans[FLOE_CHAN_MAIN] = &T.ch;
    fcli_agent_tokens(T.c, 100, 1);
    agent_comes(CLIP_CAPS);
    want_msg(VD_AGENT_MAX_CLIPBOARD, &b);
    assert_int_equal(floe_client_clipboard_offer(T.c, 0, FLOE_CLIENT_CLIP_TEXT, "x", 1), -EPERM);
    assert_int_equal(floe_client_file_send(T.c, "/etc/hostname"), -EPERM);
    memset(grab, 0, sizeof(grab));
    put32(grab + 4, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    from_agent(VD_AGENT_CLIPBOARD_GRAB, grab, 8, 8);
    {
        uint32_t n;

        assert_int_equal(next_msg(&b, &n), -1);   /* nothing asked for */
    }
    assert_int_equal(floe_client_clipboard_get(T.c, 0, &type, &got, &len, NULL), -ENOENT);
    teardown_client();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clipboard_both_ways),
        cmocka_unit_test(test_clipboard_without_selection),
        cmocka_unit_test(test_file_transfer),
        cmocka_unit_test(test_bad_messages_skipped),
        cmocka_unit_test(test_switched_off),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
