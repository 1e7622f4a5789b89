/* Helpers every unit test program shares; include after <cmocka.h>. */
#ifndef FLOE_TEST_UTIL_H
#define FLOE_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An exact-size heap copy, so ASan flags any read past `n`. */
static inline uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1); /* for 0, ASan still poisons the byte */

    assert_non_null(d);
    if (n)
        memcpy(d, p, n);
    return d;
}

#endif
