/* The QXL recorder of floe's library for QEMU (white-box), read back with
 * the players' reader: the checkpoint tells its watcher every range it
 * lets through (and none it refuses); what a device call or command read
 * comes before it, overlapping reads merged with the later bytes winning;
 * loadvm's commands are marked saved; a monitors config's heads, as the
 * worker reads them, are recorded too; nothing is recorded unless FLOE_QXL_RECORD names a file,
 * and a file that cannot be written stops the recording, not the worker. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/qemu/memslots.h"
#include "server/qemu/record.h"
#include "server/qemu/worker.h"
/* the reader the host programs use: one program, one object */
#include "tests/host/qxl-record-read.c"

#define RAM 65536
#include "tests/unit/qxl_world.h"

static const QXLDevInitInfo info = { .num_memslots_groups = 2, .num_memslots = 2,
                                     .memslot_gen_bits = GEN_BITS, .memslot_id_bits = ID_BITS,
                                     .n_surfaces = 64 };

struct watched {
    int calls;
    uint32_t group, slot;
    uint64_t offset;
    size_t size;
    const uint8_t *bytes;
};

static void watch(void *opaque, uint32_t group, uint32_t slot, uint64_t offset,
                  const uint8_t *bytes, size_t size)
{
    struct watched *w = opaque;

    *w = (struct watched){ w->calls + 1, group, slot, offset, size, bytes };
}

static void test_watcher(void **st)
{
    struct world w;
    struct watched seen = { 0 };
    uint8_t *out;
    size_t len;

    world_setup(&w);
    w.m.seen = watch;
    w.m.seen_opaque = &seen;
    assert_non_null(fqxl_memslot_get(&w.m, 1, at(100), 16, &w.why));
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.group, 1);
    assert_int_equal(seen.slot, 1);
    assert_int_equal(seen.offset, 100);
    assert_int_equal(seen.size, 16);
    assert_ptr_equal(seen.bytes, ram + 100);
    /* refused: not told */
    assert_null(fqxl_memslot_get(&w.m, 1, at(RAM - 4), 5, &w.why));
    assert_null(fqxl_memslot_get(&w.m, 1, qxl_addr(1, 2, GUEST_BASE), 1, &w.why));
    assert_int_equal(seen.calls, 1);
    /* a chunk: its header, then header and data */
    ram[200] = 8;
    assert_int_equal(fqxl_chunks_copy(&w.m, 1, at(200), 1024, 4, &out, &len, &w.why), 0);
    free(out);
    assert_int_equal(seen.calls, 3);
    assert_int_equal(seen.offset, 200);
    assert_int_equal(seen.size, 28);
}

/* The whole recording at path, read with the players' reader. */
static size_t read_all(const char *path, struct qrec_event *ev, size_t max, uint8_t **buf)
{
    FILE *f = fopen(path, "rb");
    struct qrec_header h;
    const char *why = "";
    size_t len, pos = 0, n = 0;
    int rc;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    rewind(f);
    *buf = malloc(len);
    assert_int_equal(fread(*buf, 1, len, f), len);
    fclose(f);
    assert_int_equal(qrec_header_read(*buf, len, &h, &pos, &why), 0);
    assert_int_equal(h.groups, 2);
    assert_int_equal(h.id_bits, ID_BITS);
    assert_int_equal(h.n_surfaces, 64);
    while ((rc = qrec_next(*buf, len, &h, &pos, &ev[n], &why)) == 1) {
        n++;
        assert_true(n < max);
    }
    assert_int_equal(rc, 0);
    return n;
}

