/* Surfaces and the drawing primitives behind DRAW_FILL, COPY_BITS and
 * DRAW_COPY, on pixman images; every rectangle is clipped to its surface. */
#include "client/display.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* No legitimate coordinate is this far outside a surface of at most
 * FLOE_CLIENT_MAX_SIDE pixels; it also keeps pixman's 16.16 maths safe. */
#define COORD_LIMIT 65536

static pixman_format_code_t format_for(uint32_t spice_format)
{
    switch (spice_format) {
    case SPICE_SURFACE_FMT_32_xRGB:
    case 16:  /* 16_555: kept as 32-bit pixels */
    case 80:  /* 16_565 */
        return PIXMAN_x8r8g8b8;
    case SPICE_SURFACE_FMT_32_ARGB:
    case 8:   /* 8_A */
    case 1:   /* 1_A */
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
    free(s);
}

static int rect_sane(const struct spice_rect *r)
{
    return r->left <= r->right && r->top <= r->bottom && r->left >= -COORD_LIMIT &&
           r->top >= -COORD_LIMIT && r->right <= COORD_LIMIT && r->bottom <= COORD_LIMIT;
}

/* r clamped to the surface, as a pixman box (possibly empty). */
static pixman_box32_t clamp_box(const struct fcli_surface *s, const struct spice_rect *r)
{
    pixman_box32_t b = { r->left, r->top, r->right, r->bottom };

    b.x1 = b.x1 < 0 ? 0 : b.x1 > s->width ? s->width : b.x1;
    b.x2 = b.x2 < b.x1 ? b.x1 : b.x2 > s->width ? s->width : b.x2;
    b.y1 = b.y1 < 0 ? 0 : b.y1 > s->height ? s->height : b.y1;
    b.y2 = b.y2 < b.y1 ? b.y1 : b.y2 > s->height ? s->height : b.y2;
    return b;
}

static int clip_region(const struct fcli_surface *s, const struct spice_clip *clip,
                       pixman_region32_t *out)
{
    pixman_box32_t *boxes;
    uint32_t n = 0;

    boxes = malloc(((size_t)clip->num_rects + 1) * sizeof(*boxes));
    if (!boxes)
        return -ENOMEM;
    for (uint32_t i = 0; i < clip->num_rects; i++) {
        struct spice_rect r;

        spice_clip_rect(clip, i, &r);
        if (!rect_sane(&r)) {
            free(boxes);
            return -EBADMSG;
        }
        boxes[n] = clamp_box(s, &r);
        if (boxes[n].x1 < boxes[n].x2 && boxes[n].y1 < boxes[n].y2)
            n++;
    }
    pixman_region32_init_rects(out, boxes, (int)n);
    free(boxes);
    return 0;
}

int fcli_canvas_region(const struct fcli_surface *s, const struct spice_display_base *b,
                       pixman_region32_t *out)
{
    pixman_box32_t box;
    pixman_region32_t clip;
    int rc;

    pixman_region32_init(out);
    if (!rect_sane(&b->box))
        return -EBADMSG;
    box = clamp_box(s, &b->box);
    if (box.x1 >= box.x2 || box.y1 >= box.y2)
        return 0; /* nothing of it is on the surface: out stays empty */
    pixman_region32_reset(out, &box);
    if (b->clip.type != SPICE_CLIP_RECTS)
        return 0;
    rc = clip_region(s, &b->clip, &clip);
    if (rc)
        return rc;
    pixman_region32_intersect(out, out, &clip);
    pixman_region32_fini(&clip);
    return 0;
}

void fcli_canvas_fill(struct fcli_surface *s, pixman_region32_t *rgn, uint32_t color)
{
    int n;
    pixman_box32_t *b = pixman_region32_rectangles(rgn, &n);
    uint32_t *bits = pixman_image_get_data(s->image);
    int stride = pixman_image_get_stride(s->image) / 4;

    for (int i = 0; i < n; i++)
        pixman_fill(bits, stride, 32, b[i].x1, b[i].y1, b[i].x2 - b[i].x1, b[i].y2 - b[i].y1,
                    color);
}

void fcli_canvas_copy_bits(struct fcli_surface *s, pixman_region32_t *rgn, int dx, int dy)
{
    pixman_region32_t src_ok;
    pixman_box32_t *e;
    pixman_image_t *tmp;

    /* keep only destinations whose source lies on the surface */
    pixman_region32_init_rect(&src_ok, dx, dy, (unsigned)s->width, (unsigned)s->height);
    pixman_region32_intersect(rgn, rgn, &src_ok);
    pixman_region32_fini(&src_ok);
    if (!pixman_region32_not_empty(rgn) || (dx == 0 && dy == 0))
        return;
    e = pixman_region32_extents(rgn);
    /* a temporary makes overlapping moves safe in every direction */
    tmp = pixman_image_create_bits(pixman_image_get_format(s->image), e->x2 - e->x1,
                                   e->y2 - e->y1, NULL, 0);
    if (!tmp)
        return;
    pixman_image_composite32(PIXMAN_OP_SRC, s->image, NULL, tmp, e->x1 - dx, e->y1 - dy, 0, 0,
                             0, 0, e->x2 - e->x1, e->y2 - e->y1);
    pixman_image_set_clip_region32(s->image, rgn);
    pixman_image_composite32(PIXMAN_OP_SRC, tmp, NULL, s->image, 0, 0, 0, 0, e->x1, e->y1,
                             e->x2 - e->x1, e->y2 - e->y1);
    pixman_image_set_clip_region32(s->image, NULL);
    pixman_image_unref(tmp);
}

/* A private copy of src when it is the destination itself. */
static pixman_image_t *detach_source(struct fcli_surface *s, pixman_image_t *src)
{
    pixman_image_t *copy;
    int w, h;

    if (src != s->image)
        return pixman_image_ref(src);
    w = pixman_image_get_width(src);
    h = pixman_image_get_height(src);
    copy = pixman_image_create_bits(pixman_image_get_format(src), w, h, NULL, 0);
    if (copy)
        pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, copy, 0, 0, 0, 0, 0, 0, w, h);
    return copy;
}

