/* Plays a QXL recording (made with FLOE_QXL_RECORD; the format is in
 * server/qemu/record.h) to any libspice-server.so.1, as QEMU's qxl device
 * would have: memslots rebuilt over memory of its own holding the recorded
 * bytes where they were, the primary surface created, each command handed
 * through its ring once the bytes it read are in place, releases taken
 * back, device calls made in their order. Then it asks for the whole
 * primary surface and writes what the library rendered there.
 *
 *   qxl_replay LIBRARY PORT RECORDING [--wait-client] [--surface FILE.ppm]
 *
 * --wait-client: play once a display channel is up (else at once).
 * Memory the library still holds (a command not yet released) is written
 * only once it is released; the library is nudged with spice_qxl_oom and,
 * after a while, an update_area of the primary, as a guest out of memory
 * would. A memslot too large to map (QEMU's own memory, the host group) is
 * left out with everything in it, and counted.
 *
 * It links nothing of floe's. Lines on standard output: "listening PORT",
 * the channel events, a "memslot ... left out" line per memslot left out,
 * "async_complete cookie=N" for the last update_area, "replayed ...",
 * "skipped ...", "released N of M (...)", then "ready"; it runs until
 * SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spice.h>

#include "tests/host/guest-mem.h"
#include "tests/host/qxl-record-read.h"
#include "tests/host/spice-api.h"
#include "tests/host/spice-core.h"

static struct host_spice_api api;

#define RING_SIZE 32u            /* as QEMU's rings */
#define NUDGE_MS 100
#define UPDATE_AFTER_MS 1000
#define GIVE_UP_MS 5000
#define FINAL_COOKIE 0x5eed0000u

struct ring {
    QXLCommandExt cmd[RING_SIZE];
    unsigned head, count;
    int want_wakeup;
};

static struct {
    uint8_t *rec;
    size_t len, pos;
    struct qrec_header hdr;
    struct qrec_event ev;
    int have_ev, done;
    struct gmem *mem;
    int64_t blocked_since, last_nudge;
    int updated_while_blocked;
    int have_primary, running;
    uint8_t *primary;            /* its top row */
    int primary_w, primary_h, primary_bpp;
    int32_t primary_stride;
    /* counts */
    size_t commands, ring_cmds[3], calls, skipped_cmds[QREC_MAX_GROUPS], skipped_calls;
    size_t bytes, skipped_bytes, waits, overwritten;
    SpiceServer *server;
    QXLInstance qxl;
    pthread_mutex_t lock;        /* the rings and everything below */
    struct ring disp, curs;
    size_t released, unknown_releases;
    uint64_t waiting;            /* the cookie of an async call not yet complete */
    int display_up;
} H;

static void die(const char *what)
{
    host_die("qxl_replay", what);
}

/* While memory to write is held: what a guest short of memory does. */
static void nudge(int64_t now)
{
    if (now - H.last_nudge < NUDGE_MS)
        return;
    H.last_nudge = now;
    if (H.running)
        api.spice_qxl_oom(&H.qxl);
    if (now - H.blocked_since >= UPDATE_AFTER_MS && !H.updated_while_blocked && H.have_primary) {
        QXLRect all = { .top = 0, .left = 0, .bottom = H.primary_h, .right = H.primary_w };

        H.updated_while_blocked = 1;
        api.spice_qxl_update_area(&H.qxl, 0, &all, NULL, 0, 0);
    }
}

/* 1 when written (or left out), 0 while the library holds it. */
static int memory_step(const struct qrec_event *ev)
{
    size_t n = ev->u.memory.size;
    uint8_t *dst = gmem_at(H.mem, ev->u.memory.group, ev->u.memory.slot, ev->u.memory.offset, n);

    if (!dst) {
        H.skipped_bytes += n;
        return 1;
    }
    if (memcmp(dst, ev->u.memory.bytes, n) != 0) {
        if (gmem_held(H.mem, dst, n)) {
            int64_t now = host_now_ms();

            if (!H.blocked_since) {
                H.blocked_since = now;
                H.waits++;
            }
            if (now - H.blocked_since < GIVE_UP_MS) {
                nudge(now);
                return 0;
            }
            H.overwritten++;
        }
        memcpy(dst, ev->u.memory.bytes, n);
    }
    H.blocked_since = 0;
    H.updated_while_blocked = 0;
    H.bytes += n;
    gmem_note(H.mem, dst, n);
    return 1;
}

