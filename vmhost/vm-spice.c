/* display = qxl: QEMU serves SPICE itself with floe's libspice-server.so.1,
 * put first in its environment (with the sanitizer runtime it may need),
 * at the address floe-server was given, with floe-server's ticket settings. */
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "vmhost/vm-priv.h"

#define SPICE_LIB "libspice-server.so.1"
#define SECRET_ID "spice-password"

extern char **environ;

/* The lib folder beside the running program's bin folder. */
static char *default_lib_dir(void)
{
    char exe[PATH_MAX], *slash, *dir = NULL;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n <= 0)
        return NULL;
    exe[n] = 0;
    for (int up = 0; up < 2; up++) {
        slash = strrchr(exe, '/');
        if (!slash)
            return NULL;
        *slash = 0;
    }
    if (asprintf(&dir, "%s/lib", exe) < 0)
        dir = NULL;
    return dir;
}

struct runtime_search {
    const char *prefix;
    char *out;
    size_t len;
};

static int runtime_found(struct dl_phdr_info *info, size_t size, void *opaque)
{
    struct runtime_search *r = opaque;
    const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;

    if (!base || strncmp(base + 1, r->prefix, strlen(r->prefix)))
        return 0;
    snprintf(r->out, r->len, "%s", info->dlpi_name);
    return 1;
}

/* The path of a shared object this process has loaded whose name starts
 * with prefix, into out (empty when there is none). */
static void own_runtime(const char *prefix, char *out, size_t len)
{
    struct runtime_search r = { prefix, out, len };

    out[0] = 0;
    dl_iterate_phdr(runtime_found, &r);
}

static int find_library(struct floe_vm *vm, char *err, size_t errlen)
{
    char *lib = NULL;

    vm->spice.lib_dir = vm->cfg.spice_lib ? strdup(vm->cfg.spice_lib) : default_lib_dir();
    if (!vm->spice.lib_dir || asprintf(&lib, "%s/" SPICE_LIB, vm->spice.lib_dir) < 0) {
        snprintf(err, errlen, "display = qxl: cannot find floe's lib folder");
        return -1;
    }
    if (access(lib, R_OK) < 0) {
        snprintf(err, errlen, "display = qxl needs floe's " SPICE_LIB ": not found in %s",
                 vm->spice.lib_dir);
        free(lib);
        return -1;
    }
    /* a library built with AddressSanitizer loads only after its runtime,
     * which QEMU (built without) must then preload; the library beside
     * floe-server is built as floe-server is, so the runtime this process
     * runs with (if any) is the one it needs */
    if (vm->cfg.spice_preload)
        snprintf(vm->spice.preload, sizeof(vm->spice.preload), "%s", vm->cfg.spice_preload);
    else
        own_runtime("libasan.so", vm->spice.preload, sizeof(vm->spice.preload));
    free(lib);
    return 0;
}

