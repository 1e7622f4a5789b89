/* The MJPEG bench's film (bench/mjpeg.sh): the demo's video workload, a
 * camera moving over its photographic scene with film grain, written as a
 * file qxl_host's film scenario plays and mjpeg-score reads back.
 *
 *   film-make FILE W H N FPS [SEED]
 *
 * The file: a line "floe-film W H N FPS", then N frames of W x H xRGB
 * words (host order), rows top first. The same arguments give the same
 * bytes. */
#include <stdio.h>
#include <stdlib.h>

#include "demo/demo-priv.h"

int main(int argc, char **argv)
{
    int w, h, n, fps;
    uint32_t seed;
    struct floe_demo_video *v;
    uint32_t *px;
    FILE *f;

    if (argc < 6 || argc > 7) {
        fprintf(stderr, "usage: film-make FILE W H N FPS [SEED]\n");
        return 2;
    }
    w = atoi(argv[2]);
    h = atoi(argv[3]);
    n = atoi(argv[4]);
    fps = atoi(argv[5]);
    seed = argc == 7 ? (uint32_t)strtoul(argv[6], NULL, 0) : 1;
    if (w < 96 || h < 96 || w > 4096 || h > 4096 || n < 1 || fps < 1) {
        fprintf(stderr, "film-make: bad size, count or pace\n");
        return 2;
    }
    v = floe_demo_video_new(seed, w, h);
    px = malloc((size_t)w * h * 4);
    f = fopen(argv[1], "wb");
    if (!v || !px || !f) {
        fprintf(stderr, "film-make: cannot write %s\n", argv[1]);
        return 1;
    }
    fprintf(f, "floe-film %d %d %d %d\n", w, h, n, fps);
    for (int t = 0; t < n; t++) {
        floe_demo_video_render(v, (uint64_t)t, &(struct floe_demo_canvas){ px, w, h, w });
        if (fwrite(px, (size_t)w * 4, (size_t)h, f) != (size_t)h) {
            fprintf(stderr, "film-make: cannot write %s\n", argv[1]);
            return 1;
        }
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "film-make: cannot write %s\n", argv[1]);
        return 1;
    }
    floe_demo_video_free(v);
    free(px);
    return 0;
}