/* ---- rings and releases ---- */

static int drained(void)
{
    int d;

    pthread_mutex_lock(&H.lock);
    d = H.disp.count == 0 && H.curs.count == 0;
    pthread_mutex_unlock(&H.lock);
    return d;
}

static int command_step(const struct qrec_event *ev)
{
    struct ring *r = ev->u.command.ring == FQXL_REC_RING_CURSOR ? &H.curs : &H.disp;
    QXLCommandExt ext = { .cmd = { .data = ev->u.command.addr, .type = ev->u.command.type },
                          .group_id = ev->u.command.group, .flags = ev->u.command.flags };
    uint8_t *at = gmem_translate(H.mem, ev->u.command.group, ev->u.command.addr,
                                 sizeof(QXLReleaseInfo));
    int wake;

    if (ev->u.command.ring == FQXL_REC_RING_SAVED ? !drained() : r->count == RING_SIZE)
        return 0;
    if (!at) {
        H.skipped_cmds[ev->u.command.group]++;
        gmem_drop_notes(H.mem);
        return 1;
    }
    H.commands++;
    H.ring_cmds[ev->u.command.ring]++;
    gmem_hold(H.mem, at);
    if (ev->u.command.ring == FQXL_REC_RING_SAVED) {
        api.spice_qxl_loadvm_commands(&H.qxl, &ext, 1);
        return 1;
    }
    pthread_mutex_lock(&H.lock);
    r->cmd[(r->head + r->count++) % RING_SIZE] = ext;
    wake = r->want_wakeup;
    r->want_wakeup = 0;
    pthread_mutex_unlock(&H.lock);
    if (wake)
        api.spice_qxl_wakeup(&H.qxl);
    return 1;
}

static int ring_get(struct ring *r, QXLCommandExt *cmd)
{
    int got = 0;

    pthread_mutex_lock(&H.lock);
    if (r->count) {
        *cmd = r->cmd[r->head];
        r->head = (r->head + 1) % RING_SIZE;
        r->count--;
        got = 1;
    }
    pthread_mutex_unlock(&H.lock);
    if (got)
        host_core_wake();   /* room on the ring */
    return got;
}

static int ring_req_notification(struct ring *r)
{
    int empty;

    pthread_mutex_lock(&H.lock);
    empty = r->count == 0;
    r->want_wakeup = empty;
    pthread_mutex_unlock(&H.lock);
    return empty;
}

static int get_command(QXLInstance *qin, QXLCommandExt *cmd)
{
    return ring_get(&H.disp, cmd);
}

static int req_cmd_notification(QXLInstance *qin)
{
    return ring_req_notification(&H.disp);
}

static int get_cursor_command(QXLInstance *qin, QXLCommandExt *cmd)
{
    return ring_get(&H.curs, cmd);
}

static int req_cursor_notification(QXLInstance *qin)
{
    return ring_req_notification(&H.curs);
}

static void release_resource(QXLInstance *qin, QXLReleaseInfoExt ext)
{
    int known = gmem_release(H.mem, ext.info) == 0;

    pthread_mutex_lock(&H.lock);
    if (known)
        H.released++;
    else
        H.unknown_releases++;
    pthread_mutex_unlock(&H.lock);
    host_core_wake();
}

/* ---- device calls ---- */

