/* A QEMU virtual machine served through libfloe-server: runs QEMU as a child
 * process, drives it over QMP and feeds its VNC framebuffer to the server. */
#ifndef FLOE_VMHOST_VM_H
#define FLOE_VMHOST_VM_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "floe/server.h"
#include "vmhost/vm-config.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

struct floe_vm;

/* Makes a VM on loop that draws on srv (both borrowed) from a config read
 * by floe_vm_config_load(), whose contents it takes over (cfg is left
 * empty). Nothing runs until floe_vm_start(). NULL with one line in err. */
struct floe_vm *floe_vm_new(uv_loop_t *loop, struct floe_server *srv,
                            struct floe_vm_config *cfg, char *err, size_t errlen);
/* Kills QEMU if it runs, closes everything and frees the VM once the loop
 * has closed its handles. NULL is a no-op. */
void floe_vm_free(struct floe_vm *vm);

/* Starts QEMU (probing KVM first when accel is auto). 0, -EALREADY when it
 * runs, or a negative errno from spawning it (err gets one line). */
int floe_vm_start(struct floe_vm *vm, char *err, size_t errlen);
/* Asks the guest to power down; QMP quit after stop_timeout seconds, then
 * SIGKILL. 0 or -ENOTCONN when QEMU does not run. */
int floe_vm_stop(struct floe_vm *vm);
/* QMP stop / cont / system_reset. 0 or -ENOTCONN when QMP is not ready. */
int floe_vm_pause(struct floe_vm *vm);
int floe_vm_resume(struct floe_vm *vm);
int floe_vm_reset(struct floe_vm *vm);
/* The long operations below start at once and end later: vm-status shows
 * op=NAME:running|done|failed and the log says why one failed. Each returns
 * 0, or -1 with one line in err when it cannot start. */

/* Stops the guest, migrates its state into file (overwritten) and quits
 * QEMU: state hibernating, then hibernated. On failure the guest runs on. */
int floe_vm_hibernate(struct floe_vm *vm, const char *file, char *err, size_t errlen);
/* Starts QEMU loading the state a hibernation wrote to file, then lets the
 * guest continue; the display feed reconnects once the state is loaded and
 * clients keep the last picture meanwhile. Only while QEMU does not run. */
int floe_vm_restore(struct floe_vm *vm, const char *file, char *err, size_t errlen);
/* Puts file (read-only, raw) into the CD-ROM drive; NULL ejects. */
int floe_vm_cdrom(struct floe_vm *vm, const char *file, char *err, size_t errlen);
/* Saves or loads the live snapshot name (disk and memory) in the qcow2 disk
 * or overlay. */
int floe_vm_snapshot_save(struct floe_vm *vm, const char *name, char *err, size_t errlen);
int floe_vm_snapshot_load(struct floe_vm *vm, const char *name, char *err, size_t errlen);

/* With display = qxl: where clients connect to QEMU's SPICE server, as a
 * URI into buf (spice://HOST:PORT, the port chosen by floe_vm_new() when it
 * was 0, or spice+unix:///PATH), and 0. With display = vnc: -1 (clients
 * connect to the floe_server). */
int floe_vm_spice_uri(const struct floe_vm *vm, char *buf, size_t len);
/* Writes monitor's picture as QEMU shows it (QMP screendump) into file, a
 * PNG; an operation like the ones above (op=screendump). */
int floe_vm_screendump(struct floe_vm *vm, const char *file, int monitor, char *err,
                       size_t errlen);

/* One line "state=... accel=... pid=... qmp=PATH size=WxH updates=N
 * last_exit=... op=... disk=PATH ... display=vnc|qxl [spice=URI]" (no
 * newline) into buf. */
void floe_vm_status(const struct floe_vm *vm, char *buf, size_t len);

/* The input sink to give the server: keys, pointer and wheel go to the guest. */
void floe_vm_input_sink(struct floe_vm *vm, struct floe_input_sink *sink);

#pragma GCC visibility pop

#endif
