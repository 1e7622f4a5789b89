/* spice_qxl_*: QEMU's calls about a QXL device, turned into requests for
 * the device's worker. Synchronous calls come from vCPU threads holding
 * QEMU's lock and return once the worker has done them; asynchronous ones
 * return at once and end with the device's async_complete. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "server/qemu/worker.h"

static void sync_req(QXLInstance *qxl, struct fqxl_req *r)
{
    if (!qxl->st)
        return;
    fqxl_worker_request(qxl->st, r);
}

/* An asynchronous request: a copy the worker frees. Without memory the
 * device is told at once, as it would wait for its cookie forever. */
static void async_req(QXLInstance *qxl, const struct fqxl_req *tmpl, uint64_t cookie)
{
    struct fqxl_req *r;

    if (!qxl->st)
        return;
    r = malloc(sizeof(*r));
    if (!r) {
        floe_err("out of memory: QXL request %d not done", tmpl->kind);
        qxl->st->qif->async_complete(qxl, cookie);
        return;
    }
    *r = *tmpl;
    r->async = 1;
    r->cookie = cookie;
    fqxl_worker_request(qxl->st, r);
}

FQXL_EXPORT void spice_qxl_wakeup(QXLInstance *qxl)
{
    if (qxl->st)
        fqxl_worker_wake(qxl->st);
}

