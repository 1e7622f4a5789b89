/* Surfaces: pixman images of the formats SPICE names (draw messages are
 * drawn on them by draw.c). */
#include "client/display.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* No legitimate coordinate is this far outside a surface of at most
 * FLOE_CLIENT_MAX_SIDE pixels; it also keeps pixman's 16.16 maths safe. */
#define COORD_LIMIT 65536

/* Each format kept as its own pixels, as the reference client keeps them,
 * so that a draw on a 16-bit or A8 surface loses what it loses there. No
 * draw renders into a 1-bit surface: it is kept as ARGB. */
static pixman_format_code_t format_for(uint32_t spice_format)
{
    switch (spice_format) {
    case SPICE_SURFACE_FMT_32_xRGB:
        return PIXMAN_x8r8g8b8;
    case SPICE_SURFACE_FMT_16_555:
        return PIXMAN_x1r5g5b5;
    case SPICE_SURFACE_FMT_16_565:
        return PIXMAN_r5g6b5;
    case SPICE_SURFACE_FMT_8_A:
        return PIXMAN_a8;
    case SPICE_SURFACE_FMT_32_ARGB:
    case SPICE_SURFACE_FMT_1_A:
        return PIXMAN_a8r8g8b8;
    default:
        return 0;
    }
}

struct fcli_surface *fcli_surface_new(uint32_t id, uint32_t width, uint32_t height,
                                      uint32_t format, uint32_t flags, int *err)
{
    pixman_format_code_t pf = format_for(format);
    struct fcli_surface *s;

    *err = -EBADMSG;
    if (!pf || width == 0 || height == 0 || width > FLOE_CLIENT_MAX_SIDE ||
        height > FLOE_CLIENT_MAX_SIDE || (uint64_t)width * height > FLOE_CLIENT_MAX_PIXELS)
        return NULL;
    *err = -ENOMEM;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->image = pixman_image_create_bits(pf, (int)width, (int)height, NULL, 0);
    if (!s->image) {
        free(s);
        return NULL;
    }
    s->id = id;
    s->width = (int)width;
    s->height = (int)height;
    s->format = format;
    s->primary = (flags & SPICE_SURFACE_FLAG_PRIMARY) != 0;
    *err = 0;
    return s;
}

void fcli_surface_free(struct fcli_surface *s)
{
    if (!s)
        return;
    pixman_image_unref(s->image);
    if (s->shown)
        pixman_image_unref(s->shown);
    free(s);
}

pixman_image_t *fcli_surface_shown(struct fcli_surface *s, pixman_region32_t *changed)
{
    pixman_format_code_t f = pixman_image_get_format(s->image);

    if (f == PIXMAN_x8r8g8b8 || f == PIXMAN_a8r8g8b8)
        return s->image;
    if (!s->shown) {
        s->shown = pixman_image_create_bits(PIXMAN_x8r8g8b8, s->width, s->height, NULL, 0);
        if (!s->shown)
            return NULL;
        changed = NULL;
    }
    pixman_image_set_clip_region32(s->shown, changed);
    pixman_image_composite32(PIXMAN_OP_SRC, s->image, NULL, s->shown, 0, 0, 0, 0, 0, 0,
                             s->width, s->height);
    pixman_image_set_clip_region32(s->shown, NULL);
    return s->shown;
}

void fcli_canvas_clear(struct fcli_surface *s)
{
    memset(pixman_image_get_data(s->image), 0,
           (size_t)pixman_image_get_stride(s->image) * s->height);
}