static void test_round_trip(void **st)
{
    char path[] = "/tmp/floe-qxlrec-XXXXXX";
    int fd = mkstemp(path);
    struct world w;
    struct fqxl_recorder *r;
    QXLDevMemSlot slot = { .slot_group_id = 1, .slot_id = 1, .generation = 3,
                           .virt_start = 4096, .virt_end = 8192, .addr_delta = 77 };
    struct fqxl_req add = { .kind = FQXL_REQ_ADD_MEMSLOT, .slot = slot };
    struct fqxl_req stop = { .kind = FQXL_REQ_RUN, .running = 0 };
    struct fqxl_req mon = { .kind = FQXL_REQ_MONITORS_CONFIG, .async = 1, .group = 1,
                            .monitors_config = at(2000) };
    QXLCommandExt draw = { .cmd = { .data = at(100), .type = QXL_CMD_DRAW }, .group_id = 1 };
    QXLCommandExt saved[2] = { { .cmd = { .data = at(300), .type = QXL_CMD_CURSOR },
                                 .group_id = 1 } };
    struct fqxl_req loadvm = { .kind = FQXL_REQ_LOADVM, .cmds = saved, .ncmds = 1 };
    struct qrec_event ev[16];
    uint8_t *buf;
    size_t n;

    assert_true(fd >= 0);
    close(fd);
    world_setup(&w);
    for (int i = 0; i < 200; i++)
        ram[100 + i] = (uint8_t)i;
    setenv("FLOE_QXL_RECORD", path, 1);
    r = fqxl_recorder_new(&w.m, &info, 0);
    assert_non_null(r);
    fqxl_record_req(r, &add);
    fqxl_record_cmd(r, &draw);
    /* overlapping reads of one command; the guest changed a byte in between */
    fqxl_memslot_get(&w.m, 1, at(100), 16, &w.why);
    ram[110] = 0xee;
    fqxl_memslot_get(&w.m, 1, at(108), 16, &w.why);
    fqxl_record_req(r, &stop);
    ram[2000] = 2;   /* two heads */
    fqxl_record_req(r, &mon);
    /* the worker reads the config's header, then its heads */
    fqxl_memslot_get(&w.m, 1, at(2000), 4, &w.why);
    fqxl_memslot_get(&w.m, 1, at(2004), 2 * 28, &w.why);
    fqxl_record_req(r, &loadvm);
    fqxl_record_cmd(r, &saved[0]);
    fqxl_recorder_free(r);
    assert_null(w.m.seen);
    unsetenv("FLOE_QXL_RECORD");

    n = read_all(path, ev, 16, &buf);
    unlink(path);
    assert_int_equal(n, 7);
    assert_int_equal(ev[0].type, FQXL_REC_MEMSLOT_ADD);
    assert_int_equal(ev[0].u.slot_add.virt_start, 4096);
    assert_int_equal(ev[0].u.slot_add.addr_delta, 77);
    assert_int_equal(ev[1].type, FQXL_REC_MEMORY);
    assert_int_equal(ev[1].u.memory.offset, 100);
    assert_int_equal(ev[1].u.memory.size, 24);
    assert_int_equal(ev[1].u.memory.bytes[0], 0);
    assert_int_equal(ev[1].u.memory.bytes[10], 0xee);
    assert_int_equal(ev[1].u.memory.bytes[23], 23);
    assert_int_equal(ev[2].type, FQXL_REC_COMMAND);
    assert_int_equal(ev[2].u.command.ring, FQXL_REC_RING_DISPLAY);
    assert_int_equal(ev[2].u.command.addr, at(100));
    assert_int_equal(ev[3].type, FQXL_REC_CALL);
    assert_int_equal(ev[3].u.call.call, FQXL_REC_CALL_VM_STOP);
    /* the heads after the header: 4 + 2 * 28 bytes */
    assert_int_equal(ev[4].type, FQXL_REC_MEMORY);
    assert_int_equal(ev[4].u.memory.offset, 2000);
    assert_int_equal(ev[4].u.memory.size, 60);
    assert_int_equal(ev[5].type, FQXL_REC_CALL);
    assert_int_equal(ev[5].u.call.call, FQXL_REC_CALL_MONITORS_CONFIG);
    assert_int_equal(ev[5].u.call.async, 1);
    assert_int_equal(ev[5].u.call.addr, at(2000));
    assert_int_equal(ev[6].type, FQXL_REC_COMMAND);
    assert_int_equal(ev[6].u.command.ring, FQXL_REC_RING_SAVED);
    free(buf);
}

static void test_off_and_failing(void **st)
{
    struct world w;
    struct fqxl_recorder *r;
    struct fqxl_req stop = { .kind = FQXL_REQ_RUN, .running = 0 };
    QXLCommandExt draw = { .cmd = { .data = at(100), .type = QXL_CMD_DRAW }, .group_id = 1 };

    world_setup(&w);
    unsetenv("FLOE_QXL_RECORD");
    assert_null(fqxl_recorder_new(&w.m, &info, 0));
    assert_null(w.m.seen);
    setenv("FLOE_QXL_RECORD", "/nonexistent-folder/rec", 1);
    assert_null(fqxl_recorder_new(&w.m, &info, 0));
    assert_null(w.m.seen);
    /* a file that takes nothing: the first flush fails, recording stops */
    setenv("FLOE_QXL_RECORD", "/dev/full", 1);
    r = fqxl_recorder_new(&w.m, &info, 0);
    assert_non_null(r);
    fqxl_record_cmd(r, &draw);
    assert_non_null(fqxl_memslot_get(&w.m, 1, at(100), 4096, &w.why));
    fqxl_record_req(r, &stop);
    fqxl_record_cmd(r, &draw);
    assert_non_null(fqxl_memslot_get(&w.m, 1, at(100), 4096, &w.why));
    fqxl_recorder_free(r);
    unsetenv("FLOE_QXL_RECORD");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watcher),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_off_and_failing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
