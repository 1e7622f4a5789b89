/* The codec registry and the byte buffer encoders write into. */
#include "codecs/codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/glz.h"
#include "codecs/jpeg.h"
#include "codecs/lz.h"
#include "codecs/lz4.h"
#include "codecs/quic.h"
#include "codecs/zlib_glz.h"

const struct floe_codec *const floe_codecs[] = {
    &floe_codec_quic,
    &floe_codec_lz,
    &floe_codec_lz_plt,
    &floe_codec_lz4,
    &floe_codec_glz,
    &floe_codec_zlib_glz,
    &floe_codec_jpeg,
    &floe_codec_jpeg_alpha,
    NULL,
};

const struct floe_codec *floe_codec_by_name(const char *name)
{
    for (int i = 0; floe_codecs[i]; i++)
        if (!strcmp(floe_codecs[i]->name, name))
            return floe_codecs[i];
    return NULL;
}

const struct floe_codec *floe_codec_by_type(uint8_t type)
{
    for (int i = 0; floe_codecs[i]; i++)
        if (floe_codecs[i]->type == type)
            return floe_codecs[i];
    return NULL;
}

int floe_codec_state_slot(const struct floe_codec *codec)
{
    for (int i = 0; floe_codecs[i]; i++) {
        if (floe_codecs[i] == codec)
            return i;
        if (codec->state_group && floe_codecs[i]->state_group &&
            !strcmp(codec->state_group, floe_codecs[i]->state_group))
            return i;
    }
    return -1;
}

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
