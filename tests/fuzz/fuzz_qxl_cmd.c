/* libFuzzer target for the QXL command parser and renderer of floe's library
 * for QEMU (server/qemu/qxl-cmd.c, qxl-image.c, qxl-cursor.c, qxl-render.c).
 * Input: the command kind (draw, surface, cursor, update: a byte), the
 * compat flag (a byte), where the command lies (2 bytes, little-endian),
 * then the guest's RAM, in an exact-size buffer so that any read past it is
 * caught. One memslot covers the RAM with QXL addresses equal to offsets in
 * it. Draws that parse are rendered into a small surface; a lookup gives a
 * small surface, or the destination itself, for any id. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/qemu/qxl-cmd.h"
#include "server/qemu/qxl-render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEAD 4
#define SIDE 32

struct surfaces {
    pixman_image_t *dst, *other;
};

static pixman_image_t *lookup(void *opaque, uint32_t id)
{
    struct surfaces *s = opaque;

    return id % 3 == 0 ? NULL : id % 3 == 1 ? s->other : s->dst;
}

static void render(const struct fqxl_draw *d, uint8_t seed)
{
    static uint32_t dst_px[SIDE * SIDE], other_px[SIDE / 2 * SIDE / 2];
    struct surfaces s;
    pixman_region32_t damage;
    const char *why = NULL;
    int rc;

    memset(dst_px, seed, sizeof(dst_px));
    memset(other_px, seed ^ 0x5a, sizeof(other_px));
    s.dst = pixman_image_create_bits(seed & 1 ? PIXMAN_r5g6b5 : PIXMAN_x8r8g8b8, SIDE, SIDE,
                                     dst_px, SIDE * 4);
    s.other = pixman_image_create_bits(PIXMAN_a8r8g8b8, SIDE / 2, SIDE / 2, other_px, SIDE * 2);
    if (!s.dst || !s.other)
        abort();
    pixman_region32_init(&damage);
    rc = fqxl_render(s.dst, d, lookup, &s, &damage, &why);
    if (rc && !why)
        abort();
    /* damage never leaves the surface */
    if (pixman_region32_not_empty(&damage)) {
        pixman_box32_t *e = pixman_region32_extents(&damage);

        if (e->x1 < 0 || e->y1 < 0 || e->x2 > SIDE || e->y2 > SIDE)
            abort();
    }
    pixman_region32_fini(&damage);
    pixman_image_unref(s.dst);
    pixman_image_unref(s.other);
}

static void draw(const struct fqxl_memslots *m, QXLPHYSICAL addr, int compat, uint8_t seed)
{
    struct fqxl_draw d;
    const char *why = NULL;

    if (fqxl_draw_parse(m, 0, addr, compat, &d, &why) != 0) {
        if (!why || d.clip || d.src.pixels)
            abort();
        return;
    }
    if (d.clip_rects && d.clip_n > FQXL_MAX_CLIP_RECTS)
        abort();
    render(&d, seed);
    fqxl_draw_free(&d);
}

static void surface(const struct fqxl_memslots *m, QXLPHYSICAL addr, const uint8_t *ram, size_t n)
{
    struct fqxl_surface_cmd c;
    const char *why = NULL;
    size_t abs_stride, last;

    if (fqxl_surface_cmd_parse(m, 0, addr, &c, &why) != 0) {
        if (!why)
            abort();
        return;
    }
    if (c.type != QXL_SURFACE_CMD_CREATE)
        return;
    abs_stride = c.stride < 0 ? (size_t)-(int64_t)c.stride : (size_t)c.stride;
    /* the top row and the bottom row both lie in the RAM */
    last = (size_t)(c.height - 1) * abs_stride;
    if (c.mem < ram || c.mem + abs_stride > ram + n)
        abort();
    if (c.stride < 0 ? (uintptr_t)c.mem - last < (uintptr_t)ram
                     : (uintptr_t)c.mem + last + abs_stride > (uintptr_t)ram + n)
        abort();
    (void)*(volatile const uint8_t *)c.mem;
}

static void cursor(const struct fqxl_memslots *m, QXLPHYSICAL addr)
{
    struct fqxl_cursor_cmd c;
    const char *why = NULL;
    uint32_t sum = 0;

    if (fqxl_cursor_cmd_parse(m, 0, addr, &c, &why) != 0) {
        if (!why || c.argb)
            abort();
        return;
    }
    if (c.type == QXL_CURSOR_SET) {
        if (c.w < 1 || c.h < 1 || c.w > FQXL_MAX_CURSOR_DIM || c.h > FQXL_MAX_CURSOR_DIM)
            abort();
        for (int i = 0; i < c.w * c.h; i++)
            sum += c.argb[i];
        /* every word was written: a premultiplied colour never passes its alpha */
        if (c.w == 1 && c.h == 1 && (sum & 0xff) > sum >> 24)
            abort();
    }
    fqxl_cursor_cmd_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QXLDevInitInfo info = { .num_memslots_groups = 1, .num_memslots = 1,
                            .memslot_gen_bits = 0, .memslot_id_bits = 1 };
    struct fqxl_memslots m;
    struct fqxl_update_cmd u;
    const char *why = NULL;
    QXLPHYSICAL addr;
    uint8_t *ram;
    size_t n;

    if (size <= HEAD)
        return 0;
    addr = (QXLPHYSICAL)data[2] | (QXLPHYSICAL)data[3] << 8;
    n = size - HEAD;
    ram = malloc(n);
    if (!ram)
        return 0;
    memcpy(ram, data + HEAD, n);
    if (fqxl_memslots_init(&m, &info) != 0)
        abort();
    QXLDevMemSlot slot = { .slot_group_id = 0, .slot_id = 0, .generation = 0,
                           .virt_start = (uintptr_t)ram, .virt_end = (uintptr_t)ram + n,
                           .addr_delta = (uint64_t)(uintptr_t)ram };
    if (fqxl_memslot_add(&m, &slot, &why) != 0)
        abort();
    switch (data[0] & 3) {
    case 0:
        draw(&m, addr, data[1] & 1, data[1]);
        break;
    case 1:
        surface(&m, addr, ram, n);
        break;
    case 2:
        cursor(&m, addr);
        break;
    default:
        if (fqxl_update_cmd_parse(&m, 0, addr, &u, &why) != 0 && !why)
            abort();
    }
    if (fqxl_release_info(&m, 0, addr) && addr + sizeof(QXLReleaseInfo) > n)
        abort();
    free(ram);
    return 0;
}
