/* spice_server_*: the server object QEMU makes, its settings, start-up,
 * the interfaces QEMU adds, and the VM's run state. Settings QEMU makes
 * before spice_server_init take effect there; floe's server then runs on
 * a thread of its own. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "server/qemu/lib.h"

FQXL_EXPORT SpiceServer *spice_server_new(void)
{
    SpiceServer *s = calloc(1, sizeof(*s));

    /* QEMU never checks: without memory here it could not go on anyway,
     * as its own allocator would abort */
    if (!s)
        abort();
    s->image_compression = FLOE_IMAGE_AUTO_GLZ;
    s->jpeg_wan = FLOE_WAN_AUTO;
    s->zlib_glz_wan = FLOE_WAN_AUTO;
    s->playback_rate = 48000;
    s->record_rate = 48000;
    s->streaming_video = SPICE_STREAM_VIDEO_FILTER;
    s->agent_mouse = 1;
    s->agent_copypaste = 1;
    s->agent_file_xfer = 1;
    return s;
}

/* Hands fn(server, opaque) to floe's server thread, if it runs; otherwise
 * (or when it cannot) frees nothing and returns -ENODEV/-ENOMEM: the
 * caller keeps opaque. */
static int fqxl_call(SpiceServer *s, floe_server_call_fn *fn, void *opaque)
{
    if (!s || !s->thread)
        return -ENODEV;
    return floe_server_thread_call(s->thread, fn, opaque);
}

/* Monitors served: one per QXL device, up to the highest id. */
static int monitors_wanted(const SpiceServer *s)
{
    int n = 1;

    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
        if (s->qxl[k])
            n = k + 1;
    return n;
}

struct listen_req {
    SpiceServer *s;
    int err;
    uv_sem_t done;
};

static void do_listen(struct floe_server *srv, void *opaque)
{
    struct listen_req *r = opaque;
    SpiceServer *s = r->s;
    const char *host = s->addr && *s->addr ? s->addr : NULL;
    int bound = 0;

    if (s->addr_flags & SPICE_ADDR_FLAG_UNIX_ONLY) {
        r->err = floe_server_listen_unix(srv, s->addr ? s->addr : "");
    } else if (host) {
        r->err = floe_server_listen(srv, host, s->port, &bound);
    } else if (s->addr_flags & SPICE_ADDR_FLAG_IPV4_ONLY) {
        r->err = floe_server_listen(srv, "0.0.0.0", s->port, &bound);
    } else {
        /* every address, IPv6 and IPv4 alike, as the reference does */
        r->err = floe_server_listen(srv, "::", s->port, &bound);
        if (r->err < 0 && !(s->addr_flags & SPICE_ADDR_FLAG_IPV6_ONLY))
            r->err = floe_server_listen(srv, "0.0.0.0", s->port, &bound);
    }
    if (r->err == 0 && s->ticket_set)
        r->err = floe_server_set_ticket(srv, s->ticket, s->ticket_expires);
}

/* Starts floe's server thread with every signal blocked (QEMU's signals
 * belong to its own threads; SIGPIPE stays pending there too). */
static struct floe_server_thread *start_thread(const struct floe_server_options *opt)
{
    sigset_t all, old;
    struct floe_server_thread *t;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    t = floe_server_thread_new(opt);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return t;
}

