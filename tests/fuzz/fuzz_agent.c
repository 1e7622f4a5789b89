/* libFuzzer target for floe-agent's core (guest-agent/): the bytes of the
 * agent port as the host sends them. Input: a byte giving the piece size the
 * stream is fed in, a byte of switches (the guest copies first, pastes at
 * the end, a 4 KiB message limit, else 1 MiB), then the stream. Files go to a scratch
 * folder emptied after each input. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-agent/agent.h"
#include "protocol/spice/enums.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

/* what the core writes must be whole chunks: checked here */
static int out(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    if (n < 28 || (size_t)(p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24) != n - 8)
        abort();
    return 0;
}

static void clip(void *ctx, unsigned sel, uint32_t type, const uint8_t *d, size_t n)
{
    (void)ctx; (void)sel; (void)type;
    if (d && n)
        (void)(volatile uint8_t)d[n - 1];
}

static void empty_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct floe_agent_ops ops = { .write_fn = out, .clip_fn = clip };
    struct floe_agent *a;
    const uint8_t *p;
    size_t piece, n;

    if (size < 2)
        return 0;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/floe-fuzz-agent.XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    piece = data[0] ? data[0] : size;
    unsigned sw = data[1];
    data += 2, size -= 2;
    if (!(a = floe_agent_new(&ops, NULL, dir)))
        return 0;
    floe_agent_set_limit(a, sw & 4 ? 4096 : 1 << 20);
    floe_agent_start(a);
    for (size_t off = 0; off < size; off += n) {
        n = size - off < piece ? size - off : piece;
        /* an exact-size copy: ASan flags a read past the piece */
        uint8_t *chunk = malloc(n);
        memcpy(chunk, data + off, n);
        int rc = floe_agent_feed(a, chunk, n);
        free(chunk);
        if (rc < 0)
            floe_agent_start(a);   /* as the program does: the port reopened */
        if (off == 0 && (sw & 1))
            floe_agent_clip_set(a, sw >> 7, VD_AGENT_CLIPBOARD_UTF8_TEXT, data, size < 64 ? size : 64);
    }
    if (sw & 2)
        floe_agent_clip_get(a, (sw >> 6) & 1, VD_AGENT_CLIPBOARD_UTF8_TEXT, &p, &n);
    floe_agent_free(a);
    empty_dir();
    return 0;
}
