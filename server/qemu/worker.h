/* A QXL device's worker: owns the device's memslots and surfaces, reads its
 * rings, renders into guest memory and hands floe's server what changed,
 * all on floe's server thread (before spice_server_init has made it, on
 * the calling thread of QEMU's). QEMU's calls (qxl-api.c) reach it as
 * requests: synchronous ones wait for it, asynchronous ones end with the
 * device's async_complete. */
#ifndef FLOE_QEMU_WORKER_H
#define FLOE_QEMU_WORKER_H

#include <pixman.h>
#include <pthread.h>

#include "server/qemu/lib.h"
#include "server/qemu/memslots.h"
#include "server/qemu/qxl-cmd.h"

enum fqxl_req_kind {
    FQXL_REQ_UPDATE_AREA,
    FQXL_REQ_ADD_MEMSLOT,
    FQXL_REQ_DEL_MEMSLOT,
    FQXL_REQ_RESET_MEMSLOTS,
    FQXL_REQ_DESTROY_SURFACES,
    FQXL_REQ_DESTROY_PRIMARY,
    FQXL_REQ_CREATE_PRIMARY,
    FQXL_REQ_RESET_IMAGE_CACHE,
    FQXL_REQ_RESET_CURSOR,
    FQXL_REQ_DESTROY_SURFACE,
    FQXL_REQ_LOADVM,
    FQXL_REQ_FLUSH_SURFACES,
    FQXL_REQ_MONITORS_CONFIG,
    FQXL_REQ_DRIVER_UNLOAD,
    FQXL_REQ_OOM,
    FQXL_REQ_RUN,         /* start or stop reading the rings */
    FQXL_REQ_CLIENTS,     /* clients came or went (floe's own: no async_complete) */
    FQXL_REQ_QUIT,
};

struct fqxl_req {
    struct fqxl_req *next;
    enum fqxl_req_kind kind;
    int async;            /* end with async_complete(cookie); freed by the worker */
    uint64_t cookie;
    int done;             /* sync: set by the worker, under the lock */
    uint32_t surface_id;
    QXLRect area;
    QXLRect *dirty;       /* sync update_area: where to put the dirty rectangles */
    uint32_t num_dirty;
    int clear_dirty;
    QXLDevMemSlot slot;
    uint32_t group, slot_id;
    QXLDevSurfaceCreate create;
    QXLCommandExt *cmds;  /* LOADVM: a copy */
    uint32_t ncmds;
    QXLPHYSICAL monitors_config;
    int running;
    int clients;          /* CLIENTS: any client connected */
};

/* One surface of the device, over guest memory (or QEMU's host buffer). */
struct fqxl_surface {
    pixman_image_t *img;      /* NULL: no surface with this id */
    QXLReleaseInfoExt create; /* the CREATE command, released at destroy */
    int have_create;
    pixman_region32_t qemu_dirty; /* changed since QEMU last asked (update_area) */
    int given;                /* an off-screen surface floe's server has (its clients keep
                               * a copy): draws on it go there too */
};

struct QXLState {
    SpiceServer *server;
    QXLInstance *qxl;
    const QXLInterface *qif;
    int monitor;
    QXLDevInitInfo init;

    pthread_mutex_t lock;
    pthread_cond_t done;
    struct fqxl_req *head, **tail; /* under lock */
    int woken;                     /* under lock: the rings may hold commands */
    int scheduled;                 /* under lock: the worker's call is queued or running */
    struct floe_server_thread *out; /* under lock: where the worker runs; NULL at first */
    char device_address[256];      /* under lock: set_device_info's, for the guest agent */
    uint32_t display_id_start, display_id_count;

    /* the worker's own */
    struct fqxl_memslots slots;
    struct fqxl_surface surf[FQXL_MAX_SURFACES];
    int running;
    int more;                      /* the rings held more than one batch */
    int clients;                   /* what set_client_capabilities says next */
    struct fqxl_feed *feed;        /* floe's server, while the worker runs on its thread */
    pixman_region32_t pending;     /* primary pixels drawn, not yet handed on */
    int primary_w, primary_h;
    int logged;                    /* bad commands logged, for the log's sake */
    struct fqxl_recorder *rec;     /* NULL unless FLOE_QXL_RECORD is set (record.c) */
};

/* qxl-worker.c */
void fqxl_worker_request(QXLState *w, struct fqxl_req *r);
void fqxl_worker_wake(QXLState *w);

#endif
