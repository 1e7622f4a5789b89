/* For the decoder fuzz targets: the message body being decoded, and a
 * check that whatever a decoder points at lies inside it (read whole, so
 * the sanitizers see every byte). */
#ifndef FLOE_FUZZ_BODY_TOUCH_H
#define FLOE_FUZZ_BODY_TOUCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static volatile uint32_t sink;
static const uint8_t *body;
static size_t body_len;

/* Reads [p, p+n) after checking it lies inside the body. */
static void touch(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;

    if (n == 0)
        return;
    if (!p || p < body || n > body_len || (size_t)(p - body) > body_len - n)
        abort();
    for (size_t i = 0; i < n; i++)
        sum = sum * 31 + p[i];
    sink += sum;
}

#endif
