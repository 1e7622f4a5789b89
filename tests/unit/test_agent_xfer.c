/* Unit tests of floe-agent's file transfer over a socketpair: a file
 * arrives byte for byte under its name (or a free one), nothing is left
 * behind a refused or cancelled transfer, bad names and sizes are refused
 * with the detailed errors the client asked for. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "tests/unit/agent_rig.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/floe-agent-xfer.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static int teardown(void **state)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

static void send_start(struct rig *r, uint32_t id, const char *name, unsigned long long size)
{
    struct floe_wbuf w;
    char kf[512];
    int n = snprintf(kf, sizeof(kf), "[vdagent-file-xfer]\nname=%s\nsize=%llu\n", name, size);

    floe_wbuf_init(&w, 0);
    spice_vd_agent_file_xfer_start_put(&w, &(struct spice_vd_agent_file_xfer_start){ id });
    floe_put_bytes(&w, kf, (size_t)n + 1);
    rig_send_w(r, VD_AGENT_FILE_XFER_START, &w);
}

static void send_data(struct rig *r, uint32_t id, const uint8_t *p, size_t n)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    spice_vd_agent_file_xfer_data_put(&w, &(struct spice_vd_agent_file_xfer_data){ id, n });
    floe_put_bytes(&w, p, n);
    rig_send_w(r, VD_AGENT_FILE_XFER_DATA, &w);
}

/* the next status: its result, and the detail's first field (or -1) */
static uint32_t expect_status(struct rig *r, uint32_t id, long long *detail)
{
    struct spice_vd_agent_file_xfer_status m;
    struct floe_rbuf rb;
    uint8_t *b;

    rig_expect(r, VD_AGENT_FILE_XFER_STATUS, &b, &rb);
    spice_vd_agent_file_xfer_status_get(&rb, &m);
    assert_false(rb.bad);
    assert_int_equal(m.id, id);
    *detail = -1;
    if (floe_rbuf_left(&rb) == SPICE_SIZE_vd_agent_file_xfer_status_error) {
        struct spice_vd_agent_file_xfer_status_error e;
        spice_vd_agent_file_xfer_status_error_get(&rb, &e);
        assert_int_equal(e.error_type, VD_AGENT_FILE_XFER_STATUS_ERROR_GLIB_IO);
        *detail = e.error_code;
    } else if (floe_rbuf_left(&rb) == SPICE_SIZE_vd_agent_file_xfer_status_no_space) {
        struct spice_vd_agent_file_xfer_status_no_space s;
        spice_vd_agent_file_xfer_status_no_space_get(&rb, &s);
        *detail = (long long)(s.disk_free_space >> 1);
    } else {
        assert_int_equal(floe_rbuf_left(&rb), 0);
    }
    free(b);
    return m.result;
}

static void check_file(const char *name, const uint8_t *p, size_t n)
{
    char path[256];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fstat(fileno(f), &st), 0);
    assert_int_equal(st.st_size, (off_t)n);
    uint8_t *buf = malloc(n + 1);
    assert_int_equal(fread(buf, 1, n, f), n);
    assert_memory_equal(buf, p, n);
    free(buf);
    fclose(f);
}

/* 200000 bytes in 65536-byte DATA messages (each in 2048-byte chunks), then
 * the same name again: "name (1)" */
