/* libFuzzer target for the reader of QXL recordings
 * (tests/host/qxl-record-read.c), which qxl_replay trusts with a file:
 * the input is a recording, read to its end as the player reads it. Every
 * record must lie inside the input, memory records' bytes too, and the
 * reader must move forward or stop. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/qxl-record-read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy: a read past the end is caught */
    uint8_t *buf = malloc(size ? size : 1);
    struct qrec_header h;
    struct qrec_event ev;
    const char *why = NULL;
    size_t pos = 0;
    int rc;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    if (qrec_header_read(buf, size, &h, &pos, &why) < 0) {
        if (!why)
            abort();
        free(buf);
        return 0;
    }
    if (pos > size || h.groups == 0 || h.groups > QREC_MAX_GROUPS || h.slots > QREC_MAX_SLOTS)
        abort();
    for (;;) {
        size_t before = pos;

        why = NULL;
        rc = qrec_next(buf, size, &h, &pos, &ev, &why);
        if (rc <= 0) {
            if (rc < 0 && !why)
                abort();
            break;
        }
        if (pos <= before || pos > size)
            abort();
        if (ev.type == FQXL_REC_MEMORY) {
            const uint8_t *b = ev.u.memory.bytes;

            if (!b || b < buf || b + ev.u.memory.size > buf + pos || ev.u.memory.size == 0 ||
                ev.u.memory.group >= h.groups || ev.u.memory.slot >= h.slots)
                abort();
            (void)*(volatile const uint8_t *)(b + ev.u.memory.size - 1);
        }
        if (ev.type == FQXL_REC_MEMSLOT_ADD &&
            (ev.u.slot_add.group >= h.groups || ev.u.slot_add.slot >= h.slots ||
             ev.u.slot_add.virt_end <= ev.u.slot_add.virt_start))
            abort();
        if (ev.type == FQXL_REC_COMMAND && ev.u.command.group >= h.groups)
            abort();
    }
    free(buf);
    return 0;
}