static void set_scale(pixman_image_t *src, const struct spice_rect *sa,
                      const struct spice_rect *box, int scale_mode)
{
    pixman_transform_t t;

    pixman_transform_init_identity(&t);
    t.matrix[0][0] = pixman_double_to_fixed((double)(sa->right - sa->left) /
                                            (box->right - box->left));
    t.matrix[1][1] = pixman_double_to_fixed((double)(sa->bottom - sa->top) /
                                            (box->bottom - box->top));
    t.matrix[0][2] = pixman_int_to_fixed(sa->left);
    t.matrix[1][2] = pixman_int_to_fixed(sa->top);
    pixman_image_set_transform(src, &t);
    pixman_image_set_filter(src, scale_mode == SPICE_SCALE_NEAREST ? PIXMAN_FILTER_NEAREST
                                                                   : PIXMAN_FILTER_GOOD,
                            NULL, 0);
    pixman_image_set_repeat(src, PIXMAN_REPEAT_PAD);
}

int fcli_canvas_blit(struct fcli_surface *s, pixman_region32_t *rgn, pixman_image_t *src,
                     const struct spice_rect *src_area, const struct spice_rect *box,
                     int scale_mode)
{
    int bw = box->right - box->left, bh = box->bottom - box->top;
    pixman_image_t *img;

    if (bw <= 0 || bh <= 0 || !pixman_region32_not_empty(rgn))
        return 0;
    img = detach_source(s, src);
    if (!img)
        return -ENOMEM;
    pixman_image_set_clip_region32(s->image, rgn);
    if (bw == src_area->right - src_area->left && bh == src_area->bottom - src_area->top) {
        pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, s->image, src_area->left,
                                 src_area->top, 0, 0, box->left, box->top, bw, bh);
    } else {
        set_scale(img, src_area, box, scale_mode);
        pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, s->image, 0, 0, 0, 0, box->left,
                                 box->top, bw, bh);
        pixman_image_set_transform(img, NULL);
        pixman_image_set_filter(img, PIXMAN_FILTER_NEAREST, NULL, 0);
        pixman_image_set_repeat(img, PIXMAN_REPEAT_NONE);
    }
    pixman_image_set_clip_region32(s->image, NULL);
    pixman_image_unref(img);
    return 0;
}

void fcli_canvas_clear(struct fcli_surface *s)
{
    memset(pixman_image_get_data(s->image), 0,
           (size_t)pixman_image_get_stride(s->image) * s->height);
}