static void slot_add(const struct qrec_event *ev)
{
    uint64_t start = ev->u.slot_add.virt_start, end = ev->u.slot_add.virt_end;
    uint8_t *base = gmem_slot_add(H.mem, ev->u.slot_add.group, ev->u.slot_add.slot, start, end,
                                  ev->u.slot_add.addr_delta);
    QXLDevMemSlot m = { .slot_group_id = ev->u.slot_add.group, .slot_id = ev->u.slot_add.slot,
                        .generation = ev->u.slot_add.generation,
                        .qxl_ram_size = ev->u.slot_add.qxl_ram_size };

    if (!base) {
        host_say("memslot %u:%u of %llu bytes left out (too large to map)", m.slot_group_id,
            m.slot_id, (unsigned long long)(end - start));
        return;
    }
    m.virt_start = (uintptr_t)base;
    m.virt_end = (uintptr_t)base + (end - start);
    /* QXL addresses stay as recorded: they now land in our memory */
    m.addr_delta = ev->u.slot_add.addr_delta + ((uint64_t)(uintptr_t)base - start);
    api.spice_qxl_add_memslot(&H.qxl, &m);
}

static void primary_step(const struct qrec_event *ev)
{
    QXLDevSurfaceCreate c = ev->u.primary.create;
    uint64_t rowbytes = (uint64_t)(c.stride < 0 ? -(int64_t)c.stride : c.stride);
    uint8_t *mem = gmem_translate(H.mem, c.group_id, c.mem, rowbytes * c.height);

    if (!mem || c.height == 0) {
        H.skipped_calls++;
        return;
    }
    H.have_primary = 1;
    H.primary_w = (int)c.width;
    H.primary_h = (int)c.height;
    H.primary_stride = c.stride;
    H.primary_bpp = c.format == SPICE_SURFACE_FMT_32_xRGB || c.format == SPICE_SURFACE_FMT_32_ARGB;
    H.primary = c.stride < 0 ? mem + rowbytes * (c.height - 1) : mem;
    H.calls++;
    api.spice_qxl_create_primary_surface(&H.qxl, ev->u.primary.surface_id, &c);
}

static void wait_for(uint64_t cookie)
{
    pthread_mutex_lock(&H.lock);
    H.waiting = cookie;
    pthread_mutex_unlock(&H.lock);
}

static void call_step(const struct qrec_event *ev)
{
    QXLRect area = ev->u.call.area;
    uint32_t sid = ev->u.call.surface_id;
    uint64_t cookie = H.calls + 1;
    int async = ev->u.call.async;

    /* what concerns a primary left out is left out too */
    if (!H.have_primary && sid == 0 && (ev->u.call.call == FQXL_REC_CALL_UPDATE_AREA ||
                                        ev->u.call.call == FQXL_REC_CALL_DESTROY_PRIMARY)) {
        H.skipped_calls++;
        return;
    }
    H.calls++;
    if (async)
        wait_for(cookie);
    switch (ev->u.call.call) {
    case FQXL_REC_CALL_DESTROY_PRIMARY:
        H.have_primary = 0;
        if (async)
            api.spice_qxl_destroy_primary_surface_async(&H.qxl, sid, cookie);
        else
            api.spice_qxl_destroy_primary_surface(&H.qxl, sid);
        break;
    case FQXL_REC_CALL_DESTROY_SURFACES:
        H.have_primary = 0;
        if (async)
            api.spice_qxl_destroy_surfaces_async(&H.qxl, cookie);
        else
            api.spice_qxl_destroy_surfaces(&H.qxl);
        break;
    case FQXL_REC_CALL_DESTROY_SURFACE:
        if (async)
            api.spice_qxl_destroy_surface_async(&H.qxl, sid, cookie);
        else
            api.spice_qxl_destroy_surface_wait(&H.qxl, sid);
        break;
    case FQXL_REC_CALL_UPDATE_AREA:
        if (async)
            api.spice_qxl_update_area_async(&H.qxl, sid, &area, ev->u.call.clear, cookie);
        else
            api.spice_qxl_update_area(&H.qxl, sid, &area, NULL, 0, ev->u.call.clear);
        break;
    case FQXL_REC_CALL_RESET_IMAGE_CACHE:
        api.spice_qxl_reset_image_cache(&H.qxl);
        break;
    case FQXL_REC_CALL_RESET_CURSOR:
        api.spice_qxl_reset_cursor(&H.qxl);
        break;
    case FQXL_REC_CALL_FLUSH_SURFACES:
        wait_for(cookie);
        api.spice_qxl_flush_surfaces_async(&H.qxl, cookie);
        break;
    case FQXL_REC_CALL_MONITORS_CONFIG:
        wait_for(cookie);
        api.spice_qxl_monitors_config_async(&H.qxl, ev->u.call.addr, (int)ev->u.call.group,
                                            cookie);
        break;
    case FQXL_REC_CALL_DRIVER_UNLOAD:
        H.have_primary = 0;
        api.spice_qxl_driver_unload(&H.qxl);
        break;
    case FQXL_REC_CALL_OOM:
        api.spice_qxl_oom(&H.qxl);
        break;
    case FQXL_REC_CALL_VM_START:
        if (!H.running)
            api.spice_server_vm_start(H.server);
        H.running = 1;
        break;
    case FQXL_REC_CALL_VM_STOP:
        /* the recording's last stop is where the picture is taken */
        if (H.running && H.pos < H.len) {
            api.spice_server_vm_stop(H.server);
            H.running = 0;
        }
        break;
    }
}

