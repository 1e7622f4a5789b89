/* Loading the codec corpus (tests/corpus/build.sh) for the round-trip test
 * and the codec bench: every PNG of a folder, by name, as floe pictures. */
#ifndef FLOE_TESTS_CORPUS_H
#define FLOE_TESTS_CORPUS_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/png.h"

struct corpus_pic {
    char name[256];
    uint32_t *px;      /* width * height words, packed: 0xAARRGGBB, or xRGB with x = 0 */
    int width, height;
    bool alpha;        /* some pixel is not opaque */
};

#define CORPUS_MAX_PIXELS (1L << 24)

static inline int corpus_png_only(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return n > 4 && !strcmp(d->d_name + n - 4, ".png");
}

/* Reads one PNG; opaque pictures get the xRGB form (top byte 0). */
static inline int corpus_pic_read(const char *path, const char *name, struct corpus_pic *p)
{
    size_t n;
    int ret;

    memset(p, 0, sizeof(*p));
    ret = floe_png_read(path, &p->px, &p->width, &p->height, CORPUS_MAX_PIXELS);
    if (ret < 0)
        return ret;
    snprintf(p->name, sizeof(p->name), "%s", name);
    n = (size_t)p->width * (size_t)p->height;
    for (size_t i = 0; i < n && !p->alpha; i++)
        p->alpha = (p->px[i] >> 24) != 0xff;
    if (!p->alpha)
        for (size_t i = 0; i < n; i++)
            p->px[i] &= 0x00ffffff;
    return 0;
}

static inline void corpus_free(struct corpus_pic *pics, int n)
{
    for (int i = 0; i < n; i++)
        free(pics[i].px);
    free(pics);
}

/* Every *.png in dir, sorted by name, into a new array (corpus_free it).
 * 0 or -errno; an empty folder is -ENOENT. */
static inline int corpus_load(const char *dir, struct corpus_pic **out, int *count)
{
    struct dirent **names = NULL;
    struct corpus_pic *pics;
    char path[4096];
    int n, ret = 0, done = 0;

    n = scandir(dir, &names, corpus_png_only, alphasort);
    if (n < 0)
        return -errno;
    pics = calloc(n ? (size_t)n : 1, sizeof(*pics));
    if (!pics)
        ret = -ENOMEM;
    for (int i = 0; i < n; i++) {
        if (!ret) {
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            ret = corpus_pic_read(path, names[i]->d_name, &pics[i]);
            if (ret < 0)
                fprintf(stderr, "corpus: %s: %s\n", path, strerror(-ret));
            else
                done++;
        }
        free(names[i]);
    }
    free(names);
    if (!ret && n == 0)
        ret = -ENOENT;
    if (ret < 0) {
        corpus_free(pics, done);
        return ret;
    }
    *out = pics;
    *count = n;
    return 0;
}

#endif
