/* The QXL device's memory slots and the one checkpoint guest memory passes:
 * every QXL address is translated and bounds-checked here, and what is read
 * from a chain of data chunks is copied once, before anything parses it. */
#ifndef FLOE_QEMU_MEMSLOTS_H
#define FLOE_QEMU_MEMSLOTS_H

#include <stddef.h>
#include <stdint.h>

#include <spice.h>

/* Limits of the device description QEMU hands in (QXLDevInitInfo). */
#define FQXL_MAX_GROUPS 8
#define FQXL_MAX_SLOTS 256

struct fqxl_slot {
    int used;
    uint32_t generation;
    uintptr_t virt_start, virt_end;  /* host addresses: [start, end) */
    uint64_t addr_delta;             /* host address - the address's offset bits */
};

/* Told of every range the checkpoint lets through, with the slot it lies
 * in, its offset from the slot's start and its bytes as they are then. */
typedef void fqxl_memslot_seen_fn(void *opaque, uint32_t group, uint32_t slot_id,
                                  uint64_t offset, const uint8_t *bytes, size_t size);

struct fqxl_memslots {
    unsigned groups, slots;
    unsigned id_bits, gen_bits;
    struct fqxl_slot slot[FQXL_MAX_GROUPS][FQXL_MAX_SLOTS];
    fqxl_memslot_seen_fn *seen;   /* NULL: nobody watches (the recorder does) */
    void *seen_opaque;
};

/* Sets up empty slots as the device describes them. 0, or -EINVAL for a
 * description out of range (too many groups or slots, id and generation
 * bits that do not fit in an address or cannot name every slot). */
int fqxl_memslots_init(struct fqxl_memslots *m, const QXLDevInitInfo *info);
/* Adds (or replaces) a slot. 0, or -EINVAL for ids out of range or an
 * empty or inverted range; *why then says which. */
int fqxl_memslot_add(struct fqxl_memslots *m, const QXLDevMemSlot *s, const char **why);
void fqxl_memslot_del(struct fqxl_memslots *m, uint32_t group, uint32_t id);
void fqxl_memslots_reset(struct fqxl_memslots *m);

/* The host address of `size` bytes at QXL address `addr` in `group`, all of
 * them inside one slot of the right generation; NULL with *why set when not
 * (a guest's bad address is an error to report, never to follow). */
const uint8_t *fqxl_memslot_get(const struct fqxl_memslots *m, uint32_t group,
                                QXLPHYSICAL addr, size_t size, const char **why);

/* Copies `size` bytes at QXL address `addr` into `out`, checked as
 * fqxl_memslot_get checks them: 0, or -EFAULT with *why set. What a parser
 * reads from this copy cannot change under it. */
int fqxl_memslot_read(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                      void *out, size_t size, const char **why);

/* Copies the data of the chain of QXLDataChunks starting at `first` (each
 * chunk checked where it lies, its header read once) into a new buffer of
 * *len bytes: at most `max_bytes` in all and `max_chunks` chunks, so a
 * chain that loops or never ends is refused. 0, or -EFAULT / -E2BIG /
 * -ENOMEM with *why set. The guest may change its memory at any time: only
 * the copy is to be parsed. */
int fqxl_chunks_copy(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL first,
                     size_t max_bytes, unsigned max_chunks, uint8_t **out, size_t *len,
                     const char **why);

#endif
