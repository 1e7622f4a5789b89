/* floe-viewer --measure-latency: once the picture is up, N times: wait for
 * the picture to be still, press and release a key, and time how long until
 * a pixel of the canvas differs from the still picture. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "programs/floe-viewer/keymap.h"
#include "programs/floe-viewer/viewer.h"
#include "common/log.h"

#define QUIET_MS 300          /* a still picture: no changed pixel for this long */
#define QUIET_MAX_MS 3000     /* then the key goes anyway */
#define SAMPLE_TIMEOUT_MS 10000

struct still {
    uint32_t *pixels;         /* copy of the canvas, packed rows */
    int width, height;
    uint64_t serial;
};

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Takes a copy of the canvas into *s. 0, -ENOENT without a surface, -ENOMEM. */
static int still_take(struct floe_client *c, struct still *s)
{
    struct floe_client_canvas cv;
    int rc = floe_client_canvas_lock(c, &cv);

    if (rc == 0 && (cv.width != s->width || cv.height != s->height || !s->pixels)) {
        free(s->pixels);
        s->pixels = malloc((size_t)cv.width * cv.height * 4);
        s->width = s->pixels ? cv.width : 0;
        s->height = s->pixels ? cv.height : 0;
        if (!s->pixels)
            rc = -ENOMEM;
    }
    if (rc == 0) {
        for (int y = 0; y < cv.height; y++)
            memcpy(s->pixels + (size_t)y * cv.width,
                   (const char *)cv.pixels + (size_t)y * cv.stride, (size_t)cv.width * 4);
        s->serial = cv.serial;
    }
    floe_client_canvas_unlock(c);
    return rc;
}

/* 1 when a pixel of the canvas differs from *s (only the damage since the
 * last look is compared; a new or resized surface counts as a change). */
static int canvas_changed(struct floe_client *c, const struct still *s)
{
    struct floe_client_canvas cv;
    int changed = 0;

    if (floe_client_canvas_lock(c, &cv)) {
        floe_client_canvas_unlock(c);
        return 1;
    }
    if (cv.serial != s->serial || cv.width != s->width || cv.height != s->height) {
        changed = 1;
    } else if (cv.damage_w > 0) {
        for (int y = cv.damage_y; y < cv.damage_y + cv.damage_h && !changed; y++) {
            const uint32_t *a = (const uint32_t *)((const char *)cv.pixels +
                                                   (size_t)y * cv.stride) + cv.damage_x;
            const uint32_t *b = s->pixels + (size_t)y * s->width + cv.damage_x;

            for (int x = 0; x < cv.damage_w; x++) /* the x byte is padding */
                if ((a[x] ^ b[x]) & 0xffffff) {
                    changed = 1;
                    break;
                }
        }
    }
    floe_client_canvas_unlock(c);
    return changed;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Waits until the picture has not changed for QUIET_MS (at most
 * QUIET_MAX_MS), then leaves the still picture in *s. -1 when the session
 * ends, the deadline passes or stop_fn says so. */
static int wait_still(struct floe_client *c, struct still *s, int64_t deadline_ms,
                      int (*stop_fn)(void))
{
    int64_t start = viewer_now_ms(), quiet_since = start;

    if (still_take(c, s))
        return -1;
    for (;;) {
        int64_t now = viewer_now_ms();

        if (!floe_client_is_connected(c) || stop_fn() || now >= deadline_ms)
            return -1;
        if (canvas_changed(c, s)) {
            if (still_take(c, s))
                return -1;
            quiet_since = now;
        }
        if (now - quiet_since >= QUIET_MS || now - start >= QUIET_MAX_MS)
            return 0;
        usleep(5000);
    }
}

int viewer_measure_latency(struct floe_client *c, int count, int64_t deadline_ms,
                           int (*stop_fn)(void))
{
    static const char keys[] = "abcdefgh";
    struct floe_client_stats st;
    struct still s = { 0 };
    double *ms = calloc((size_t)count, sizeof(*ms));
    int n = 0, shift;

    if (!ms)
        return -1;
    /* the picture is up: the server marked it complete and keys can go */
    for (;;) {
        floe_client_get_stats(c, &st);
        if (floe_client_inputs_ready(c) && st.marks > 0)
            break;
        if (!floe_client_is_connected(c) || stop_fn() ||
            viewer_now_ms() >= deadline_ms)
            goto out;
        usleep(10000);
    }
    while (n < count) {
        uint32_t sc = floe_keymap_ascii_to_xt((unsigned char)keys[n % 8], &shift);
        int64_t t0, t1;

        if (wait_still(c, &s, deadline_ms, stop_fn))
            break;
        t0 = now_us();
        floe_client_key(c, sc, 1);
        floe_client_key(c, sc, 0);
        while (!canvas_changed(c, &s)) {
            if (!floe_client_is_connected(c) || stop_fn() ||
                viewer_now_ms() >= deadline_ms)
                goto out;
            if (now_us() - t0 > SAMPLE_TIMEOUT_MS * 1000LL) {
                floe_warn("no change of the picture within %d s of key '%c'",
                          SAMPLE_TIMEOUT_MS / 1000, keys[n % 8]);
                goto out;
            }
            usleep(500);
        }
        t1 = now_us();
        ms[n++] = (t1 - t0) / 1000.0;
    }
out:
    if (n > 0) {
        qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
        printf("latency_ms min=%.1f median=%.1f max=%.1f n=%d\n", ms[0],
               n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2, ms[n - 1], n);
    } else {
        printf("latency_ms min=0 median=0 max=0 n=0\n");
    }
    fflush(stdout);
    free(ms);
    free(s.pixels);
    return n == count ? 0 : -1;
}
