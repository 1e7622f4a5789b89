/* The codec registry: a list of the tables the codecs export. Codecs never
 * call into it; what they share lives in codecs/bytes.c. */
#include "codecs/codec.h"

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