FQXL_EXPORT int spice_server_init(SpiceServer *s, SpiceCoreInterface *core)
{
    struct floe_server_options opt = { 0 };
    struct listen_req req = { .s = s };

    if (s->inited) {
        floe_err("spice_server_init called twice");
        return -1;
    }
    floe_log_set_prefix("floe-spice");
    if (s->tls_port > 0) {
        floe_err("TLS (tls-port=%d) is not built into floe's SPICE server yet", s->tls_port);
        return -1;
    }
    if (s->sasl) {
        floe_err("SASL is not built into floe's SPICE server");
        return -1;
    }
    s->core = core;
    opt.name = s->name;
    memcpy(opt.uuid, s->uuid, sizeof(opt.uuid));
    opt.disable_ticketing = s->noauth;
    opt.image_compression = s->image_compression;
    opt.jpeg_wan = s->jpeg_wan;
    opt.zlib_glz_wan = s->zlib_glz_wan;
    opt.monitors = monitors_wanted(s);
    opt.streaming_video = s->streaming_video == SPICE_STREAM_VIDEO_ALL ? FLOE_STREAM_VIDEO_ALL
                          : s->streaming_video == SPICE_STREAM_VIDEO_FILTER
                              ? FLOE_STREAM_VIDEO_FILTER
                              : FLOE_STREAM_VIDEO_OFF;
    /* a second client replaces the first, as with the reference; floe's
     * own setting FLOE_SPICE_SHARED=1 lets several share the VM */
    opt.exclusive = !(getenv("FLOE_SPICE_SHARED") && !strcmp(getenv("FLOE_SPICE_SHARED"), "1"));

    s->thread = start_thread(&opt);
    if (!s->thread) {
        floe_err("cannot start floe's server: %s", strerror(errno));
        return -1;
    }
    s->main_loop = fqxl_main_new(core);
    s->input = fqxl_input_new(s);
    s->events = fqxl_events_new(s);
    if (!s->main_loop || !s->input || !s->events) {
        floe_err("out of memory starting the server");
        return -1;
    }
    floe_server_thread_call_wait(s->thread, fqxl_events_attach, s->events);
    floe_server_thread_call_wait(s->thread, fqxl_input_attach, s->input);
    if (s->port > 0 || (s->addr_flags & SPICE_ADDR_FLAG_UNIX_ONLY)) {
        floe_server_thread_call_wait(s->thread, do_listen, &req);
        if (req.err < 0) {
            floe_err("cannot listen on %s%s%d: %s", s->addr && *s->addr ? s->addr : "*",
                     s->addr_flags & SPICE_ADDR_FLAG_UNIX_ONLY ? "" : ":",
                     s->addr_flags & SPICE_ADDR_FLAG_UNIX_ONLY ? 0 : s->port,
                     strerror(-req.err));
            return -1;
        }
    }
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
        if (s->qxl[k])
            fqxl_worker_attach(s->qxl[k]->st, s->thread);
    s->inited = 1;
    return 0;
}

FQXL_EXPORT int spice_server_set_port(SpiceServer *s, int port)
{
    if (port < 0 || port > 65535)
        return -1;
    s->port = port;
    return 0;
}

FQXL_EXPORT void spice_server_set_addr(SpiceServer *s, const char *addr, int flags)
{
    free(s->addr);
    s->addr = addr ? strdup(addr) : NULL;
    s->addr_flags = flags;
}

FQXL_EXPORT int spice_server_set_noauth(SpiceServer *s)
{
    s->noauth = 1;
    s->ticket_set = 0;
    return 0;
}

FQXL_EXPORT int spice_server_set_sasl(SpiceServer *s, int enabled)
{
    s->sasl = enabled;
    return 0;
}

FQXL_EXPORT int spice_server_set_sasl_appname(SpiceServer *s, const char *appname)
{
    return 0;
}

FQXL_EXPORT int spice_server_set_tls(SpiceServer *s, int port, const char *ca_cert_file,
                                     const char *certs_file, const char *private_key_file,
                                     const char *key_passwd, const char *dh_key_file,
                                     const char *ciphersuite)
{
    s->tls_port = port;
    return 0;
}

FQXL_EXPORT int spice_server_set_channel_security(SpiceServer *s, const char *channel,
                                                  int security)
{
    return 0;
}

