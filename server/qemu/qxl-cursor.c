/* QXL cursor commands read from guest memory: the shape (ALPHA, MONO or
 * COLOR32) becomes premultiplied ARGB words the cursor channel can send. */
#include "server/qemu/qxl-cmd.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "server/qemu/qxl-image.h"

/* the most shape data read: an ALPHA shape of the largest size, with room */
#define MAX_SHAPE_BYTES (2u * 4 * FQXL_MAX_CURSOR_DIM * FQXL_MAX_CURSOR_DIM)

static uint32_t premultiply(uint32_t p)
{
    uint32_t a = p >> 24, r = p >> 16 & 0xff, g = p >> 8 & 0xff, b = p & 0xff;

    r = (r * a + 127) / 255;
    g = (g * a + 127) / 255;
    b = (b * a + 127) / 255;
    return a << 24 | r << 16 | g << 8 | b;
}

static int bit_at(const uint8_t *row, int x)
{
    return row[x >> 3] >> (7 - (x & 7)) & 1;
}

static uint32_t le32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The bytes a shape of this type and size needs, or 0 for a type not read. */
static size_t shape_bytes(uint16_t type, size_t w, size_t h)
{
    size_t bpl = (w + 7) / 8;

    switch (type) {
    case SPICE_CURSOR_TYPE_ALPHA:
        return w * h * 4;
    case SPICE_CURSOR_TYPE_MONO:
        return 2 * bpl * h;
    case SPICE_CURSOR_TYPE_COLOR32:
        return w * h * 4 + bpl * h;
    }
    return 0;
}

/* MONO: an AND mask then an XOR mask. AND clear draws the XOR bit as white
 * or black; AND set leaves the screen, or inverts it where XOR is set,
 * which ARGB cannot say: such pixels are drawn black, so a text cursor
 * made of them stays visible. */
static uint32_t mono_at(const uint8_t *data, int w, int h, int x, int y)
{
    size_t bpl = ((size_t)w + 7) / 8;
    int and_bit = bit_at(data + bpl * y, x), xor_bit = bit_at(data + bpl * (h + y), x);

    if (and_bit)
        return xor_bit ? 0xff000000u : 0;
    return xor_bit ? 0xffffffffu : 0xff000000u;
}

/* COLOR32: xRGB pixels then an AND mask; a masked pixel that is not black
 * would invert the screen: it is drawn in its colour instead. */
static uint32_t color32_at(const uint8_t *data, int w, int h, int x, int y)
{
    size_t bpl = ((size_t)w + 7) / 8;
    uint32_t p = le32_at(data + 4 * ((size_t)y * w + x)) & 0xffffff;
    int and_bit = bit_at(data + (size_t)w * h * 4 + bpl * y, x);

    return and_bit && !p ? 0 : 0xff000000u | p;
}

static void shape_convert(uint16_t type, const uint8_t *data, int w, int h, uint32_t *out)
{
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint32_t *o = out + (size_t)y * w + x;

            if (type == SPICE_CURSOR_TYPE_ALPHA)
                *o = premultiply(le32_at(data + 4 * ((size_t)y * w + x)));
            else if (type == SPICE_CURSOR_TYPE_MONO)
                *o = mono_at(data, w, h, x, y);
            else
                *o = color32_at(data, w, h, x, y);
        }
    }
}

static int header_check(const QXLCursorHeader *h, const char **why)
{
    if (!shape_bytes(h->type, 1, 1)) {
        *why = fqxl_whyf("cursor type %u not read", h->type);
        return h->type < SPICE_CURSOR_TYPE_ENUM_END ? -ENOTSUP : -EINVAL;
    }
    if (h->width == 0 || h->height == 0 || h->width > FQXL_MAX_CURSOR_DIM ||
        h->height > FQXL_MAX_CURSOR_DIM) {
        *why = fqxl_whyf("cursor of %ux%u out of range", h->width, h->height);
        return h->width && h->height ? -E2BIG : -EINVAL;
    }
    return 0;
}

static int shape_get(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                     struct fqxl_cursor_cmd *c, const char **why)
{
    QXLCursor q;
    uint8_t *data;
    size_t len, need;
    int rc = fqxl_memslot_read(m, group, addr, &q, offsetof(QXLCursor, chunk), why);

    if (!rc)
        rc = header_check(&q.header, why);
    if (rc)
        return rc;
    need = shape_bytes(q.header.type, q.header.width, q.header.height);
    rc = fqxl_chunks_copy(m, group, addr + offsetof(QXLCursor, chunk), MAX_SHAPE_BYTES,
                          FQXL_MAX_CHUNKS, &data, &len, why);
    if (rc)
        return rc;
    if (len < need || q.data_size < need) {
        *why = fqxl_whyf("cursor data of %zu bytes (%u announced) for a %ux%u shape needing %zu",
                         len, q.data_size, q.header.width, q.header.height, need);
        free(data);
        return -EINVAL;
    }
    c->argb = malloc((size_t)q.header.width * q.header.height * 4);
    if (!c->argb) {
        free(data);
        *why = "out of memory";
        return -ENOMEM;
    }
    shape_convert(q.header.type, data, q.header.width, q.header.height, c->argb);
    free(data);
    c->w = q.header.width;
    c->h = q.header.height;
    c->hot_x = q.header.hot_spot_x;
    c->hot_y = q.header.hot_spot_y;
    c->unique = q.header.unique;
    return 0;
}

int fqxl_cursor_cmd_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                          struct fqxl_cursor_cmd *c, const char **why)
{
    QXLCursorCmd q;
    int rc;

    memset(c, 0, sizeof(*c));
    rc = fqxl_memslot_read(m, group, addr, &q, sizeof(q), why);
    if (rc)
        return rc;
    c->type = q.type;
    switch (q.type) {
    case QXL_CURSOR_SET:
        c->x = q.u.set.position.x;
        c->y = q.u.set.position.y;
        c->visible = q.u.set.visible != 0;
        rc = shape_get(m, group, q.u.set.shape, c, why);
        break;
    case QXL_CURSOR_MOVE:
        c->x = q.u.position.x;
        c->y = q.u.position.y;
        break;
    case QXL_CURSOR_HIDE:
    case QXL_CURSOR_TRAIL:
        break;
    default:
        *why = fqxl_whyf("cursor command %u unknown", q.type);
        rc = -EINVAL;
    }
    if (rc)
        fqxl_cursor_cmd_free(c);
    return rc;
}

void fqxl_cursor_cmd_free(struct fqxl_cursor_cmd *c)
{
    free(c->argb);
    memset(c, 0, sizeof(*c));
}