FQXL_EXPORT void spice_qxl_oom(QXLInstance *qxl)
{
    struct fqxl_req r = { .kind = FQXL_REQ_OOM };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_update_area(QXLInstance *qxl, uint32_t surface_id, struct QXLRect *area,
                                       struct QXLRect *dirty_rects, uint32_t num_dirty_rects,
                                       uint32_t clear_dirty_region)
{
    struct fqxl_req r = { .kind = FQXL_REQ_UPDATE_AREA, .surface_id = surface_id,
                          .area = *area, .dirty = dirty_rects, .num_dirty = num_dirty_rects,
                          .clear_dirty = clear_dirty_region };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_update_area_async(QXLInstance *qxl, uint32_t surface_id,
                                             QXLRect *qxl_area, uint32_t clear_dirty_region,
                                             uint64_t cookie)
{
    struct fqxl_req r = { .kind = FQXL_REQ_UPDATE_AREA, .surface_id = surface_id,
                          .area = *qxl_area, .clear_dirty = clear_dirty_region };

    async_req(qxl, &r, cookie);
}

FQXL_EXPORT void spice_qxl_add_memslot(QXLInstance *qxl, QXLDevMemSlot *slot)
{
    struct fqxl_req r = { .kind = FQXL_REQ_ADD_MEMSLOT, .slot = *slot };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_add_memslot_async(QXLInstance *qxl, QXLDevMemSlot *slot,
                                             uint64_t cookie)
{
    struct fqxl_req r = { .kind = FQXL_REQ_ADD_MEMSLOT, .slot = *slot };

    async_req(qxl, &r, cookie);
}

FQXL_EXPORT void spice_qxl_del_memslot(QXLInstance *qxl, uint32_t slot_group_id, uint32_t slot_id)
{
    struct fqxl_req r = { .kind = FQXL_REQ_DEL_MEMSLOT, .group = slot_group_id,
                          .slot_id = slot_id };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_reset_memslots(QXLInstance *qxl)
{
    struct fqxl_req r = { .kind = FQXL_REQ_RESET_MEMSLOTS };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_destroy_surfaces(QXLInstance *qxl)
{
    struct fqxl_req r = { .kind = FQXL_REQ_DESTROY_SURFACES };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_destroy_surfaces_async(QXLInstance *qxl, uint64_t cookie)
{
    struct fqxl_req r = { .kind = FQXL_REQ_DESTROY_SURFACES };

    async_req(qxl, &r, cookie);
}

FQXL_EXPORT void spice_qxl_destroy_primary_surface(QXLInstance *qxl, uint32_t surface_id)
{
    struct fqxl_req r = { .kind = FQXL_REQ_DESTROY_PRIMARY, .surface_id = surface_id };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_destroy_primary_surface_async(QXLInstance *qxl, uint32_t surface_id,
                                                         uint64_t cookie)
{
    struct fqxl_req r = { .kind = FQXL_REQ_DESTROY_PRIMARY, .surface_id = surface_id };

    async_req(qxl, &r, cookie);
}

FQXL_EXPORT void spice_qxl_create_primary_surface(QXLInstance *qxl, uint32_t surface_id,
                                                  QXLDevSurfaceCreate *surface)
{
    struct fqxl_req r = { .kind = FQXL_REQ_CREATE_PRIMARY, .surface_id = surface_id,
                          .create = *surface };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_create_primary_surface_async(QXLInstance *qxl, uint32_t surface_id,
                                                        QXLDevSurfaceCreate *surface,
                                                        uint64_t cookie)
{
    struct fqxl_req r = { .kind = FQXL_REQ_CREATE_PRIMARY, .surface_id = surface_id,
                          .create = *surface };

    async_req(qxl, &r, cookie);
}

FQXL_EXPORT void spice_qxl_reset_image_cache(QXLInstance *qxl)
{
    struct fqxl_req r = { .kind = FQXL_REQ_RESET_IMAGE_CACHE };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_reset_cursor(QXLInstance *qxl)
{
    struct fqxl_req r = { .kind = FQXL_REQ_RESET_CURSOR };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_destroy_surface_wait(QXLInstance *qxl, uint32_t surface_id)
{
    struct fqxl_req r = { .kind = FQXL_REQ_DESTROY_SURFACE, .surface_id = surface_id };

    sync_req(qxl, &r);
}

FQXL_EXPORT void spice_qxl_destroy_surface_async(QXLInstance *qxl, uint32_t surface_id,
                                                 uint64_t cookie)
{
    struct fqxl_req r = { .kind = FQXL_REQ_DESTROY_SURFACE, .surface_id = surface_id };

    async_req(qxl, &r, cookie);
}

FQXL_EXPORT void spice_qxl_loadvm_commands(QXLInstance *qxl, struct QXLCommandExt *ext,
                                           uint32_t count)
{
    struct fqxl_req r = { .kind = FQXL_REQ_LOADVM, .ncmds = count };

    if (count) {
        r.cmds = calloc(count, sizeof(*ext));
        if (!r.cmds) {
            floe_err("out of memory: %u saved QXL commands not replayed", count);
            return;
        }
        memcpy(r.cmds, ext, count * sizeof(*ext));
    }
    sync_req(qxl, &r);
    free(r.cmds);
}

FQXL_EXPORT void spice_qxl_flush_surfaces_async(QXLInstance *qxl, uint64_t cookie)
{
    struct fqxl_req r = { .kind = FQXL_REQ_FLUSH_SURFACES };

    async_req(qxl, &r, cookie);
}

FQXL_EXPORT void spice_qxl_monitors_config_async(QXLInstance *qxl, QXLPHYSICAL monitors_config,
                                                 int group_id, uint64_t cookie)
{
    struct fqxl_req r = { .kind = FQXL_REQ_MONITORS_CONFIG, .monitors_config = monitors_config,
                          .group = (uint32_t)group_id };

    async_req(qxl, &r, cookie);
}

FQXL_EXPORT void spice_qxl_driver_unload(QXLInstance *qxl)
{
    struct fqxl_req r = { .kind = FQXL_REQ_DRIVER_UNLOAD };

    sync_req(qxl, &r);
}

/* Where the device is in the guest (its address, e.g. pci/0000/02.0) and
 * the display ids its outputs have there: kept for the guest agent's
 * GRAPHICS_DEVICE_INFO, which maps a client's monitors to the guest's
 * outputs. As the reference, at most 16 ids. */
FQXL_EXPORT void spice_qxl_set_device_info(QXLInstance *qxl, const char *device_address,
                                           uint32_t device_display_id_start,
                                           uint32_t device_display_id_count)
{
    QXLState *w = qxl->st;

    if (!w || !device_address)
        return;
    if (strlen(device_address) >= sizeof(w->device_address) || device_display_id_count > 16 ||
        device_display_id_start > UINT32_MAX - device_display_id_count) {
        floe_warn("QXL device %d: its device info (%.40s, %u ids from %u) is refused",
                  qxl->id, device_address, device_display_id_count, device_display_id_start);
        return;
    }
    pthread_mutex_lock(&w->lock);
    strcpy(w->device_address, device_address);
    w->display_id_start = device_display_id_start;
    w->display_id_count = device_display_id_count;
    pthread_mutex_unlock(&w->lock);
    floe_info("QXL device %d is %s in the guest, display ids %u to %u", qxl->id,
              device_address, device_display_id_start,
              device_display_id_start + device_display_id_count - (device_display_id_count > 0));
}

/* OpenGL scan-out (QEMU's gl=on) is not served: QEMU only calls these
 * with it, and a draw's cookie still has to come back. */
FQXL_EXPORT void spice_qxl_gl_scanout(QXLInstance *qxl, int fd, uint32_t width, uint32_t height,
                                      uint32_t stride, uint32_t format, int y_0_top)
{
    if (fd >= 0)
        close(fd);
}

FQXL_EXPORT void spice_qxl_gl_draw_async(QXLInstance *qxl, uint32_t x, uint32_t y, uint32_t w,
                                         uint32_t h, uint64_t cookie)
{
    const QXLInterface *qif = (const QXLInterface *)qxl->base.sif;

    qif->async_complete(qxl, cookie);
}