FQXL_EXPORT int spice_server_set_image_compression(SpiceServer *s, SpiceImageCompression comp)
{
    static const enum floe_image_compression map[] = {
        [SPICE_IMAGE_COMPRESSION_OFF] = FLOE_IMAGE_OFF,
        [SPICE_IMAGE_COMPRESSION_AUTO_GLZ] = FLOE_IMAGE_AUTO_GLZ,
        [SPICE_IMAGE_COMPRESSION_AUTO_LZ] = FLOE_IMAGE_AUTO_LZ,
        [SPICE_IMAGE_COMPRESSION_QUIC] = FLOE_IMAGE_QUIC,
        [SPICE_IMAGE_COMPRESSION_GLZ] = FLOE_IMAGE_GLZ,
        [SPICE_IMAGE_COMPRESSION_LZ] = FLOE_IMAGE_LZ,
        [SPICE_IMAGE_COMPRESSION_LZ4] = FLOE_IMAGE_LZ4,
    };

    if (comp <= SPICE_IMAGE_COMPRESSION_INVALID || comp > SPICE_IMAGE_COMPRESSION_LZ4)
        return -1;
    s->image_compression = map[comp];
    return 0;
}

static int wan(spice_wan_compression_t comp, enum floe_wan *out)
{
    switch (comp) {
    case SPICE_WAN_COMPRESSION_AUTO: *out = FLOE_WAN_AUTO; return 0;
    case SPICE_WAN_COMPRESSION_ALWAYS: *out = FLOE_WAN_ALWAYS; return 0;
    case SPICE_WAN_COMPRESSION_NEVER: *out = FLOE_WAN_NEVER; return 0;
    default: return -1;
    }
}

FQXL_EXPORT int spice_server_set_jpeg_compression(SpiceServer *s, spice_wan_compression_t comp)
{
    return wan(comp, &s->jpeg_wan);
}

FQXL_EXPORT int spice_server_set_zlib_glz_compression(SpiceServer *s,
                                                      spice_wan_compression_t comp)
{
    return wan(comp, &s->zlib_glz_wan);
}

FQXL_EXPORT int spice_server_set_streaming_video(SpiceServer *s, int value)
{
    if (value != SPICE_STREAM_VIDEO_OFF && value != SPICE_STREAM_VIDEO_ALL &&
        value != SPICE_STREAM_VIDEO_FILTER)
        return -1;
    s->streaming_video = value;
    return 0;
}

FQXL_EXPORT int spice_server_set_playback_compression(SpiceServer *s, int enable)
{
    s->playback_compression = enable;
    return 0;
}

FQXL_EXPORT int spice_server_set_agent_mouse(SpiceServer *s, int enable)
{
    s->agent_mouse = enable;
    return 0;
}

FQXL_EXPORT int spice_server_set_agent_copypaste(SpiceServer *s, int enable)
{
    s->agent_copypaste = enable;
    return 0;
}

FQXL_EXPORT int spice_server_set_agent_file_xfer(SpiceServer *s, int enable)
{
    s->agent_file_xfer = enable;
    return 0;
}

FQXL_EXPORT void spice_server_set_name(SpiceServer *s, const char *name)
{
    free(s->name);
    s->name = name ? strdup(name) : NULL;
}

FQXL_EXPORT void spice_server_set_uuid(SpiceServer *s, const uint8_t uuid[16])
{
    memcpy(s->uuid, uuid, 16);
}

FQXL_EXPORT void spice_server_set_seamless_migration(SpiceServer *s, int enable)
{
    s->seamless_migration = enable;
}

/* ---- tickets ---- */

struct ticket {
    char password[61];
    int set;
    time_t expires;
    int disconnect;
};

static void do_ticket(struct floe_server *srv, void *opaque)
{
    struct ticket *t = opaque;

    floe_server_set_ticket(srv, t->set ? t->password : NULL, t->expires);
    if (t->disconnect)
        floe_server_disconnect_clients(srv, 0, "the password changed");
    memset(t->password, 0, sizeof(t->password));
    free(t);
}

/* As the reference: lifetime 0 never expires; fail_if_connected refuses
 * while a client is connected; disconnect_if_connected cuts them. */
