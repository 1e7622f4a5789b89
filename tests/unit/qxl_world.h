/* Guest memory for the white-box tests of floe's library for QEMU: RAM
 * bytes (define RAM before including) behind one memslot (group 1, slot 1,
 * generation 3) whose guest-physical addresses start at GUEST_BASE, laid
 * out by the tests as a guest lays out its memory. */
#ifndef FLOE_TESTS_QXL_WORLD_H
#define FLOE_TESTS_QXL_WORLD_H

#include <string.h>

#include "server/qemu/memslots.h"

#ifndef RAM
#define RAM 65536
#endif
#define GUEST_BASE 0x100000ull   /* the guest-physical address the slot starts at */
#define ID_BITS 1
#define GEN_BITS 8

static uint8_t ram[RAM];

struct world {
    struct fqxl_memslots m;
    const char *why;
};

/* A QXL address of guest-physical `phys` in slot `id`, generation `gen`. */
static inline QXLPHYSICAL qxl_addr(uint64_t id, uint64_t gen, uint64_t phys)
{
    return id << (64 - ID_BITS) | gen << (64 - ID_BITS - GEN_BITS) | phys;
}

/* Guest-physical address of byte `off` of the slot's RAM. */
static inline QXLPHYSICAL at(size_t off)
{
    return qxl_addr(1, 3, GUEST_BASE + off);
}

/* Zeroed RAM and the memslot over it. */
static inline void world_setup(struct world *w)
{
    QXLDevInitInfo info = { .num_memslots_groups = 2, .num_memslots = 2,
                            .memslot_gen_bits = GEN_BITS, .memslot_id_bits = ID_BITS };
    QXLDevMemSlot slot = { .slot_group_id = 1, .slot_id = 1, .generation = 3,
                           .virt_start = (uintptr_t)ram, .virt_end = (uintptr_t)ram + RAM,
                           .addr_delta = (uint64_t)(uintptr_t)ram - GUEST_BASE };

    memset(w, 0, sizeof(*w));
    memset(ram, 0, sizeof(ram));
    assert_int_equal(fqxl_memslots_init(&w->m, &info), 0);
    assert_int_equal(fqxl_memslot_add(&w->m, &slot, &w->why), 0);
}

#endif
