/* floe-viewer's clock, the wait for the picture, and its --type key
 * sender, shared by the headless loop, the SDL window, the latency probe
 * and the pointer script; it calls none of them. */
#include <time.h>

#include "programs/floe-viewer/keymap.h"
#include "programs/floe-viewer/viewer.h"
#include "common/log.h"

int64_t viewer_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int viewer_wait_up(int64_t *up_ms, int64_t delay_ms, struct floe_client *c, int64_t now)
{
    struct floe_client_stats st;

    floe_client_get_stats(c, &st);
    if (!floe_client_inputs_ready(c) || st.marks == 0)
        return 20;
    if (!*up_ms)
        *up_ms = now;
    if (now < *up_ms + delay_ms)
        return (int)(*up_ms + delay_ms - now);
    return 0;
}

int viewer_typer_step(struct viewer_typer *t, struct floe_client *c, int64_t now)
{
    uint32_t sc;
    int shift, wait;

    if (!t->text || !t->text[t->pos])
        return -1;
    if ((wait = viewer_wait_up(&t->up_ms, t->delay_ms, c, now)) > 0)
        return wait;
    if (now < t->next_ms)
        return (int)(t->next_ms - now);
    sc = floe_keymap_ascii_to_xt((unsigned char)t->text[t->pos], &shift);
    if (!sc) {
        floe_warn("cannot type character 0x%02x, skipped", (unsigned char)t->text[t->pos]);
        t->pos++;
        return 0;
    }
    if (t->phase == 0) {
        if (shift)
            floe_client_key(c, FLOE_XT_LSHIFT, 1);
        floe_client_key(c, sc, 1);
        t->phase = 1;
        t->next_ms = now + 20;
    } else {
        floe_client_key(c, sc, 0);
        if (shift)
            floe_client_key(c, FLOE_XT_LSHIFT, 0);
        t->phase = 0;
        t->pos++;
        t->next_ms = now + 30;
    }
    return (int)(t->next_ms - now);
}
