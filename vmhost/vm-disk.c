/* The VM's disk when the config names a template: the qcow2 overlay QEMU
 * writes to, made with qemu-img at the first start, and whether snapshots fit. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "vmhost/vm-priv.h"

extern char **environ;

/* Runs qemu-img (env QEMU_IMG overrides it) to make overlay on template;
 * blocks for the moment this takes. 0, or -1 with one line in err. */
static int make_overlay(const char *template_file, const char *overlay, char *err, size_t errlen)
{
    const char *img = getenv("QEMU_IMG");
    char *argv[] = { (char *)(img && *img ? img : "qemu-img"), "create", "-q", "-f", "qcow2",
                     "-b", (char *)template_file, "-F",
                     vm_has_suffix(template_file, ".qcow2") ? "qcow2" : "raw",
                     (char *)overlay, NULL };
    pid_t pid;
    int rc, status;

    rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "%s: %s", argv[0], strerror(errno));
            return -1;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "%s could not create the overlay %s on %s", argv[0], overlay,
                 template_file);
        return -1;
    }
    floe_info("vm: created the overlay %s on %s", overlay, template_file);
    return 0;
}

/* The overlay QEMU boots from: the configured one or one in the run
 * folder, made once; the template stays as it is (QEMU opens backing
 * files read-only). */
int vm_disk_prepare(struct floe_vm *vm, char *err, size_t errlen)
{
    const struct floe_vm_config *c = &vm->cfg;
    char *abs_template;
    int rc = 0;

    if (!c->template_file || vm->overlay[0])
        return 0;
    if (c->overlay)
        snprintf(vm->overlay, sizeof(vm->overlay), "%s", c->overlay);
    else
        snprintf(vm->overlay, sizeof(vm->overlay), "%s/overlay.qcow2", vm->dir);
    if (access(vm->overlay, F_OK) == 0)
        return 0;
    /* the overlay records the backing path; relative ones would be read
     * from the overlay's folder */
    abs_template = realpath(c->template_file, NULL);
    if (!abs_template) {
        snprintf(err, errlen, "template '%s': %s", c->template_file, strerror(errno));
        rc = -1;
    } else {
        rc = make_overlay(abs_template, vm->overlay, err, errlen);
    }
    free(abs_template);
    if (rc == 0)
        vm->overlay_is_ours = !c->overlay;
    else
        vm->overlay[0] = 0;
    return rc;
}

int vm_disk_has_snapshots(const struct floe_vm *vm)
{
    const struct floe_vm_config *c = &vm->cfg;

    return c->template_file || (c->disk && vm_has_suffix(c->disk, ".qcow2"));
}
