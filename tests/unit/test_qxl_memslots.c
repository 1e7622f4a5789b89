/* The guest-memory checkpoint of floe's library for QEMU (white-box): QXL
 * addresses are translated through the memslots with slot, generation and
 * bounds checked, and data chunk chains are copied whole or refused when
 * they leave their slot, loop or hold too much. The guest memory here is a
 * buffer the tests lay out as a guest would. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/qemu/memslots.h"

#define RAM 65536
#include "tests/unit/qxl_world.h"

/* Lays a QXLDataChunk at `off`: size, prev, next, then `size` bytes of `fill`. */
static void put_chunk(size_t off, uint32_t size, QXLPHYSICAL next, uint8_t fill)
{
    uint8_t *p = ram + off;

    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(size >> (8 * i));
    memset(p + 4, 0, 8);
    for (int i = 0; i < 8; i++)
        p[12 + i] = (uint8_t)(next >> (8 * i));
    /* the data the header claims may run past the RAM: fill what there is */
    memset(p + 20, fill, size < RAM - off - 20 ? size : RAM - off - 20);
}

static void test_init_limits(void **st)
{
    struct fqxl_memslots m;
    QXLDevInitInfo ok = { .num_memslots_groups = 2, .num_memslots = 8,
                          .memslot_gen_bits = 8, .memslot_id_bits = 3 }, bad = ok;

    assert_int_equal(fqxl_memslots_init(&m, &ok), 0);
    bad.num_memslots_groups = FQXL_MAX_GROUPS + 1;
    assert_int_equal(fqxl_memslots_init(&m, &bad), -EINVAL);
    bad = ok;
    bad.num_memslots = 9;   /* three id bits cannot name nine slots */
    assert_int_equal(fqxl_memslots_init(&m, &bad), -EINVAL);
    bad = ok;
    bad.memslot_id_bits = 0;
    assert_int_equal(fqxl_memslots_init(&m, &bad), -EINVAL);
    bad = ok;
    bad.memslot_gen_bits = 40;
    assert_int_equal(fqxl_memslots_init(&m, &bad), -EINVAL);
}

static void test_add_refused(void **st)
{
    struct world w;
    QXLDevMemSlot s = { .slot_group_id = 2, .slot_id = 0, .virt_start = 4096, .virt_end = 8192 };

    world_setup(&w);
    assert_int_equal(fqxl_memslot_add(&w.m, &s, &w.why), -EINVAL);   /* group out of range */
    s.slot_group_id = 0;
    s.slot_id = 2;
    assert_int_equal(fqxl_memslot_add(&w.m, &s, &w.why), -EINVAL);   /* id out of range */
    s.slot_id = 0;
    s.virt_end = s.virt_start;
    assert_int_equal(fqxl_memslot_add(&w.m, &s, &w.why), -EINVAL);   /* empty */
    s.virt_end = 8192;
    s.generation = 256;                                              /* wider than 8 bits */
    assert_int_equal(fqxl_memslot_add(&w.m, &s, &w.why), -EINVAL);
    assert_non_null(w.why);
}

static void test_translate(void **st)
{
    struct world w;
    const uint8_t *p;

    world_setup(&w);
    p = fqxl_memslot_get(&w.m, 1, at(100), 16, &w.why);
    assert_ptr_equal(p, ram + 100);
    /* the very last byte, and the whole slot */
    assert_ptr_equal(fqxl_memslot_get(&w.m, 1, at(RAM - 1), 1, &w.why), ram + RAM - 1);
    assert_ptr_equal(fqxl_memslot_get(&w.m, 1, at(0), RAM, &w.why), ram);
    /* one byte too far, a size that would wrap, an address past the end */
    assert_null(fqxl_memslot_get(&w.m, 1, at(RAM - 16), 17, &w.why));
    assert_null(fqxl_memslot_get(&w.m, 1, at(100), SIZE_MAX, &w.why));
    assert_null(fqxl_memslot_get(&w.m, 1, at(RAM), 1, &w.why));
    /* below the slot: guest-physical before its start */
    assert_null(fqxl_memslot_get(&w.m, 1, qxl_addr(1, 3, GUEST_BASE - 1), 1, &w.why));
    /* wrong generation, a slot not there, a group out of range */
    assert_null(fqxl_memslot_get(&w.m, 1, qxl_addr(1, 2, GUEST_BASE), 1, &w.why));
    assert_string_equal(w.why, "address of an older generation of its memslot");
    assert_null(fqxl_memslot_get(&w.m, 1, qxl_addr(0, 3, GUEST_BASE), 1, &w.why));
    assert_null(fqxl_memslot_get(&w.m, 0, at(100), 1, &w.why));
    assert_null(fqxl_memslot_get(&w.m, 7, at(100), 1, &w.why));
    /* deleted, then reset */
    fqxl_memslot_del(&w.m, 1, 1);
    assert_null(fqxl_memslot_get(&w.m, 1, at(100), 1, &w.why));
    world_setup(&w);
    fqxl_memslots_reset(&w.m);
    assert_null(fqxl_memslot_get(&w.m, 1, at(100), 1, &w.why));
}

static void test_chunks(void **st)
{
    struct world w;
    uint8_t *out;
    size_t len;

    world_setup(&w);
    /* two chunks: 10 bytes of 0xaa, then 5 of 0xbb */
    put_chunk(1000, 10, at(2000), 0xaa);
    put_chunk(2000, 5, 0, 0xbb);
    assert_int_equal(fqxl_chunks_copy(&w.m, 1, at(1000), 1 << 20, 16, &out, &len, &w.why), 0);
    assert_int_equal(len, 15);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(out[i], i < 10 ? 0xaa : 0xbb);
    free(out);

    /* the limit on bytes, and on chunks */
    assert_int_equal(fqxl_chunks_copy(&w.m, 1, at(1000), 14, 16, &out, &len, &w.why), -E2BIG);
    assert_null(out);
    assert_int_equal(fqxl_chunks_copy(&w.m, 1, at(1000), 1 << 20, 1, &out, &len, &w.why), -E2BIG);

    /* a loop of empty chunks ends at the chunk limit */
    put_chunk(3000, 0, at(3100), 0);
    put_chunk(3100, 0, at(3000), 0);
    assert_int_equal(fqxl_chunks_copy(&w.m, 1, at(3000), 1 << 20, 64, &out, &len, &w.why), -E2BIG);

    /* a chunk whose data runs past the slot, and one that starts outside it */
    put_chunk(RAM - 30, 20, 0, 0xcc);
    assert_int_equal(fqxl_chunks_copy(&w.m, 1, at(RAM - 30), 1 << 20, 16, &out, &len, &w.why),
                     -EFAULT);
    assert_string_equal(w.why, "address outside its memslot");
    put_chunk(4000, 4, qxl_addr(1, 3, GUEST_BASE + RAM + 64), 0xdd);
    assert_int_equal(fqxl_chunks_copy(&w.m, 1, at(4000), 1 << 20, 16, &out, &len, &w.why),
                     -EFAULT);
    assert_null(out);

    /* a huge size claimed by the header is refused before anything is copied */
    put_chunk(5000, 0, 0, 0);
    ram[5000 + 3] = 0xff;
    assert_int_equal(fqxl_chunks_copy(&w.m, 1, at(5000), 1 << 20, 16, &out, &len, &w.why),
                     -EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_limits),
        cmocka_unit_test(test_add_refused),
        cmocka_unit_test(test_translate),
        cmocka_unit_test(test_chunks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