/* Binds host:port (port 0: any) to see that it is free and learn the port. */
static int pick_port(struct floe_vm *vm, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
    struct addrinfo *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char serv[16];
    int fd = -1, rc, one = 1;

    snprintf(serv, sizeof(serv), "%d", vm->spice.port);
    rc = getaddrinfo(vm->spice.host, serv, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", vm->spice.host, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    rc = fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
         bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
         getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ? -errno : 0;
    freeaddrinfo(ai);
    if (fd >= 0)
        close(fd);
    if (rc < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", vm->spice.host, vm->spice.port,
                 strerror(-rc));
        return -1;
    }
    vm->spice.port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                    : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

int vm_spice_init(struct floe_vm *vm, char *err, size_t errlen)
{
    const struct floe_vm_spice *s = &vm->cfg.spice;

    snprintf(vm->spice.host, sizeof(vm->spice.host), "%s", s->host ? s->host : "127.0.0.1");
    vm->spice.port = s->port;
    snprintf(vm->spice.password_path, sizeof(vm->spice.password_path), "%s/spice-password",
             vm->dir);
    if (!s->disable_ticketing && !s->password_file) {
        snprintf(err, errlen, "display = qxl: a password file or disabled ticketing is needed");
        return -1;
    }
    if (find_library(vm, err, errlen) < 0)
        return -1;
    if (s->unix_path ? vm_spice_unix_init(vm, err, errlen) < 0 : pick_port(vm, err, errlen) < 0)
        return -1;
    if (s->unix_path)
        floe_info("vm: display = qxl: QEMU serves SPICE on unix:%s with %s/" SPICE_LIB "%s%s",
                  vm->spice.unix_path, vm->spice.lib_dir,
                  vm->spice.preload[0] ? ", preloading " : "", vm->spice.preload);
    else
        floe_info("vm: display = qxl: QEMU serves SPICE on %s:%d with %s/" SPICE_LIB "%s%s",
                  vm->spice.host, vm->spice.port, vm->spice.lib_dir,
                  vm->spice.preload[0] ? ", preloading " : "", vm->spice.preload);
    return 0;
}

void vm_spice_clear(struct floe_vm *vm)
{
    free(vm->spice.lib_dir);
    vm->spice.lib_dir = NULL;
    if (vm->spice.password_path[0])
        unlink(vm->spice.password_path);
    vm_spice_unix_withdraw(vm);
}

int floe_vm_spice_uri(const struct floe_vm *vm, char *buf, size_t len)
{
    const char *h = vm->spice.host;
    int v6 = strchr(h, ':') != NULL;

    if (vm->cfg.display != FLOE_VM_DISPLAY_QXL)
        return -1;
    if (vm->spice.unix_path[0])
        snprintf(buf, len, "spice+unix://%s", vm->spice.unix_path);
    else
        snprintf(buf, len, "spice://%s%s%s:%d", v6 ? "[" : "", h, v6 ? "]" : "",
                 vm->spice.port);
    return 0;
}

/* ---- QEMU's arguments ---- */

char *vm_spice_option(const struct floe_vm *vm)
{
    const struct floe_vm_spice *s = &vm->cfg.spice;
    char *addr = NULL, *out = NULL;
    char port[32];

    /* on a unix socket QEMU binds it in the private folder, not at its path */
    if (vm->spice.unix_path[0]) {
        addr = vm_escape_commas("addr=", vm->spice.unix_bound, "");
        snprintf(port, sizeof(port), "unix=on");
    } else {
        addr = vm_escape_commas("addr=", vm->spice.host, "");
        snprintf(port, sizeof(port), "port=%d", vm->spice.port);
    }
    if (addr && asprintf(&out, "%s,%s,%s%s%s%s%s%s%s%s%s", port, addr,
                         s->disable_ticketing ? "disable-ticketing=on"
                                              : "password-secret=" SECRET_ID,
                         s->image_compression ? ",image-compression=" : "",
                         s->image_compression ? s->image_compression : "",
                         s->jpeg_wan ? ",jpeg-wan-compression=" : "",
                         s->jpeg_wan ? s->jpeg_wan : "",
                         s->zlib_glz_wan ? ",zlib-glz-wan-compression=" : "",
                         s->zlib_glz_wan ? s->zlib_glz_wan : "",
                         s->streaming_video ? ",streaming-video=" : "",
                         s->streaming_video ? s->streaming_video : "") < 0)
        out = NULL;
    free(addr);
    return out;
}

char *vm_spice_secret_object(const struct floe_vm *vm)
{
    return vm_escape_commas("secret,id=" SECRET_ID ",format=raw,file=",
                            vm->spice.password_path, "");
}

/* ---- the password, read again at every start of QEMU ---- */

static int parse_when(const char *v, time_t *out)
{
    struct tm tm = { 0 };
    char *end;
    long long secs = strtoll(v, &end, 10);

    if (*v && !*end) {
        *out = (time_t)secs;
        return 0;
    }
    end = strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return -1;
    *out = timegm(&tm);
    return 0;
}

/* The first line of the password file into pw, and an expires= line. */
static int read_password(const char *path, char *pw, size_t pwlen, time_t *expiry,
                         char *err, size_t errlen)
{
    char line[256];
    FILE *f = fopen(path, "r");
    int rc = 0;

    *expiry = 0;
    if (!f)
        return snprintf(err, errlen, "password file %s: %s", path, strerror(errno)), -1;
    if (!fgets(line, sizeof(line), f))
        line[0] = 0;
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0] || strlen(line) >= pwlen) {
        snprintf(err, errlen, "password file %s: the password must be 1..%zu characters",
                 path, pwlen - 1);
        rc = -1;
    }
    snprintf(pw, pwlen, "%s", line);
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!strncmp(line, "expires=", 8) && parse_when(line + 8, expiry) < 0) {
            snprintf(err, errlen, "password file %s: bad expiry '%s'", path, line + 8);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

int vm_spice_before_spawn(struct floe_vm *vm, char *err, size_t errlen)
{
    char pw[61];
    int fd;
    ssize_t n;

    if (vm_spice_unix_before_spawn(vm, err, errlen) < 0)
        return -1;
    if (vm->cfg.display != FLOE_VM_DISPLAY_QXL || vm->cfg.spice.disable_ticketing)
        return 0;
    if (read_password(vm->cfg.spice.password_file, pw, sizeof(pw), &vm->spice.expiry, err,
                      errlen) < 0)
        return -1;
    /* QEMU's secret is the file's bytes as they are: no newline */
    unlink(vm->spice.password_path);
    fd = open(vm->spice.password_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    n = fd < 0 ? -1 : write(fd, pw, strlen(pw));
    if (fd >= 0)
        close(fd);
    memset(pw, 0, sizeof(pw));
    if (n < 0) {
        snprintf(err, errlen, "cannot write %s: %s", vm->spice.password_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- QEMU's environment ---- */

/* "key=first", or with old (when set) before or after it */
static char *env_entry(const char *key, const char *first, const char *old, bool old_first)
{
    char *e = NULL;
    int rc;

    if (!old || !*old)
        rc = asprintf(&e, "%s=%s", key, first);
    else if (old_first)
        rc = asprintf(&e, "%s=%s:%s", key, old, first);
    else
        rc = asprintf(&e, "%s=%s:%s", key, first, old);
    return rc < 0 ? NULL : e;
}

static bool is_key(const char *entry, const char *key)
{
    size_t n = strlen(key);

    return !strncmp(entry, key, n) && entry[n] == '=';
}

char **vm_spice_env(const struct floe_vm *vm)
{
    const char *pre = vm->spice.preload;
    size_t n = 0, at = 0;
    bool bad = false;
    char **env;

    if (vm->cfg.display != FLOE_VM_DISPLAY_QXL)
        return NULL;
    while (environ[n])
        n++;
    env = calloc(n + 4, sizeof(*env));
    if (!env)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!is_key(environ[i], "LD_LIBRARY_PATH") &&
            !(*pre && (is_key(environ[i], "LD_PRELOAD") || is_key(environ[i], "ASAN_OPTIONS"))))
            bad |= !(env[at++] = strdup(environ[i]));
    bad |= !(env[at++] = env_entry("LD_LIBRARY_PATH", vm->spice.lib_dir,
                                   getenv("LD_LIBRARY_PATH"), false));
    if (*pre) {
        bad |= !(env[at++] = env_entry("LD_PRELOAD", pre, getenv("LD_PRELOAD"), false));
        /* QEMU itself is not instrumented: its allocations are no leaks of ours */
        bad |= !(env[at++] = env_entry("ASAN_OPTIONS", "detect_leaks=0", getenv("ASAN_OPTIONS"),
                                       true));
    }
    if (bad) {
        for (size_t i = 0; i < at; i++)
            free(env[i]);
        free(env);
        return NULL;
    }
    return env;
}

void vm_spice_env_free(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* ---- once QMP is ready ---- */

static void expire_done(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    if (r->status != 0 && r->status != -ECANCELED && r->status != -ECONNRESET)
        floe_err("vm: QMP expire_password: %s", r->err_desc);
}

void vm_spice_qmp_ready(struct floe_vm *vm)
{
    struct json_object *args;
    char when[32];

    if (vm->cfg.display != FLOE_VM_DISPLAY_QXL || !vm->spice.expiry)
        return;
    snprintf(when, sizeof(when), "%lld", (long long)vm->spice.expiry);
    args = json_object_new_object();
    if (!args)
        return;
    json_object_object_add(args, "protocol", json_object_new_string("spice"));
    json_object_object_add(args, "time", json_object_new_string(when));
    floe_qmp_execute(vm->mon.qmp, "expire_password", args, QMP_TIMEOUT_MS, expire_done, vm);
}
