/* The VM config file: key = value lines read into a struct, with one line
 * saying what is wrong when a key, a value or a named file is bad. */
#ifndef FLOE_VMHOST_VM_CONFIG_H
#define FLOE_VMHOST_VM_CONFIG_H

#include <stddef.h>

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

enum floe_vm_accel { FLOE_VM_ACCEL_AUTO, FLOE_VM_ACCEL_KVM, FLOE_VM_ACCEL_TCG };

#define FLOE_VM_MAX_USB_REDIR 8
#define FLOE_VM_MAX_MONITORS 4

struct floe_vm_config {
    int memory_mib;             /* memory: default 512 */
    int cpus;                   /* cpus: default 1 */
    char *disk, *kernel, *initrd, *append, *cdrom;  /* NULL when not given */
    char *template_file;        /* template: a read-only base disk, booted through an overlay */
    char *overlay;              /* overlay: the qcow2 file on it; default in the run folder */
    enum floe_vm_accel accel;   /* accel: auto|kvm|tcg */
    int boot_menu;              /* boot_menu = yes: SeaBIOS's menu, waiting a minute */
    int usb_redir;              /* usb_redir: USB redirection ports (chardev sockets), default 2 */
    int sound;                  /* sound = yes: an HDA sound card, default no */
    int monitors;               /* monitors: display heads (1..4), default 1 */
    char **extra;               /* extra: more QEMU arguments, split at blanks */
    int n_extra;
    int kvm_probe_seconds;      /* kvm_probe_seconds: default 5 */
    int stop_timeout;           /* stop_timeout: seconds from powerdown to quit, default 10 */
};

/* Reads path into cfg (zeroed first). 0, or -1 with one line in err. */
int floe_vm_config_load(const char *path, struct floe_vm_config *cfg, char *err, size_t errlen);
void floe_vm_config_clear(struct floe_vm_config *cfg);

#pragma GCC visibility pop

#endif
