/* The QXL recorder: with FLOE_QXL_RECORD naming a file, a device's worker
 * writes there everything needed to play its commands again elsewhere (the
 * format below, read back by tests/host/qxl-record-read.c).
 *
 * The format (version 1), every integer little-endian:
 *   header: "FLQXLREC", u32 version, u32 header length (40; a reader skips
 *     what it does not know), u32 device id, u32 memslot groups, u32
 *     memslots, u8 id bits, u8 generation bits, u16 zero, u32 surfaces,
 *     u32 QXL RAM size
 *   then records until the end of the file: u32 type, u32 payload length,
 *   the payload:
 *   MEMSLOT_ADD   u32 group, u32 slot, u32 generation, u32 QXL RAM size,
 *                 u64 virt_start, u64 virt_end, u64 addr_delta (as QEMU
 *                 gave them: host addresses of the recording process)
 *   MEMSLOT_DEL   u32 group, u32 slot
 *   MEMSLOTS_RESET (nothing)
 *   MEMORY        u32 group, u32 slot, u64 offset from the slot's start,
 *                 then the bytes the guest had there when the checkpoint
 *                 let them through; it precedes the event that read them
 *   COMMAND       u32 ring (FQXL_REC_RING_*), u32 type, u32 group, u32
 *                 flags, u64 QXL address: one command taken by the worker
 *   PRIMARY       u32 surface id, u32 width, u32 height, i32 stride, u32
 *                 format, u32 position, u32 mouse mode, u32 flags, u32
 *                 type, u32 group, u64 QXL address of its memory
 *   CALL          u32 call (FQXL_REC_CALL_*), u32 async, u32 surface id,
 *                 u32 group, i32 left, top, right, bottom, u32 clear dirty,
 *                 u32 zero, u64 QXL address (the monitors config's)
 * Events come in the order the worker handled them. Later versions may add
 * record types (a reader skips them) or grow a payload at its end. */
#ifndef FLOE_QEMU_RECORD_H
#define FLOE_QEMU_RECORD_H

#include <stdint.h>

#include <spice.h>

#define FQXL_REC_MAGIC "FLQXLREC"
#define FQXL_REC_VERSION 1u
#define FQXL_REC_HEADER_LEN 40u
#define FQXL_REC_RECORD_HEAD 8u
/* no record is longer: a reader refuses one that says it is */
#define FQXL_REC_MAX_PAYLOAD (256u << 20)

enum fqxl_rec_type {
    FQXL_REC_MEMSLOT_ADD = 1,
    FQXL_REC_MEMSLOT_DEL = 2,
    FQXL_REC_MEMSLOTS_RESET = 3,
    FQXL_REC_MEMORY = 4,
    FQXL_REC_COMMAND = 5,
    FQXL_REC_PRIMARY = 6,
    FQXL_REC_CALL = 7,
};

#define FQXL_REC_MEMSLOT_ADD_LEN 40u
#define FQXL_REC_MEMSLOT_DEL_LEN 8u
#define FQXL_REC_MEMORY_HEAD 16u
#define FQXL_REC_COMMAND_LEN 24u
#define FQXL_REC_PRIMARY_LEN 48u
#define FQXL_REC_CALL_LEN 48u

enum fqxl_rec_ring {
    FQXL_REC_RING_DISPLAY = 0,
    FQXL_REC_RING_CURSOR = 1,
    FQXL_REC_RING_SAVED = 2,     /* handed back by spice_qxl_loadvm_commands */
};

enum fqxl_rec_call {
    FQXL_REC_CALL_DESTROY_PRIMARY = 1,
    FQXL_REC_CALL_DESTROY_SURFACES = 2,
    FQXL_REC_CALL_DESTROY_SURFACE = 3,
    FQXL_REC_CALL_UPDATE_AREA = 4,
    FQXL_REC_CALL_RESET_IMAGE_CACHE = 5,
    FQXL_REC_CALL_RESET_CURSOR = 6,
    FQXL_REC_CALL_FLUSH_SURFACES = 7,
    FQXL_REC_CALL_MONITORS_CONFIG = 8,
    FQXL_REC_CALL_DRIVER_UNLOAD = 9,
    FQXL_REC_CALL_OOM = 10,
    FQXL_REC_CALL_VM_START = 11,
    FQXL_REC_CALL_VM_STOP = 12,
};

struct fqxl_recorder;
struct fqxl_memslots;
struct fqxl_req;

/* A recorder for device `device_id` when FLOE_QXL_RECORD names a file (the
 * device's id appended for devices past the first), watching what `slots`
 * lets through; NULL when it is unset or the file cannot be made (logged).
 * Everything else runs on the worker's thread. */
struct fqxl_recorder *fqxl_recorder_new(struct fqxl_memslots *slots, const QXLDevInitInfo *info,
                                        int device_id);
/* Writes what is pending and closes the file. NULL is fine. */
void fqxl_recorder_free(struct fqxl_recorder *r);
/* A request about to be handled / a command about to be handled: the
 * guest memory read from here on belongs to it. NULL recorders ignore it;
 * after a write error the recorder has said so once and records nothing. */
void fqxl_record_req(struct fqxl_recorder *r, const struct fqxl_req *req);
void fqxl_record_cmd(struct fqxl_recorder *r, const QXLCommandExt *ext);

#endif
