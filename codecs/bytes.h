/* The growable byte buffer every encoder appends its payload to. It knows
 * nothing of codecs, so each codec and the registry can use it. */
#ifndef FLOE_CODECS_BYTES_H
#define FLOE_CODECS_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* A growable byte buffer encoders append to. Zero-initialise before use. */
struct floe_bytes {
    uint8_t *data;
    size_t len, cap;
};

/* Makes room for `more` bytes after len: 0 or -ENOMEM. */
int floe_bytes_reserve(struct floe_bytes *b, size_t more);
int floe_bytes_append(struct floe_bytes *b, const void *p, size_t n);
void floe_bytes_free(struct floe_bytes *b);

#pragma GCC visibility pop

#endif
