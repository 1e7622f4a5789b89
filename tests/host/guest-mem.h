/* Guest memory for a host program playing a QXL recording: each memslot
 * the recording names stands on memory of our own (sparse, mapped on
 * demand), QXL addresses are translated as the device would, and what
 * each command handed to the library read is remembered until the library
 * releases it, so that it is not written over meanwhile. */
#ifndef FLOE_TESTS_HOST_GUEST_MEM_H
#define FLOE_TESTS_HOST_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

/* a memslot larger than this (QEMU's own memory: the whole address space)
 * is not mapped: everything in it is left out */
#define GMEM_MAX_MAP (1ull << 30)

struct gmem;

/* NULL without memory. id_bits and gen_bits as the device's. */
struct gmem *gmem_new(unsigned groups, unsigned slots, unsigned id_bits, unsigned gen_bits);
/* Sets slot (group, id) over the recording's host range [start, end) with
 * its addr_delta; our memory for it, or NULL when it is too large (the slot
 * is then known but left out). The same range again is the same memory. */
uint8_t *gmem_slot_add(struct gmem *g, unsigned group, unsigned id, uint64_t start,
                       uint64_t end, uint64_t delta);
void gmem_slot_del(struct gmem *g, unsigned group, unsigned id);
void gmem_reset(struct gmem *g);
/* Our address of the `size` bytes at QXL address addr, or NULL. */
uint8_t *gmem_translate(struct gmem *g, unsigned group, uint64_t addr, uint64_t size);
/* Our address of `size` bytes at `offset` in slot (group, id), or NULL. */
uint8_t *gmem_at(struct gmem *g, unsigned group, unsigned id, uint64_t offset, uint64_t size);

/* Held memory; these may be called from any thread. */
/* Notes [p, p + n) as read by the next command held. */
void gmem_note(struct gmem *g, const uint8_t *p, size_t n);
/* The command whose release info lies at key holds what was noted. */
void gmem_hold(struct gmem *g, const void *key);
/* Forgets what was noted (the command was left out). */
void gmem_drop_notes(struct gmem *g);
/* The library released the command at key: 0, or -1 when nothing held is
 * there. */
int gmem_release(struct gmem *g, const void *key);
/* Does [p, p + n) meet memory a command still holds? */
int gmem_held(struct gmem *g, const uint8_t *p, size_t n);
size_t gmem_held_count(struct gmem *g);

#endif