/* 1 when the event was played, 0 when it must wait. */
static int step(const struct qrec_event *ev)
{
    int ring_bound = ev->type == FQXL_REC_MEMORY || ev->type == FQXL_REC_COMMAND;

    /* device calls come after the commands before them were taken */
    if (!ring_bound && !drained())
        return 0;
    switch (ev->type) {
    case FQXL_REC_MEMORY:
        return memory_step(ev);
    case FQXL_REC_COMMAND:
        return command_step(ev);
    case FQXL_REC_MEMSLOT_ADD:
        slot_add(ev);
        break;
    case FQXL_REC_MEMSLOT_DEL:
        gmem_slot_del(H.mem, ev->u.slot_del.group, ev->u.slot_del.slot);
        api.spice_qxl_del_memslot(&H.qxl, ev->u.slot_del.group, ev->u.slot_del.slot);
        break;
    case FQXL_REC_MEMSLOTS_RESET:
        gmem_reset(H.mem);
        api.spice_qxl_reset_memslots(&H.qxl);
        break;
    case FQXL_REC_PRIMARY:
        primary_step(ev);
        break;
    case FQXL_REC_CALL:
        call_step(ev);
        break;
    }
    return 1;
}

static int async_out(void)
{
    int w;

    pthread_mutex_lock(&H.lock);
    w = H.waiting != 0;
    pthread_mutex_unlock(&H.lock);
    return w;
}

/* Plays events until one must wait or an async call is out. */
static void advance(void)
{
    const char *why = "";

    while (!H.done) {
        if (async_out())
            return;
        if (!H.have_ev) {
            int rc = qrec_next(H.rec, H.len, &H.hdr, &H.pos, &H.ev, &why);

            if (rc < 0) {
                fprintf(stderr, "qxl_replay: bad recording at byte %zu: %s\n", H.pos, why);
                exit(2);
            }
            if (rc == 0) {
                H.done = 1;
                return;
            }
            H.have_ev = 1;
        }
        if (!step(&H.ev))
            return;
        H.have_ev = 0;
    }
}

/* ---- the device's other callbacks ---- */

static void attached_worker(QXLInstance *qin)
{
}

static void set_compression_level(QXLInstance *qin, int level)
{
}

static void set_mm_time(QXLInstance *qin, uint32_t mm_time)
{
}

static void get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    memset(info, 0, sizeof(*info));
    info->num_memslots_groups = H.hdr.groups;
    info->num_memslots = H.hdr.slots;
    info->memslot_gen_bits = H.hdr.gen_bits;
    info->memslot_id_bits = H.hdr.id_bits;
    info->qxl_ram_size = H.hdr.qxl_ram_size;
    info->n_surfaces = H.hdr.n_surfaces;
}

static void notify_update(QXLInstance *qin, uint32_t update_id)
{
}

static int flush_resources(QXLInstance *qin)
{
    return 0;
}

