/* QXL memory slots: translation of QXL addresses into host memory with
 * every bound checked, and the validated copy of data chunk chains. */
#include "server/qemu/memslots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/spice/wire.h"

/* A QXLDataChunk as it lies in guest memory: data_size u32, prev_chunk u64,
 * next_chunk u64, then data_size bytes. Read through a copy, never cast. */
#define CHUNK_HEADER 20u

int fqxl_memslots_init(struct fqxl_memslots *m, const QXLDevInitInfo *info)
{
    memset(m, 0, sizeof(*m));
    if (info->num_memslots_groups == 0 || info->num_memslots_groups > FQXL_MAX_GROUPS ||
        info->num_memslots == 0 || info->num_memslots > FQXL_MAX_SLOTS ||
        info->memslot_id_bits == 0 || info->memslot_id_bits > 8 ||
        info->memslot_gen_bits > 32 || (1u << info->memslot_id_bits) < info->num_memslots)
        return -EINVAL;
    m->groups = info->num_memslots_groups;
    m->slots = info->num_memslots;
    m->id_bits = info->memslot_id_bits;
    m->gen_bits = info->memslot_gen_bits;
    return 0;
}

int fqxl_memslot_add(struct fqxl_memslots *m, const QXLDevMemSlot *s, const char **why)
{
    struct fqxl_slot *sl;

    if (s->slot_group_id >= m->groups || s->slot_id >= m->slots) {
        *why = "memslot group or id out of range";
        return -EINVAL;
    }
    if (s->virt_end <= s->virt_start) {
        *why = "memslot with an empty or inverted range";
        return -EINVAL;
    }
    if (m->gen_bits < 32 && s->generation >> m->gen_bits) {
        *why = "memslot generation wider than the device's generation bits";
        return -EINVAL;
    }
    sl = &m->slot[s->slot_group_id][s->slot_id];
    sl->used = 1;
    sl->generation = s->generation;
    sl->virt_start = s->virt_start;
    sl->virt_end = s->virt_end;
    sl->addr_delta = s->addr_delta;
    return 0;
}

void fqxl_memslot_del(struct fqxl_memslots *m, uint32_t group, uint32_t id)
{
    if (group < m->groups && id < m->slots)
        memset(&m->slot[group][id], 0, sizeof(m->slot[group][id]));
}

void fqxl_memslots_reset(struct fqxl_memslots *m)
{
    memset(m->slot, 0, sizeof(m->slot));
}

const uint8_t *fqxl_memslot_get(const struct fqxl_memslots *m, uint32_t group,
                                QXLPHYSICAL addr, size_t size, const char **why)
{
    unsigned id_shift = 64 - m->id_bits, gen_shift = id_shift - m->gen_bits;
    uint64_t id = addr >> id_shift;
    uint64_t gen = m->gen_bits ? (addr >> gen_shift) & ((1ull << m->gen_bits) - 1) : 0;
    uint64_t offset = addr & (~0ull >> (m->id_bits + m->gen_bits));
    const struct fqxl_slot *sl;
    uintptr_t start;

    if (group >= m->groups || id >= m->slots) {
        *why = "address names a memslot out of range";
        return NULL;
    }
    sl = &m->slot[group][id];
    if (!sl->used) {
        *why = "address names a memslot that is not there";
        return NULL;
    }
    if (gen != sl->generation) {
        *why = "address of an older generation of its memslot";
        return NULL;
    }
    /* unsigned arithmetic wraps: compare lengths, never sums */
    start = (uintptr_t)(offset + sl->addr_delta);
    if (start < sl->virt_start || start >= sl->virt_end || size > sl->virt_end - start) {
        *why = "address outside its memslot";
        return NULL;
    }
    if (m->seen)
        m->seen(m->seen_opaque, group, (uint32_t)id, start - sl->virt_start,
                (const uint8_t *)start, size);
    return (const uint8_t *)start;
}

int fqxl_memslot_read(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                      void *out, size_t size, const char **why)
{
    const uint8_t *p = fqxl_memslot_get(m, group, addr, size, why);

    if (!p)
        return -EFAULT;
    memcpy(out, p, size);
    return 0;
}

/* Appends n bytes to the copy, within max; -E2BIG past it. */
static int append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *src, size_t n,
                  size_t max)
{
    uint8_t *grown;

    if (n == 0)
        return 0;
    if (n > max - *len)
        return -E2BIG;
    if (*len + n > *cap) {
        size_t want = *cap ? *cap : 4096;

        while (want < *len + n)
            want = want > max / 2 ? max : want * 2;
        grown = realloc(*buf, want ? want : 1);
        if (!grown)
            return -ENOMEM;
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *len, src, n);
    *len += n;
    return 0;
}

int fqxl_chunks_copy(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL first,
                     size_t max_bytes, unsigned max_chunks, uint8_t **out, size_t *len,
                     const char **why)
{
    QXLPHYSICAL at = first;
    uint8_t *buf = NULL, head[CHUNK_HEADER];
    size_t used = 0, cap = 0;
    unsigned n = 0;
    int rc = 0;

    *out = NULL;
    *len = 0;
    while (at) {
        const uint8_t *p = fqxl_memslot_get(m, group, at, CHUNK_HEADER, why);
        uint32_t size;

        if (!p) {
            rc = -EFAULT;
            break;
        }
        if (++n > max_chunks) {
            *why = "chain of data chunks too long (or looping)";
            rc = -E2BIG;
            break;
        }
        memcpy(head, p, CHUNK_HEADER);   /* read once: the guest may change it */
        size = floe_le32(head);
        p = fqxl_memslot_get(m, group, at, CHUNK_HEADER + (size_t)size, why);
        if (!p) {
            rc = -EFAULT;
            break;
        }
        rc = append(&buf, &used, &cap, p + CHUNK_HEADER, size, max_bytes);
        if (rc) {
            *why = rc == -E2BIG ? "data chunks hold more than allowed" : "out of memory";
            break;
        }
        at = floe_le64(head + 12);
    }
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = used;
    return 0;
}
