/* libFuzzer target for the guest-memory checkpoint (server/qemu/memslots.c).
 * Input: a QXL address (8 bytes, little-endian), the slot's generation and
 * a size to translate (a byte each), then the guest's RAM, in an exact-size
 * buffer so that any read past it is caught. One memslot
 * covers the RAM; the address is translated and the chunk chain it names
 * copied. Whatever the guest laid out, nothing may be read outside the
 * slot and no copy may pass its limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/qemu/memslots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUEST_BASE 0x100000ull
#define MAX_BYTES 65536u
#define MAX_CHUNKS 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QXLDevInitInfo info = { .num_memslots_groups = 1, .num_memslots = 2,
                            .memslot_gen_bits = 8, .memslot_id_bits = 1 };
    struct fqxl_memslots m;
    const char *why = NULL;
    QXLPHYSICAL addr = 0;
    uint8_t *ram, *out;
    const uint8_t *p;
    size_t n, len;

    if (size < 11)
        return 0;
    for (int i = 0; i < 8; i++)
        addr |= (uint64_t)data[i] << (8 * i);
    n = size - 10;
    ram = malloc(n);
    if (!ram)
        return 0;
    memcpy(ram, data + 10, n);
    if (fqxl_memslots_init(&m, &info) != 0)
        abort();
    QXLDevMemSlot slot = { .slot_group_id = 0, .slot_id = 1, .generation = data[8],
                           .virt_start = (uintptr_t)ram, .virt_end = (uintptr_t)ram + n,
                           .addr_delta = (uint64_t)(uintptr_t)ram - GUEST_BASE };
    if (fqxl_memslot_add(&m, &slot, &why) != 0)
        abort();
    p = fqxl_memslot_get(&m, 0, addr, data[9], &why);
    if (p && (p < ram || p + data[9] > ram + n))
        abort();
    if (p && data[9])
        (void)*(volatile const uint8_t *)(p + data[9] - 1);
    if (fqxl_chunks_copy(&m, 0, addr, MAX_BYTES, MAX_CHUNKS, &out, &len, &why) == 0) {
        if (len > MAX_BYTES)
            abort();
        free(out);
    } else if (!why) {
        abort();
    }
    free(ram);
    return 0;
}