static void async_complete(QXLInstance *qin, uint64_t cookie)
{
    pthread_mutex_lock(&H.lock);
    if (cookie == H.waiting)
        H.waiting = 0;
    pthread_mutex_unlock(&H.lock);
    if (cookie == FINAL_COOKIE)
        host_say("async_complete cookie=%llu", (unsigned long long)cookie);
    host_core_wake();
}

static void update_area_complete(QXLInstance *qin, uint32_t surface_id, QXLRect *rects,
                                 uint32_t n)
{
}

static void set_client_capabilities(QXLInstance *qin, uint8_t client_present,
                                    uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
}

static int client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *mc)
{
    return 1;
}

static const QXLInterface qxl_interface = {
    .base = { .type = SPICE_INTERFACE_QXL, .description = "qxl_replay",
              .major_version = SPICE_INTERFACE_QXL_MAJOR,
              .minor_version = SPICE_INTERFACE_QXL_MINOR },
    .attached_worker = attached_worker,
    .set_compression_level = set_compression_level,
    .set_mm_time = set_mm_time,
    .get_init_info = get_init_info,
    .get_command = get_command,
    .req_cmd_notification = req_cmd_notification,
    .release_resource = release_resource,
    .get_cursor_command = get_cursor_command,
    .req_cursor_notification = req_cursor_notification,
    .notify_update = notify_update,
    .flush_resources = flush_resources,
    .async_complete = async_complete,
    .update_area_complete = update_area_complete,
    .set_client_capabilities = set_client_capabilities,
    .client_monitors_config = client_monitors_config,
};

/* ---- the program ---- */

static void channel_event(int event, SpiceChannelEventInfo *info)
{
    static const char *const names[] = { "?", "connected", "initialized", "disconnected" };

    host_say("channel %s type=%d id=%d", names[event >= 1 && event <= 3 ? event : 0], info->type,
        info->id);
    if (event == SPICE_CHANNEL_EVENT_INITIALIZED && info->type == SPICE_CHANNEL_DISPLAY) {
        pthread_mutex_lock(&H.lock);
        H.display_up = 1;
        pthread_mutex_unlock(&H.lock);
        host_core_wake();
    }
}

static volatile sig_atomic_t quitting;

static void on_signal(int sig)
{
    quitting = 1;
}

static void load_recording(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    size_t got = 0;
    const char *why = "";

    if (fd < 0 || fstat(fd, &st) < 0)
        die("cannot open the recording");
    H.len = (size_t)st.st_size;
    H.rec = malloc(H.len ? H.len : 1);
    if (!H.rec)
        die("out of memory");
    while (got < H.len) {
        ssize_t n = read(fd, H.rec + got, H.len - got);

        if (n <= 0)
            die("cannot read the recording");
        got += (size_t)n;
    }
    close(fd);
    if (qrec_header_read(H.rec, H.len, &H.hdr, &H.pos, &why) < 0) {
        fprintf(stderr, "qxl_replay: %s: %s\n", path, why);
        exit(2);
    }
    /* read it all once: a damaged recording is refused before anything is played */
    for (size_t at = H.pos;;) {
        int rc = qrec_next(H.rec, H.len, &H.hdr, &at, &H.ev, &why);

        if (rc == 0)
            break;
        if (rc < 0) {
            fprintf(stderr, "qxl_replay: %s: bad record before byte %zu: %s\n", path, at, why);
            exit(2);
        }
    }
    H.mem = gmem_new(H.hdr.groups, H.hdr.slots, H.hdr.id_bits, H.hdr.gen_bits);
    if (!H.mem)
        die("out of memory");
}

static void surface_dump(const char *path)
{
    FILE *f;

    if (!H.have_primary || !H.primary_bpp) {
        host_say("no 32-bit primary surface to write");
        return;
    }
    f = fopen(path, "wb");
    if (!f)
        die("cannot write the surface");
    fprintf(f, "P6\n%d %d\n255\n", H.primary_w, H.primary_h);
    for (int y = 0; y < H.primary_h; y++) {
        const uint8_t *row = H.primary + (ptrdiff_t)y * H.primary_stride;

        for (int x = 0; x < H.primary_w; x++) {
            uint8_t rgb[3] = { row[4 * x + 2], row[4 * x + 1], row[4 * x] };

            fwrite(rgb, 1, 3, f);
        }
    }
    if (fclose(f) != 0)
        die("cannot write the surface");
}

