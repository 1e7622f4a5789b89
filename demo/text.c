/* Anti-aliased text for the demo desktop: FreeType renders glyph coverage,
 * which is blended over the window's pixels on our side (always opaque),
 * or handed on as glyph runs (SPICE A4 glyphs) for clients to draw. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "demo/demo-priv.h"

int floe_demo_font_open(FT_Library ft, const char *path, int px, struct floe_demo_font **out)
{
    struct floe_demo_font *f = calloc(1, sizeof(*f));

    if (!f)
        return -ENOMEM;
    if (FT_New_Face(ft, path, 0, &f->face)) {
        free(f);
        return -ENOENT;
    }
    if (FT_Set_Pixel_Sizes(f->face, 0, (FT_UInt)px)) {
        FT_Done_Face(f->face);
        free(f);
        return -EINVAL;
    }
    f->px = px;
    f->ascent = (int)((f->face->size->metrics.ascender + 63) >> 6);
    f->height = (int)((f->face->size->metrics.height + 63) >> 6);
    *out = f;
    return 0;
}

void floe_demo_font_free(struct floe_demo_font *f)
{
    if (!f)
        return;
    for (int i = 0; i < 128; i++) {
        free(f->cache[i].cov);
        free(f->cache[i].a4);
    }
    FT_Done_Face(f->face);
    free(f);
}

/* The coverage as a SPICE A4 glyph: 16 levels, rows bottom first, the
 * leftmost pixel in a byte's top nibble (NULL when out of memory: the
 * glyph then goes by pixels only). */
static void a4_make(struct floe_demo_glyph *g)
{
    size_t row = ((size_t)g->w * 4 + 7) / 8;

    g->a4 = calloc(row * (size_t)g->h, 1);
    if (!g->a4)
        return;
    for (int y = 0; y < g->h; y++) {
        const uint8_t *c = g->cov + (size_t)y * g->pitch;
        uint8_t *out = g->a4 + row * (size_t)(g->h - 1 - y);

        for (int x = 0; x < g->w; x++)
            out[x / 2] |= (uint8_t)(((c[x] + 8) / 17) << (x % 2 ? 0 : 4));
    }
}

/* Renders code point cp into g (a copy of FreeType's bitmap). */
static void glyph_load(struct floe_demo_font *f, uint32_t cp, struct floe_demo_glyph *g)
{
    FT_GlyphSlot slot = f->face->glyph;
    FT_Bitmap *bm = &slot->bitmap;

    memset(g, 0, sizeof(*g));
    g->loaded = 1;
    if (FT_Load_Char(f->face, cp, FT_LOAD_RENDER | FT_LOAD_TARGET_LIGHT))
        return;
    g->adv = (int)((slot->advance.x + 32) >> 6);
    if (bm->pixel_mode != FT_PIXEL_MODE_GRAY || !bm->rows || !bm->width)
        return;
    g->cov = malloc((size_t)bm->rows * bm->width);
    if (!g->cov)
        return;
    for (unsigned r = 0; r < bm->rows; r++)
        memcpy(g->cov + (size_t)r * bm->width, bm->buffer + (ptrdiff_t)r * bm->pitch, bm->width);
    g->w = (int)bm->width;
    g->h = (int)bm->rows;
    g->pitch = g->w;
    g->left = slot->bitmap_left;
    g->top = slot->bitmap_top;
    a4_make(g);
}

/* The glyph for cp: cached below 128, else rendered into tmp. */
static const struct floe_demo_glyph *glyph_get(struct floe_demo_font *f, uint32_t cp,
                                               struct floe_demo_glyph *tmp)
{
    if (cp < 128) {
        if (!f->cache[cp].loaded)
            glyph_load(f, cp, &f->cache[cp]);
        return &f->cache[cp];
    }
    glyph_load(f, cp, tmp);
    return tmp;
}

/* Decodes one UTF-8 sequence at s[*i] (bad bytes read as U+FFFD). */
static uint32_t utf8_next(const char *s, int len, int *i)
{
    const unsigned char *u = (const unsigned char *)s + *i;
    int n = u[0] < 0x80 ? 1 : u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc0 ? 2 : 0;
    uint32_t cp = n == 1 ? u[0] : n == 2 ? (u[0] & 0x1fu) : n == 3 ? (u[0] & 0xfu) : (u[0] & 7u);

    if (n == 0 || *i + n > len) {
        *i += 1;
        return 0xfffd;
    }
    for (int k = 1; k < n; k++) {
        if ((u[k] & 0xc0) != 0x80) {
            *i += 1;
            return 0xfffd;
        }
        cp = (cp << 6) | (u[k] & 0x3fu);
    }
    *i += n;
    return cp;
}

int floe_demo_text_glyphs(struct floe_demo_font *f, int x, int y, const char *s, int len,
                          struct floe_raster_glyph *out, int max, int *n)
{
    *n = 0;
    if (len < 0)
        len = (int)strlen(s);
    for (int i = 0; i < len;) {
        uint32_t cp = utf8_next(s, len, &i);
        const struct floe_demo_glyph *g = glyph_get(f, cp < 128 ? cp : '?', NULL);

        if (g->a4 && *n < max)
            out[(*n)++] = (struct floe_raster_glyph){ x + g->left, y - g->top, g->w, g->h, g->a4 };
        x += g->adv;
    }
    return x;
}

int floe_demo_text_width(struct floe_demo_font *f, const char *s, int len)
{
    return floe_demo_text_draw(NULL, f, 0, 0, s, len, 0);
}

int floe_demo_text_draw(const struct floe_demo_canvas *c, struct floe_demo_font *f, int x, int y,
                        const char *s, int len, uint32_t rgb)
{
    if (len < 0)
        len = (int)strlen(s);
    for (int i = 0; i < len;) {
        struct floe_demo_glyph tmp;
        uint32_t cp = utf8_next(s, len, &i);
        const struct floe_demo_glyph *g = glyph_get(f, cp, &tmp);

        if (c && g->cov)
            floe_demo_canvas_blend(c, x + g->left, y - g->top, g->w, g->h, g->cov, g->pitch, rgb);
        x += g->adv;
        if (g == &tmp) {
            free(tmp.cov);
            free(tmp.a4);
        }
    }
    return x;
}
