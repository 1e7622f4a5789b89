/* qxl_host's guest agent: QEMU's spicevmc "vdagent" char device played on
 * the host's main loop, with a small VDAgent on its other end (where the
 * guest's agent would be), so a library's agent relay can be tried without
 * a guest. It announces CLIPBOARD_BY_DEMAND; a client's GRAB gets a
 * REQUEST for text and the CLIPBOARD that comes is printed ("agent
 * clipboard N: TEXT"); its own text is grabbed once the client's clipboard
 * came (or 2 s after the client's capabilities) and served when asked.
 * Like QEMU's chardev it takes at most AGENT_TAKE bytes per loop turn
 * (write then says 0 and the library must try again on the wakeup that
 * follows), and hands over what the agent wrote through read, a wakeup
 * at a time. A monitors config reaching the agent is printed too. Every sif call must come on the main loop's thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/e2e/qxl_host/agent.h"

#define AGENT_TAKE 1000      /* bytes the "guest" takes per loop turn */
#define AGENT_PIECE 2048     /* VD_AGENT_MAX_DATA_SIZE: data per chunk */

static struct {
    const struct host_spice_api *api;
    SpiceCharDeviceInstance sin;
    pthread_t main_thread;
    const char *text;
    int connected;           /* the library said the client side is there */
    size_t budget;           /* bytes write may still take this turn */
    int refused;             /* write took less than offered */
    /* from the library: port 1's bytes, reassembled */
    uint8_t *in;
    size_t in_len, in_cap;
    uint8_t chead[8];
    size_t chead_len;
    uint32_t chunk_port, chunk_left;
    /* to the library */
    uint8_t *out;
    size_t out_len, out_pos, out_cap;
    /* the clipboard */
    int client_caps;         /* the client announced its capabilities */
    int64_t grab_at;         /* when to grab our text (0: done or not yet due) */
    int grabbed;
} A;

