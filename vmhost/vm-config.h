/* The VM config file: key = value lines read into a struct, with one line
 * saying what is wrong when a key, a value or a named file is bad. */
#ifndef FLOE_VMHOST_VM_CONFIG_H
#define FLOE_VMHOST_VM_CONFIG_H

#include <stddef.h>

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

enum floe_vm_accel { FLOE_VM_ACCEL_AUTO, FLOE_VM_ACCEL_KVM, FLOE_VM_ACCEL_TCG };
/* vnc: QEMU's VNC sockets feed floe's server, which clients connect to;
 * qxl: QEMU runs floe's libspice-server.so.1 and clients connect to it */
enum floe_vm_display { FLOE_VM_DISPLAY_VNC, FLOE_VM_DISPLAY_QXL };

#define FLOE_VM_MAX_USB_REDIR 8
#define FLOE_VM_MAX_MONITORS 4

/* How clients reach QEMU's own SPICE server (display = qxl): not read
 * from the file, the host program fills it in from its own options. */
struct floe_vm_spice {
    char *host;                 /* the address to listen on (NULL: 127.0.0.1) */
    int port;                   /* 0: a free port, chosen once by floe_vm_new() */
    /* an absolute unix socket path to listen on instead of host and port
     * (NULL: TCP); the socket exists, mode 0600, while QEMU runs */
    char *unix_path;
    int disable_ticketing;
    char *password_file;        /* the password on its first line, optionally expires=WHEN */
    /* QEMU's names for them, NULL for QEMU's default */
    char *image_compression, *jpeg_wan, *zlib_glz_wan, *streaming_video;
};

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
    enum floe_vm_display display;   /* display: vnc (default) or qxl */
    char *spice_lib;            /* spice_lib: the folder of floe's libspice-server.so.1 */
    char *spice_preload;        /* spice_preload: LD_PRELOAD for QEMU (default: found) */
    struct floe_vm_spice spice; /* set by the host, not by the file */
};

/* Reads path into cfg (zeroed first). 0, or -1 with one line in err. */
int floe_vm_config_load(const char *path, struct floe_vm_config *cfg, char *err, size_t errlen);
void floe_vm_config_clear(struct floe_vm_config *cfg);

#pragma GCC visibility pop

#endif