FQXL_EXPORT int spice_server_set_ticket(SpiceServer *s, const char *passwd, int lifetime,
                                        int fail_if_connected, int disconnect_if_connected)
{
    struct ticket *t;

    if (passwd && strlen(passwd) > 60) {
        floe_err("a SPICE password is at most 60 characters");
        return -1;
    }
    if (fail_if_connected && s->events && fqxl_events_clients(s->events) > 0)
        return -1;
    s->ticket_set = passwd != NULL;
    snprintf(s->ticket, sizeof(s->ticket), "%s", passwd ? passwd : "");
    s->ticket_expires = lifetime > 0 ? time(NULL) + lifetime : 0;
    if (lifetime < 0)
        s->ticket_expires = 1;   /* already expired */
    s->noauth = 0;
    if (!s->thread)
        return 0;
    t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    memcpy(t->password, s->ticket, sizeof(t->password));
    t->set = s->ticket_set;
    t->expires = s->ticket_expires;
    t->disconnect = disconnect_if_connected;
    if (fqxl_call(s, do_ticket, t) < 0) {
        free(t);
        return -1;
    }
    return 0;
}

/* ---- clients handed in ---- */

static void do_adopt(struct floe_server *srv, void *opaque)
{
    int fd = (int)(intptr_t)opaque;

    if (floe_server_adopt_fd(srv, fd) < 0)
        floe_warn("cannot serve the client handed in by QEMU");
}

FQXL_EXPORT int spice_server_add_client(SpiceServer *s, int socket, int skip_auth)
{
    if (fqxl_call(s, do_adopt, (void *)(intptr_t)socket) < 0)
        return -1;
    return 0;
}

FQXL_EXPORT int spice_server_add_ssl_client(SpiceServer *s, int socket, int skip_auth)
{
    floe_err("a TLS client was handed in, but TLS is not built into floe's SPICE server yet");
    return -1;
}

FQXL_EXPORT int spice_server_is_server_mouse(SpiceServer *s)
{
    return s->input ? fqxl_input_is_server_mouse(s->input) : 1;
}

/* ---- interfaces ---- */

static int version_ok(const SpiceBaseInterface *sif, unsigned major, unsigned minor)
{
    if (sif->major_version != major || sif->minor_version > minor) {
        floe_err("QEMU's %s interface is version %u.%u; floe's server knows %u.%u",
                 sif->type, sif->major_version, sif->minor_version, major, minor);
        return 0;
    }
    return 1;
}

static void do_monitors(struct floe_server *srv, void *opaque)
{
    floe_server_set_monitors(srv, (int)(intptr_t)opaque);
}

static int add_qxl(SpiceServer *s, QXLInstance *qxl)
{
    int k = qxl->id;

    if (!version_ok(qxl->base.sif, SPICE_INTERFACE_QXL_MAJOR, SPICE_INTERFACE_QXL_MINOR))
        return -1;
    if (k < 0 || k >= FLOE_SERVER_MAX_MONITORS || s->qxl[k]) {
        floe_err("QXL device %d: floe's server takes ids 0 to %d, each once", k,
                 FLOE_SERVER_MAX_MONITORS - 1);
        return -1;
    }
    qxl->st = fqxl_worker_new(s, qxl, k);
    if (!qxl->st)
        return -1;
    s->qxl[k] = qxl;
    if (s->events && fqxl_events_clients(s->events) > 0)
        fqxl_worker_clients(qxl->st, 1);
    if (s->input)
        fqxl_input_modes_update(s->input);
    if (s->thread) {
        /* clients that link from now on see this device's monitor */
        floe_server_thread_call(s->thread, do_monitors, (void *)(intptr_t)monitors_wanted(s));
        fqxl_worker_attach(qxl->st, s->thread);
    }
    fqxl_worker_set_running(qxl->st, s->vm_running);
    return 0;
}

