/* display = qxl on a unix socket: QEMU binds it in a private folder beside
 * the path clients use, and the socket is moved to that path owner-only. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "floe/server.h"
#include "vmhost/vm-priv.h"

/* QEMU creates the socket (floe's library binds it inside QEMU), with the
 * mode QEMU's umask leaves, and QEMU's umask must stay the user's for the
 * files it writes (screendumps, logs). So QEMU binds it in a folder only the
 * owner can enter, the socket is made 0600 there and renamed to its path:
 * nobody else can reach it at any moment, and the path appears only once
 * QEMU listens. The folder is a sibling of the path, so the rename stays on
 * one file system. */
#define PRIVATE_DIR "/.floe-XXXXXX"
#define PRIVATE_SOCK "/s"

static bool is_unix(const struct floe_vm *vm)
{
    return vm->cfg.display == FLOE_VM_DISPLAY_QXL && vm->spice.unix_path[0];
}

/* Makes path free to bind (floe_server_unix_path_claim): 0, or -1 with one
 * line in err. */
static int claim_path(const char *path, char *err, size_t errlen)
{
    int stale, rc = floe_server_unix_path_claim(path, &stale);

    if (rc < 0) {
        snprintf(err, errlen, "cannot listen on unix:%s: %s", path,
                 floe_server_unix_path_error(rc));
        return -1;
    }
    if (stale)
        floe_info("vm: removed the stale socket %s (nothing listened on it)", path);
    return 0;
}

int vm_spice_unix_init(struct floe_vm *vm, char *err, size_t errlen)
{
    struct vm_spice *sp = &vm->spice;
    const char *path = vm->cfg.spice.unix_path;
    char copy[sizeof(sp->unix_path)];
    size_t dir_len;

    if (path[0] != '/' || strlen(path) >= sizeof(sp->unix_path))
        return snprintf(err, errlen, "cannot listen on unix:%s: an absolute path of at most "
                        "%zu bytes is needed", path, sizeof(sp->unix_path) - 1), -1;
    snprintf(sp->unix_path, sizeof(sp->unix_path), "%s", path);
    snprintf(copy, sizeof(copy), "%s", path);
    dir_len = strlen(dirname(copy));
    if (dir_len + strlen(PRIVATE_DIR PRIVATE_SOCK) >= sizeof(sp->unix_bound))
        return snprintf(err, errlen, "cannot listen on unix:%s: its folder's name must be at "
                        "most %zu bytes (QEMU binds the socket in a private folder there "
                        "first)", path,
                        sizeof(sp->unix_bound) - 1 - strlen(PRIVATE_DIR PRIVATE_SOCK)), -1;
    return claim_path(sp->unix_path, err, errlen);
}

int vm_spice_unix_before_spawn(struct floe_vm *vm, char *err, size_t errlen)
{
    struct vm_spice *sp = &vm->spice;
    char copy[sizeof(sp->unix_path)];
    const char *dir;
    size_t n;

    if (!is_unix(vm))
        return 0;
    vm_spice_unix_withdraw(vm);
    if (claim_path(sp->unix_path, err, errlen) < 0)
        return -1;
    snprintf(copy, sizeof(copy), "%s", sp->unix_path);
    dir = dirname(copy);
    if (!strcmp(dir, "/"))
        dir = "";
    /* vm_spice_unix_init() saw that the names fit */
    n = strlen(dir);
    memcpy(sp->unix_dir, dir, n);
    memcpy(sp->unix_dir + n, PRIVATE_DIR, sizeof(PRIVATE_DIR));
    if (!mkdtemp(sp->unix_dir)) {
        snprintf(err, errlen, "cannot make a private folder in %s: %s", n ? dir : "/",
                 strerror(errno));
        sp->unix_dir[0] = 0;
        return -1;
    }
    n = strlen(sp->unix_dir);
    memcpy(sp->unix_bound, sp->unix_dir, n);
    memcpy(sp->unix_bound + n, PRIVATE_SOCK, sizeof(PRIVATE_SOCK));
    return 0;
}

bool vm_spice_unix_pending(const struct floe_vm *vm)
{
    struct stat st;

    if (!is_unix(vm) || vm->spice.unix_published)
        return false;
    return stat(vm->spice.unix_bound, &st) < 0 || !S_ISSOCK(st.st_mode);
}

/* No other file may be at the path now: one there appeared since QEMU
 * started, and taking its place would cut off whoever made it. */
static int move_into_place(struct vm_spice *sp)
{
    if (renameat2(AT_FDCWD, sp->unix_bound, AT_FDCWD, sp->unix_path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -errno;
    /* a file system without RENAME_NOREPLACE: the same question, not atomic */
    if (access(sp->unix_path, F_OK) == 0)
        return -EEXIST;
    return rename(sp->unix_bound, sp->unix_path) < 0 ? -errno : 0;
}

int vm_spice_unix_publish(struct floe_vm *vm)
{
    struct vm_spice *sp = &vm->spice;
    struct stat st;
    int rc;

    if (!is_unix(vm) || sp->unix_published)
        return 0;
    rc = chmod(sp->unix_bound, 0600) < 0 ? -errno : move_into_place(sp);
    if (rc == 0 && lstat(sp->unix_path, &st) < 0)
        rc = -errno;
    if (rc < 0) {
        floe_err("vm: cannot put QEMU's SPICE socket at %s: %s", sp->unix_path,
                 rc == -EEXIST ? "another file appeared there meanwhile" : strerror(-rc));
        return -1;
    }
    sp->unix_dev = st.st_dev;
    sp->unix_ino = st.st_ino;
    sp->unix_published = true;
    rmdir(sp->unix_dir);
    sp->unix_dir[0] = 0;
    floe_info("vm: QEMU's SPICE server listens on unix:%s (mode 0600)", sp->unix_path);
    return 0;
}

void vm_spice_unix_withdraw(struct floe_vm *vm)
{
    struct vm_spice *sp = &vm->spice;
    struct stat st;

    /* only the socket put there: a file someone put in its place stays */
    if (sp->unix_published && lstat(sp->unix_path, &st) == 0 && st.st_dev == sp->unix_dev &&
        st.st_ino == sp->unix_ino)
        unlink(sp->unix_path);
    sp->unix_published = false;
    if (sp->unix_dir[0]) {
        unlink(sp->unix_bound);
        rmdir(sp->unix_dir);
        sp->unix_dir[0] = 0;
    }
    sp->unix_bound[0] = 0;
}
