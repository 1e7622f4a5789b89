/* The byte buffer encoders write into: grows by doubling, from 4 KiB. It
 * depends on nothing else in codecs/. */
#include "codecs/bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int floe_bytes_reserve(struct floe_bytes *b, size_t more)
{
    size_t cap = b->cap ? b->cap : 4096;
    uint8_t *p;

    if (more <= b->cap - b->len)
        return 0;
    if (more > SIZE_MAX / 2 - b->len)
        return -ENOMEM;
    while (cap - b->len < more)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int floe_bytes_append(struct floe_bytes *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (floe_bytes_reserve(b, n))
        return -ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void floe_bytes_free(struct floe_bytes *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}