static void report(void)
{
    size_t held = gmem_held_count(H.mem);

    pthread_mutex_lock(&H.lock);
    host_say("replayed %zu commands (display %zu, cursor %zu, saved %zu), %zu device calls, "
        "%zu bytes of guest memory", H.commands, H.ring_cmds[FQXL_REC_RING_DISPLAY],
        H.ring_cmds[FQXL_REC_RING_CURSOR], H.ring_cmds[FQXL_REC_RING_SAVED], H.calls, H.bytes);
    for (uint32_t g = 0; g < H.hdr.groups; g++)
        host_say("skipped commands group=%u %zu", g, H.skipped_cmds[g]);
    host_say("skipped calls %zu bytes %zu", H.skipped_calls, H.skipped_bytes);
    host_say("released %zu of %zu (%zu held, %zu unknown releases, %zu writes waited for a "
        "release, %zu held writes forced)", H.released, H.commands, held, H.unknown_releases,
        H.waits, H.overwritten);
    pthread_mutex_unlock(&H.lock);
}

/* Plays, then asks for the whole primary once everything was taken. */
static void run(int wait_client, const char *surface_ppm)
{
    int64_t start_at = wait_client ? -1 : 0;
    int asked = 0, reported = 0;

    while (!quitting) {
        int display_up;

        host_core_turn(H.done && reported ? 1000 : 5);
        pthread_mutex_lock(&H.lock);
        display_up = H.display_up;
        pthread_mutex_unlock(&H.lock);
        if (start_at < 0 && display_up)
            start_at = host_now_ms() + 1000;
        if (start_at < 0 || host_now_ms() < start_at)
            continue;
        advance();
        if (H.done && !asked && drained() && !async_out()) {
            QXLRect all = { .top = 0, .left = 0, .bottom = H.primary_h, .right = H.primary_w };

            asked = 1;
            if (!H.running)
                api.spice_server_vm_start(H.server);
            H.running = 1;
            if (H.have_primary) {
                wait_for(FINAL_COOKIE);
                api.spice_qxl_update_area_async(&H.qxl, 0, &all, 1, FINAL_COOKIE);
            }
        }
        if (asked && !reported && !async_out()) {
            reported = 1;
            report();
            if (surface_ppm)
                surface_dump(surface_ppm);
            host_say("ready");
        }
    }
}

int main(int argc, char **argv)
{
    const char *surface_ppm = NULL;
    int wait_client = 0;
    struct sigaction sa = { .sa_handler = on_signal };

    if (argc < 4)
        die("usage: qxl_replay LIBRARY PORT RECORDING [--wait-client] [--surface FILE.ppm]");
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--wait-client") == 0)
            wait_client = 1;
        else if (strcmp(argv[i], "--surface") == 0 && i + 1 < argc)
            surface_ppm = argv[++i];
        else
            die("unknown option (see the top of qxl_replay.c)");
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&H.lock, NULL);
    H.disp.want_wakeup = H.curs.want_wakeup = 1;
    load_recording(argv[3]);
    host_core_init("qxl_replay", channel_event);
    host_spice_load(&api, "qxl_replay", argv[1]);
    H.server = host_spice_server_start(&api, "qxl_replay", atoi(argv[2]), SPICE_STREAM_VIDEO_OFF);
    H.qxl.base.sif = &qxl_interface.base;
    if (api.spice_server_add_interface(H.server, &H.qxl.base) != 0)
        die("spice_server_add_interface refused the QXL device");
    host_say("listening %s", argv[2]);
    run(wait_client, surface_ppm);
    if (H.running)
        api.spice_server_vm_stop(H.server);
    host_say("stopped");
    return 0;
}
