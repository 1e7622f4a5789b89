/* Reads a QXL recording (the format server/qemu/record.h describes) from
 * bytes in memory: every length and field checked before it is used; no
 * I/O and no allocation. */
#ifndef FLOE_TESTS_HOST_QXL_RECORD_READ_H
#define FLOE_TESTS_HOST_QXL_RECORD_READ_H

#include <stddef.h>
#include <stdint.h>

#include <spice.h>

#include "server/qemu/record.h"

/* the reader's own limits on the device a recording describes */
#define QREC_MAX_GROUPS 16u
#define QREC_MAX_SLOTS 256u

struct qrec_header {
    uint32_t version, device_id, groups, slots, n_surfaces, qxl_ram_size;
    uint8_t id_bits, gen_bits;
};

struct qrec_event {
    uint32_t type;   /* enum fqxl_rec_type */
    union {
        struct {
            uint32_t group, slot, generation, qxl_ram_size;
            uint64_t virt_start, virt_end, addr_delta;
        } slot_add;
        struct {
            uint32_t group, slot;
        } slot_del;
        struct {
            uint32_t group, slot;
            uint64_t offset;
            const uint8_t *bytes;   /* inside the buffer read */
            size_t size;
        } memory;
        struct {
            uint32_t ring, type, group, flags;
            uint64_t addr;
        } command;
        struct {
            uint32_t surface_id;
            QXLDevSurfaceCreate create;
        } primary;
        struct {
            uint32_t call, async, surface_id, group, clear;
            QXLRect area;
            uint64_t addr;
        } call;
    } u;
};

/* The header at the start of buf: 0 and *pos past it, or -1 with *why. */
int qrec_header_read(const uint8_t *buf, size_t len, struct qrec_header *h, size_t *pos,
                     const char **why);
/* The next record at *pos that this reader knows (others are skipped):
 * 1 and *pos past it, 0 at the end, -1 with *why for bad bytes. */
int qrec_next(const uint8_t *buf, size_t len, const struct qrec_header *h, size_t *pos,
              struct qrec_event *ev, const char **why);

#endif