FQXL_EXPORT int spice_server_add_interface(SpiceServer *s, SpiceBaseInstance *sin)
{
    const SpiceBaseInterface *sif = sin->sif;

    if (!strcmp(sif->type, SPICE_INTERFACE_QXL))
        return add_qxl(s, (QXLInstance *)sin);
    if (!strcmp(sif->type, SPICE_INTERFACE_KEYBOARD) ||
        !strcmp(sif->type, SPICE_INTERFACE_MOUSE) || !strcmp(sif->type, SPICE_INTERFACE_TABLET)) {
        if (!s->input) {
            floe_err("the %s interface was added before spice_server_init", sif->type);
            return -1;
        }
        return fqxl_input_add(s->input, sin);
    }
    if (!strcmp(sif->type, SPICE_INTERFACE_MIGRATION)) {
        if (!version_ok(sif, SPICE_INTERFACE_MIGRATION_MAJOR, SPICE_INTERFACE_MIGRATION_MINOR))
            return -1;
        s->migrate = (SpiceMigrateInstance *)sin;
        return 0;
    }
    if (!strcmp(sif->type, SPICE_INTERFACE_PLAYBACK) || !strcmp(sif->type, SPICE_INTERFACE_RECORD) ||
        !strcmp(sif->type, SPICE_INTERFACE_CHAR_DEVICE))
        return fqxl_device_add(s, sin);
    floe_err("QEMU added an interface floe's server does not know: %s", sif->type);
    return -1;
}

FQXL_EXPORT int spice_server_remove_interface(SpiceBaseInstance *sin)
{
    const SpiceBaseInterface *sif = sin->sif;

    if (!strcmp(sif->type, SPICE_INTERFACE_QXL)) {
        QXLInstance *qxl = (QXLInstance *)sin;
        SpiceServer *s = fqxl_worker_server(qxl->st);

        if (qxl->id >= 0 && qxl->id < FLOE_SERVER_MAX_MONITORS && s->qxl[qxl->id] == qxl)
            s->qxl[qxl->id] = NULL;
        if (s->input)
            fqxl_input_modes_update(s->input);
        fqxl_worker_free(qxl->st);
        qxl->st = NULL;
        return 0;
    }
    if (!strcmp(sif->type, SPICE_INTERFACE_KEYBOARD) ||
        !strcmp(sif->type, SPICE_INTERFACE_MOUSE) || !strcmp(sif->type, SPICE_INTERFACE_TABLET))
        return fqxl_input_remove_instance(sin);
    if (!strcmp(sif->type, SPICE_INTERFACE_PLAYBACK) || !strcmp(sif->type, SPICE_INTERFACE_RECORD) ||
        !strcmp(sif->type, SPICE_INTERFACE_CHAR_DEVICE))
        return fqxl_device_remove(sin);
    return 0;
}

/* ---- the VM's run state ---- */

FQXL_EXPORT void spice_server_vm_start(SpiceServer *s)
{
    s->vm_running = 1;
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
        if (s->qxl[k])
            fqxl_worker_set_running(s->qxl[k]->st, 1);
}

FQXL_EXPORT void spice_server_vm_stop(SpiceServer *s)
{
    s->vm_running = 0;
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
        if (s->qxl[k])
            fqxl_worker_set_running(s->qxl[k]->st, 0);
}

/* ---- migration: seamless migration of clients comes later ---- */

FQXL_EXPORT int spice_server_migrate_connect(SpiceServer *s, const char *dest, int port,
                                             int secure_port, const char *cert_subject)
{
    floe_err("moving SPICE clients to another host (client_migrate_info to %s) is not "
             "supported by floe's SPICE server yet; clients reconnect by themselves",
             dest ? dest : "?");
    return -1;
}

FQXL_EXPORT int spice_server_migrate_start(SpiceServer *s)
{
    return 0;
}

FQXL_EXPORT int spice_server_migrate_end(SpiceServer *s, int completed)
{
    /* QEMU waits for this before it lets the migration end */
    if (s->migrate) {
        const SpiceMigrateInterface *mi =
            (const SpiceMigrateInterface *)s->migrate->base.sif;
        if (mi->migrate_end_complete)
            mi->migrate_end_complete(s->migrate);
    }
    return 0;
}
