/* The accelerator: KVM when it really runs guests here, else TCG. A probe
 * guest built in (kvm-probe-guest.S) must boot and test memory in time. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "vmhost/vm-priv.h"

/* The probe guest (kvm-probe-guest.S), linked in by the Makefile. */
extern const uint8_t floe_kvm_probe_image[], floe_kvm_probe_image_end[];

/* QEMU's exit status from the probe guest's isa-debug-exit write, value << 1 | 1 */
#define PROBE_OK 99
#define PROBE_BAD_MEMORY 97
#define PROBE_MEMORY_MIB 160   /* the guest tests 16..112 MiB */

/* Whether KVM can be opened and speaks the API QEMU expects; why not in why. */
static int kvm_usable(char *why, size_t len)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), v;

    if (fd < 0) {
        snprintf(why, len, "%s", strerror(errno));
        return 0;
    }
    v = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (v < 0)
        snprintf(why, len, "%s", strerror(errno));
    else if (v != KVM_API_VERSION)
        snprintf(why, len, "API version %d, not %d", v, KVM_API_VERSION);
    close(fd);
    return v == KVM_API_VERSION;
}

/* The probe's QEMU is gone: the VM's QEMU starts, unless vm-stop came. */
static void probe_closed(struct floe_vm *vm)
{
    unlink(vm->probe_image);
    vm_life_after_probe(vm);
}

static void probe_exited(uv_process_t *p, int64_t status, int sig)
{
    struct vm_child *c = p->data;
    struct floe_vm *vm = c->vm;
    uint64_t ms = uv_now(vm->loop) - vm->probe_started_ms;
    bool overdue = vm->state == VM_PROBE_OVERDUE;
    char how[96];

    uv_timer_stop(&vm->probe_timer);
    vm->probe = NULL;
    vm_child_close(c, probe_closed);
    /* cancelled by vm-stop or floe_vm_free(): nothing is decided */
    if (vm_state_probe_exited(&vm->state) < 0)
        return;
    if (!sig && status == PROBE_OK) {
        vm->accel = FLOE_VM_ACCEL_KVM;
        floe_info("vm: using KVM: a probe guest entered long mode and wrote and checked "
                  "288 MiB in %llu ms", (unsigned long long)ms);
        return;
    }
    vm->accel = FLOE_VM_ACCEL_TCG;
    if (overdue) {
        floe_info("vm: using TCG: KVM runs guests too slowly here: a probe guest that needs "
                  "well under a second did not finish its memory test within %ds",
                  vm->cfg.kvm_probe_seconds);
    } else if (!sig && status == PROBE_BAD_MEMORY) {
        floe_info("vm: using TCG: a probe guest under KVM read back wrong memory");
    } else {
        if (sig)
            snprintf(how, sizeof(how), "was killed by signal %d", sig);
        else
            snprintf(how, sizeof(how), "exited with status %d", (int)status);
        floe_info("vm: using TCG: QEMU running a probe guest under KVM %s", how);
    }
}

static void probe_deadline(uv_timer_t *t)
{
    struct floe_vm *vm = t->data;

    vm_state_probe_overdue(&vm->state);
    vm_child_kill(vm->probe);
}

/* Writes the probe guest's disk into the run folder: 0 or -errno. */
static int write_probe_image(const char *path)
{
    size_t len = (size_t)(floe_kvm_probe_image_end - floe_kvm_probe_image);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc = 0;

    if (fd < 0)
        return -errno;
    if (write(fd, floe_kvm_probe_image, len) != (ssize_t)len)
        rc = errno ? -errno : -EIO;
    if (close(fd) < 0 && !rc)
        rc = -errno;
    return rc;
}

/* Boots the probe guest under KVM with a deadline; its exit decides. */
static int start_probe(struct floe_vm *vm, char *err, size_t errlen)
{
    uv_stdio_container_t stdio[3] = { { .flags = UV_IGNORE }, { .flags = UV_IGNORE },
                                      { .flags = UV_IGNORE } };
    uv_process_options_t po = { .exit_cb = probe_exited, .stdio_count = 3, .stdio = stdio };
    char memory[16], *drive;
    int rc;

    rc = write_probe_image(vm->probe_image);
    if (rc < 0) {
        snprintf(err, errlen, "cannot write %s: %s", vm->probe_image, strerror(-rc));
        unlink(vm->probe_image);
        return rc;
    }
    drive = vm_escape_commas("file=", vm->probe_image, ",format=raw,if=floppy,readonly=on");
    if (!drive) {
        snprintf(err, errlen, "out of memory");
        unlink(vm->probe_image);
        return -ENOMEM;
    }
    snprintf(memory, sizeof(memory), "%d", PROBE_MEMORY_MIB);
    char *argv[] = { (char *)vm_qemu_program(), "-nodefaults",
                     "-no-user-config", "-display", "none", "-accel", "kvm", "-m", memory,
                     "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-drive", drive,
                     "-boot", "order=a", NULL };

    po.file = argv[0];
    po.args = argv;
    vm->probe = vm_child_spawn(vm, &po, &rc);
    free(drive);
    if (!vm->probe) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], uv_strerror(rc));
        unlink(vm->probe_image);
        return rc;
    }
    vm->probe_started_ms = uv_now(vm->loop);
    vm_state_probe_begin(&vm->state);
    uv_timer_start(&vm->probe_timer, probe_deadline, (uint64_t)vm->cfg.kvm_probe_seconds * 1000,
                   0);
    floe_info("vm: probing KVM: a probe guest gets %ds", vm->cfg.kvm_probe_seconds);
    return 0;
}

/* The accelerator holds for every run: as configured, TCG without a usable
 * /dev/kvm, else what the probe finds. */
int vm_kvm_decide(struct floe_vm *vm, char *err, size_t errlen)
{
    char why[96];
    int rc;

    if (vm->accel != FLOE_VM_ACCEL_AUTO)
        return 0;
    if (vm->cfg.accel != FLOE_VM_ACCEL_AUTO) {
        vm->accel = vm->cfg.accel;
        snprintf(vm->accel_note, sizeof(vm->accel_note), "vm: using %s (as configured)",
                 vm->accel == FLOE_VM_ACCEL_KVM ? "KVM" : "TCG");
        return 0;
    }
    if (!kvm_usable(why, sizeof(why))) {
        vm->accel = FLOE_VM_ACCEL_TCG;
        snprintf(vm->accel_note, sizeof(vm->accel_note),
                 "vm: using TCG: /dev/kvm is not usable (%s)", why);
        return 0;
    }
    rc = start_probe(vm, err, errlen);
    return rc < 0 ? rc : 1;
}