static void on_main_thread(const char *what)
{
    if (!pthread_equal(pthread_self(), A.main_thread)) {
        host_say("agent: %s called off the main loop's thread", what);
        abort();
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    *cap = need * 2;
    *buf = realloc(*buf, *cap);
    if (!*buf)
        host_die("qxl_host", "out of memory");
}

/* A message to the client (port 1), in chunks of at most AGENT_PIECE. */
static void agent_send(uint32_t type, const uint8_t *body, uint32_t len)
{
    uint8_t *msg = malloc(20 + (size_t)len);
    size_t total = 20 + (size_t)len;

    if (!msg)
        host_die("qxl_host", "out of memory");
    put32(msg, VD_AGENT_PROTOCOL);
    put32(msg + 4, type);
    memset(msg + 8, 0, 8);
    put32(msg + 16, len);
    if (len)
        memcpy(msg + 20, body, len);
    for (size_t off = 0; off < total;) {
        size_t n = total - off < AGENT_PIECE ? total - off : AGENT_PIECE;
        grow(&A.out, &A.out_cap, A.out_len + 8 + n);
        put32(A.out + A.out_len, VDP_CLIENT_PORT);
        put32(A.out + A.out_len + 4, (uint32_t)n);
        memcpy(A.out + A.out_len + 8, msg + off, n);
        A.out_len += 8 + n;
        off += n;
    }
    free(msg);
}

static void announce(int request)
{
    uint8_t b[8];

    put32(b, (uint32_t)request);
    put32(b + 4, 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
    agent_send(VD_AGENT_ANNOUNCE_CAPABILITIES, b, sizeof(b));
}

static void grab(void)
{
    uint8_t b[4];

    A.grabbed = 1;
    A.grab_at = 0;
    put32(b, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    agent_send(VD_AGENT_CLIPBOARD_GRAB, b, sizeof(b));
    host_say("agent grabbed %zu bytes", strlen(A.text));
}

static void on_message(uint32_t type, const uint8_t *body, uint32_t len)
{
    uint8_t b[4];

    switch (type) {
    case VD_AGENT_ANNOUNCE_CAPABILITIES:
        host_say("agent: the client announced its capabilities");
        if (len >= 4 && get32(body))
            announce(0);
        /* a new client: our text is offered again */
        if (!A.client_caps || get32(body))
            A.grabbed = 0;
        A.client_caps = 1;
        if (!A.grabbed && !A.grab_at)
            A.grab_at = host_now_ms() + 2000;
        break;
    case VD_AGENT_CLIPBOARD_GRAB:
        host_say("agent: the client grabbed the clipboard");
        put32(b, VD_AGENT_CLIPBOARD_UTF8_TEXT);
        agent_send(VD_AGENT_CLIPBOARD_REQUEST, b, sizeof(b));
        break;
    case VD_AGENT_CLIPBOARD:
        if (len < 4)
            break;
        printf("agent clipboard %u: %.*s\n", len - 4, (int)(len - 4), (const char *)body + 4);
        fflush(stdout);
        if (!A.grabbed)
            A.grab_at = host_now_ms();
        break;
    case VD_AGENT_CLIPBOARD_REQUEST:
        if (len < 4 || get32(body) != VD_AGENT_CLIPBOARD_UTF8_TEXT || !A.grabbed)
            break;
        {
            size_t n = strlen(A.text);
            uint8_t *d = malloc(4 + n);
            if (!d)
                host_die("qxl_host", "out of memory");
            put32(d, VD_AGENT_CLIPBOARD_UTF8_TEXT);
            memcpy(d + 4, A.text, n);
            agent_send(VD_AGENT_CLIPBOARD, d, (uint32_t)(4 + n));
            free(d);
            host_say("agent served %zu bytes", n);
        }
        break;
    case VD_AGENT_MONITORS_CONFIG:
        host_say("agent: a monitors config came");
        break;
    default:
        break;
    }
}

/* Port 1's bytes: whole messages handled, the rest kept. */
static void parse_in(void)
{
    size_t off = 0;

    while (A.in_len - off >= 20) {
        uint32_t size = get32(A.in + off + 16);
        if (A.in_len - off - 20 < size)
            break;
        on_message(get32(A.in + off + 4), A.in + off + 20, size);
        off += 20 + (size_t)size;
    }
    if (off) {
        memmove(A.in, A.in + off, A.in_len - off);
        A.in_len -= off;
    }
}

/* ---- the char device's interface ---- */

static int vmc_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
    int took = 0;

    on_main_thread("write");
    while (took < len && A.budget) {
        if (A.chead_len < 8) {
            A.chead[A.chead_len++] = buf[took++];
            A.budget--;
            if (A.chead_len == 8) {
                A.chunk_port = get32(A.chead);
                A.chunk_left = get32(A.chead + 4);
                A.chead_len = A.chunk_left ? 8 : 0;
            }
            continue;
        }
        size_t n = (size_t)(len - took);
        if (n > A.chunk_left)
            n = A.chunk_left;
        if (n > A.budget)
            n = A.budget;
        if (A.chunk_port == VDP_CLIENT_PORT) {
            grow(&A.in, &A.in_cap, A.in_len + n);
            memcpy(A.in + A.in_len, buf + took, n);
            A.in_len += n;
        }
        took += (int)n;
        A.budget -= n;
        A.chunk_left -= (uint32_t)n;
        if (A.chunk_left == 0)
            A.chead_len = 0;
    }
    if (took < len)
        A.refused = 1;
    parse_in();
    return took;
}

static int vmc_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
    size_t n = A.out_len - A.out_pos;

    on_main_thread("read");
    if (n > (size_t)len)
        n = (size_t)len;
    if (n == 0)
        return 0;
    memcpy(buf, A.out + A.out_pos, n);
    A.out_pos += n;
    if (A.out_pos == A.out_len)
        A.out_pos = A.out_len = 0;
    return (int)n;
}

static void vmc_state(SpiceCharDeviceInstance *sin, int connected)
{
    on_main_thread("state");
    if (A.connected != connected)
        host_say("agent: the library says the client side is %s",
                 connected ? "connected" : "gone");
    A.connected = connected;
}

static SpiceCharDeviceInterface vmc_interface = {
    .base.type = SPICE_INTERFACE_CHAR_DEVICE,
    .base.description = "qxl_host vdagent",
    .base.major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
    .base.minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR,
    .state = vmc_state,
    .write = vmc_write,
    .read = vmc_read,
};

void agent_start(const struct host_spice_api *api, SpiceServer *server, const char *text)
{
    A.api = api;
    A.text = text;
    A.main_thread = pthread_self();
    A.budget = AGENT_TAKE;
    A.sin.base.sif = &vmc_interface.base;
    A.sin.subtype = "vdagent";
    if (api->spice_server_add_interface(server, &A.sin.base) != 0)
        host_die("qxl_host", "the library refused the vdagent char device");
    host_say("agent: port opened");
    announce(1);
    api->spice_server_char_device_wakeup(&A.sin);
}

void agent_turn(void)
{
    int wake;

    A.budget = AGENT_TAKE;
    if (A.grab_at && host_now_ms() >= A.grab_at && !A.grabbed)
        grab();
    /* QEMU wakes the library when the guest wrote, and when it can take
     * bytes again after a short write */
    wake = A.refused || A.out_len > A.out_pos;
    A.refused = 0;
    if (wake)
        A.api->spice_server_char_device_wakeup(&A.sin);
}
