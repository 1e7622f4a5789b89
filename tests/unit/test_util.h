/* Helpers every unit test program shares; include after <cmocka.h>. */
#ifndef FLOE_TEST_UTIL_H
#define FLOE_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/png.h"

/* An exact-size heap copy, so ASan flags any read past `n`. */
static inline uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1); /* for 0, ASan still poisons the byte */

    assert_non_null(d);
    if (n)
        memcpy(d, p, n);
    return d;
}

/* A whole (non-empty) file in a new buffer of exactly its size. */
static inline uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A PNG that must be w x h, as 0xAARRGGBB pixels (free() them). */
static inline uint32_t *read_png(const char *path, int w, int h)
{
    uint32_t *px;
    int pw, ph;

    assert_int_equal(floe_png_read(path, &px, &pw, &ph, 1L << 20), 0);
    assert_int_equal(pw, w);
    assert_int_equal(ph, h);
    return px;
}

#endif