static void test_byte_exact(void **state)
{
    struct rig *r = rig_new(dir);
    size_t n = 200000;
    uint8_t *data = malloc(n);
    long long detail;
    uint32_t seed = 1;

    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    for (uint32_t round = 0; round < 2; round++) {
        send_start(r, 7 + round, "report\\sfinal.bin", n);
        assert_int_equal(expect_status(r, 7 + round, &detail), VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
        for (size_t at = 0; at < n; at += 65536) {
            rig_expect_nothing(r);
            send_data(r, 7 + round, data + at, n - at < 65536 ? n - at : 65536);
        }
        assert_int_equal(expect_status(r, 7 + round, &detail), VD_AGENT_FILE_XFER_STATUS_SUCCESS);
    }
    check_file("report final.bin", data, n);
    check_file("report final.bin (1)", data, n);
    assert_int_equal(entries(), 2);   /* no temporary file left */
    assert_int_equal(floe_agent_errors(r->a), 0);
    free(data);
    rig_free(r);
}

static void test_bad_names(void **state)
{
    static const char *names[] = { "../evil", "a/b", "..", "", "x\\ny", "x\x01y", "." };
    struct rig *r = rig_new(dir);
    long long detail;

    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    for (uint32_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        send_start(r, i, names[i], 4);
        assert_int_equal(expect_status(r, i, &detail), VD_AGENT_FILE_XFER_STATUS_ERROR);
        assert_int_equal(detail, VD_AGENT_GIO_ERROR_INVALID_FILENAME);
        assert_non_null(strstr(r->log, "refused"));
    }
    /* no name= at all */
    struct floe_wbuf w;
    floe_wbuf_init(&w, 0);
    spice_vd_agent_file_xfer_start_put(&w, &(struct spice_vd_agent_file_xfer_start){ 50 });
    floe_put_bytes(&w, "[other]\nname=a\nsize=1\n", 22);
    rig_send_w(r, VD_AGENT_FILE_XFER_START, &w);
    assert_int_equal(expect_status(r, 50, &detail), VD_AGENT_FILE_XFER_STATUS_ERROR);
    assert_int_equal(entries(), 0);
    rig_free(r);
}

/* too large for the disk; more bytes than announced; cancelled by the
 * client; the client gone: nothing left in the folder */
static void test_refused_and_cancelled(void **state)
{
    struct rig *r = rig_new(dir);
    long long detail;
    uint8_t bytes[100] = { 0 };

    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    send_start(r, 1, "huge", 1ull << 62);
    assert_int_equal(expect_status(r, 1, &detail), VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE);
    assert_true(detail >= 0);

    send_start(r, 2, "short", 10);
    assert_int_equal(expect_status(r, 2, &detail), VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    send_data(r, 2, bytes, 11);
    assert_int_equal(expect_status(r, 2, &detail), VD_AGENT_FILE_XFER_STATUS_ERROR);
    assert_non_null(strstr(r->log, "more bytes than its size"));

    send_start(r, 3, "cancelled", 100);
    assert_int_equal(expect_status(r, 3, &detail), VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    send_data(r, 3, bytes, 50);
    assert_int_equal(entries(), 1);   /* its temporary file */
    struct floe_wbuf w;
    floe_wbuf_init(&w, 0);
    spice_vd_agent_file_xfer_status_put(&w, &(struct spice_vd_agent_file_xfer_status){
        3, VD_AGENT_FILE_XFER_STATUS_CANCELLED });
    rig_send_w(r, VD_AGENT_FILE_XFER_STATUS, &w);
    assert_int_equal(entries(), 0);
    send_data(r, 3, bytes, 50);
    assert_non_null(strstr(r->log, "not under way"));

    send_start(r, 4, "left", 100);
    assert_int_equal(expect_status(r, 4, &detail), VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    send_data(r, 4, bytes, 50);
    rig_send(r, VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0);
    assert_int_equal(entries(), 0);
    rig_expect_nothing(r);
    rig_free(r);
}

/* a client without FILE_XFER_DETAILED_ERRORS gets bare statuses; with no
 * folder, transfers are disabled */
static void test_plain_and_disabled(void **state)
{
    static const unsigned caps[] = { VD_AGENT_CAP_CLIPBOARD_BY_DEMAND };
    struct rig *r = rig_new(dir);
    long long detail;

    rig_client_caps(r, caps, 1);
    send_start(r, 1, "../x", 1);
    assert_int_equal(expect_status(r, 1, &detail), VD_AGENT_FILE_XFER_STATUS_ERROR);
    assert_int_equal(detail, -1);
    rig_free(r);

    r = rig_new(NULL);
    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    send_start(r, 5, "fine", 1);
    assert_int_equal(expect_status(r, 5, &detail), VD_AGENT_FILE_XFER_STATUS_DISABLED);
    rig_free(r);
    assert_int_equal(entries(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_byte_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_and_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_and_disabled, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
