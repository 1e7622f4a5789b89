/* The QXL recorder: the device calls and commands a worker handles, each
 * after the guest memory the checkpoint let through for it, written in the
 * format record.h describes so that a host program can play them again. */
#include "server/qemu/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "protocol/spice/wire.h"
#include "server/qemu/memslots.h"
#include "server/qemu/worker.h"

/* guest bytes one event may gather before the recorder gives up */
#define MAX_EVENT_BYTES (512u << 20)

/* A range the checkpoint let through, with a copy of its bytes. */
struct seen {
    uint32_t group, slot;
    uint64_t offset;
    size_t size;
    uint8_t *bytes;
    size_t interval;      /* which merged range it belongs to, when written */
};

struct fqxl_recorder {
    FILE *f;
    char *path;
    struct fqxl_memslots *slots;
    int device_id;
    struct floe_wbuf event;          /* the pending event's record */
    struct seen *seen;               /* its memory, in the order it was read */
    size_t nseen, capseen, seen_bytes;
    const QXLCommandExt *saved;      /* the commands of the last loadvm */
    uint32_t nsaved;
};

/* Stops recording after a failure, with one line. */
static void give_up(struct fqxl_recorder *r, const char *what)
{
    if (!r->f)
        return;
    floe_warn("QXL device %d: recording to %s stopped: %s", r->device_id, r->path, what);
    fclose(r->f);
    r->f = NULL;
}

static void put(struct fqxl_recorder *r, const void *p, size_t n)
{
    if (r->f && n && fwrite(p, 1, n, r->f) != n)
        give_up(r, strerror(errno ? errno : EIO));
}

static void seen_clear(struct fqxl_recorder *r)
{
    for (size_t i = 0; i < r->nseen; i++)
        free(r->seen[i].bytes);
    r->nseen = 0;
    r->seen_bytes = 0;
}

static void on_seen(void *opaque, uint32_t group, uint32_t slot, uint64_t offset,
                    const uint8_t *bytes, size_t size)
{
    struct fqxl_recorder *r = opaque;
    struct seen *s;

    if (!r->f || size == 0)
        return;
    if (size > MAX_EVENT_BYTES - r->seen_bytes) {
        give_up(r, "one event read more guest memory than a record holds");
        return;
    }
    if (r->nseen == r->capseen) {
        size_t cap = r->capseen ? r->capseen * 2 : 64;
        struct seen *grown = realloc(r->seen, cap * sizeof(*grown));

        if (!grown) {
            give_up(r, "out of memory");
            return;
        }
        r->seen = grown;
        r->capseen = cap;
    }
    s = &r->seen[r->nseen];
    *s = (struct seen){ .group = group, .slot = slot, .offset = offset, .size = size,
                        .bytes = malloc(size) };
    if (!s->bytes) {
        give_up(r, "out of memory");
        return;
    }
    memcpy(s->bytes, bytes, size);
    r->nseen++;
    r->seen_bytes += size;
}

static int seen_cmp(const void *a, const void *b)
{
    const struct seen *x = *(const struct seen *const *)a, *y = *(const struct seen *const *)b;

    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return 0;
}

static void put_memory(struct fqxl_recorder *r, uint32_t group, uint32_t slot, uint64_t offset,
                       const uint8_t *bytes, size_t size)
{
    /* a range longer than a record is cut */
    while (size) {
        size_t n = size < FQXL_REC_MAX_PAYLOAD - FQXL_REC_MEMORY_HEAD ?
                   size : FQXL_REC_MAX_PAYLOAD - FQXL_REC_MEMORY_HEAD;
        uint8_t head[FQXL_REC_RECORD_HEAD + FQXL_REC_MEMORY_HEAD];
        struct floe_wbuf w;

        floe_wbuf_init(&w, sizeof(head));
        floe_put_u32(&w, FQXL_REC_MEMORY);
        floe_put_u32(&w, (uint32_t)(FQXL_REC_MEMORY_HEAD + n));
        floe_put_u32(&w, group);
        floe_put_u32(&w, slot);
        floe_put_u64(&w, offset);
        if (w.failed) {
            floe_wbuf_free(&w);
            give_up(r, "out of memory");
            return;
        }
        memcpy(head, w.data, sizeof(head));
        floe_wbuf_free(&w);
        put(r, head, sizeof(head));
        put(r, bytes, n);
        bytes += n;
        offset += n;
        size -= n;
    }
}

/* The pending event's memory, overlapping reads merged (the later read's
 * bytes win), in MEMORY records. */
static void write_seen(struct fqxl_recorder *r)
{
    struct seen **order;
    size_t i = 0;

    if (!r->nseen)
        return;
    order = calloc(r->nseen, sizeof(*order));
    if (!order) {
        give_up(r, "out of memory");
        return;
    }
    for (size_t k = 0; k < r->nseen; k++)
        order[k] = &r->seen[k];
    qsort(order, r->nseen, sizeof(*order), seen_cmp);
    while (i < r->nseen && r->f) {
        struct seen *first = order[i];
        uint64_t end = first->offset + first->size;
        size_t j = i + 1;
        uint8_t *buf;

        while (j < r->nseen && order[j]->group == first->group && order[j]->slot == first->slot &&
               order[j]->offset <= end) {
            if (order[j]->offset + order[j]->size > end)
                end = order[j]->offset + order[j]->size;
            j++;
        }
        buf = malloc(end - first->offset);
        if (!buf) {
            give_up(r, "out of memory");
            break;
        }
        /* in the order they were read: the guest may have changed them */
        for (size_t k = 0; k < r->nseen; k++) {
            struct seen *s = &r->seen[k];

            if (s->group == first->group && s->slot == first->slot && s->offset >= first->offset &&
                s->offset + s->size <= end)
                memcpy(buf + (s->offset - first->offset), s->bytes, s->size);
        }
        put_memory(r, first->group, first->slot, first->offset, buf, end - first->offset);
        free(buf);
        i = j;
    }
    free(order);
}

/* Writes the pending event after the memory read for it. */
static void flush_event(struct fqxl_recorder *r)
{
    write_seen(r);
    seen_clear(r);
    if (r->event.failed)
        give_up(r, "out of memory");
    put(r, r->event.data, r->event.len);
    r->event.len = 0;
}

static void begin(struct fqxl_recorder *r, uint32_t type, uint32_t len)
{
    flush_event(r);
    floe_put_u32(&r->event, type);
    floe_put_u32(&r->event, len);
}

static void put_call(struct fqxl_recorder *r, uint32_t call, const struct fqxl_req *q)
{
    begin(r, FQXL_REC_CALL, FQXL_REC_CALL_LEN);
    floe_put_u32(&r->event, call);
    floe_put_u32(&r->event, (uint32_t)q->async);
    floe_put_u32(&r->event, q->surface_id);
    floe_put_u32(&r->event, q->group);
    floe_put_i32(&r->event, q->area.left);
    floe_put_i32(&r->event, q->area.top);
    floe_put_i32(&r->event, q->area.right);
    floe_put_i32(&r->event, q->area.bottom);
    floe_put_u32(&r->event, (uint32_t)q->clear_dirty);
    floe_put_u32(&r->event, 0);
    floe_put_u64(&r->event, q->monitors_config);
}

static void put_memslot_add(struct fqxl_recorder *r, const QXLDevMemSlot *s)
{
    begin(r, FQXL_REC_MEMSLOT_ADD, FQXL_REC_MEMSLOT_ADD_LEN);
    floe_put_u32(&r->event, s->slot_group_id);
    floe_put_u32(&r->event, s->slot_id);
    floe_put_u32(&r->event, s->generation);
    floe_put_u32(&r->event, s->qxl_ram_size);
    floe_put_u64(&r->event, s->virt_start);
    floe_put_u64(&r->event, s->virt_end);
    floe_put_u64(&r->event, s->addr_delta);
}

static void put_primary(struct fqxl_recorder *r, uint32_t id, const QXLDevSurfaceCreate *c)
{
    begin(r, FQXL_REC_PRIMARY, FQXL_REC_PRIMARY_LEN);
    floe_put_u32(&r->event, id);
    floe_put_u32(&r->event, c->width);
    floe_put_u32(&r->event, c->height);
    floe_put_i32(&r->event, c->stride);
    floe_put_u32(&r->event, c->format);
    floe_put_u32(&r->event, c->position);
    floe_put_u32(&r->event, c->mouse_mode);
    floe_put_u32(&r->event, c->flags);
    floe_put_u32(&r->event, c->type);
    floe_put_u32(&r->event, c->group_id);
    floe_put_u64(&r->event, c->mem);
}

static const uint32_t call_of[] = {
    [FQXL_REQ_UPDATE_AREA] = FQXL_REC_CALL_UPDATE_AREA,
    [FQXL_REQ_DESTROY_SURFACES] = FQXL_REC_CALL_DESTROY_SURFACES,
    [FQXL_REQ_DESTROY_PRIMARY] = FQXL_REC_CALL_DESTROY_PRIMARY,
    [FQXL_REQ_RESET_IMAGE_CACHE] = FQXL_REC_CALL_RESET_IMAGE_CACHE,
    [FQXL_REQ_RESET_CURSOR] = FQXL_REC_CALL_RESET_CURSOR,
    [FQXL_REQ_DESTROY_SURFACE] = FQXL_REC_CALL_DESTROY_SURFACE,
    [FQXL_REQ_FLUSH_SURFACES] = FQXL_REC_CALL_FLUSH_SURFACES,
    [FQXL_REQ_MONITORS_CONFIG] = FQXL_REC_CALL_MONITORS_CONFIG,
    [FQXL_REQ_DRIVER_UNLOAD] = FQXL_REC_CALL_DRIVER_UNLOAD,
    [FQXL_REQ_OOM] = FQXL_REC_CALL_OOM,
};

void fqxl_record_req(struct fqxl_recorder *r, const struct fqxl_req *q)
{
    if (!r || !r->f)
        return;
    r->saved = NULL;
    switch (q->kind) {
    case FQXL_REQ_ADD_MEMSLOT:
        put_memslot_add(r, &q->slot);
        break;
    case FQXL_REQ_DEL_MEMSLOT:
        begin(r, FQXL_REC_MEMSLOT_DEL, FQXL_REC_MEMSLOT_DEL_LEN);
        floe_put_u32(&r->event, q->group);
        floe_put_u32(&r->event, q->slot_id);
        break;
    case FQXL_REQ_RESET_MEMSLOTS:
        begin(r, FQXL_REC_MEMSLOTS_RESET, 0);
        break;
    case FQXL_REQ_CREATE_PRIMARY:
        put_primary(r, q->surface_id, &q->create);
        break;
    case FQXL_REQ_LOADVM:
        r->saved = q->cmds;
        r->nsaved = q->ncmds;
        break;
    case FQXL_REQ_RUN:
        put_call(r, q->running ? FQXL_REC_CALL_VM_START : FQXL_REC_CALL_VM_STOP, q);
        if (!q->running) {
            /* a stopped VM may be all there is to record: on disk now */
            flush_event(r);
            if (r->f && fflush(r->f) != 0)
                give_up(r, strerror(errno));
        }
        break;
    case FQXL_REQ_QUIT:
        break;
    default:
        if ((size_t)q->kind < sizeof(call_of) / sizeof(call_of[0]) && call_of[q->kind])
            put_call(r, call_of[q->kind], q);
        break;
    }
}

void fqxl_record_cmd(struct fqxl_recorder *r, const QXLCommandExt *ext)
{
    uint32_t ring = ext->cmd.type == QXL_CMD_CURSOR ? FQXL_REC_RING_CURSOR : FQXL_REC_RING_DISPLAY;

    if (!r || !r->f)
        return;
    /* the ring's commands are the caller's own copies, never the loadvm array */
    if (r->saved && ext >= r->saved && ext < r->saved + r->nsaved)
        ring = FQXL_REC_RING_SAVED;
    begin(r, FQXL_REC_COMMAND, FQXL_REC_COMMAND_LEN);
    floe_put_u32(&r->event, ring);
    floe_put_u32(&r->event, ext->cmd.type);
    floe_put_u32(&r->event, ext->group_id);
    floe_put_u32(&r->event, ext->flags);
    floe_put_u64(&r->event, ext->cmd.data);
}

static void put_header(struct fqxl_recorder *r, const QXLDevInitInfo *info)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, FQXL_REC_HEADER_LEN);
    floe_put_bytes(&w, FQXL_REC_MAGIC, 8);
    floe_put_u32(&w, FQXL_REC_VERSION);
    floe_put_u32(&w, FQXL_REC_HEADER_LEN);
    floe_put_u32(&w, (uint32_t)r->device_id);
    floe_put_u32(&w, info->num_memslots_groups);
    floe_put_u32(&w, info->num_memslots);
    floe_put_u8(&w, info->memslot_id_bits);
    floe_put_u8(&w, info->memslot_gen_bits);
    floe_put_u16(&w, 0);
    floe_put_u32(&w, info->n_surfaces);
    floe_put_u32(&w, info->qxl_ram_size);
    if (w.failed)
        give_up(r, "out of memory");
    else
        put(r, w.data, w.len);
    floe_wbuf_free(&w);
}

struct fqxl_recorder *fqxl_recorder_new(struct fqxl_memslots *slots, const QXLDevInitInfo *info,
                                        int device_id)
{
    const char *name = getenv("FLOE_QXL_RECORD");
    struct fqxl_recorder *r;
    size_t n;

    if (!name || !*name)
        return NULL;
    r = calloc(1, sizeof(*r));
    n = strlen(name) + 16;
    if (!r || !(r->path = malloc(n))) {
        floe_warn("QXL device %d: out of memory: not recording", device_id);
        free(r);
        return NULL;
    }
    if (device_id == 0)
        snprintf(r->path, n, "%s", name);
    else
        snprintf(r->path, n, "%s.%d", name, device_id);
    r->device_id = device_id;
    r->slots = slots;
    floe_wbuf_init(&r->event, FQXL_REC_RECORD_HEAD + FQXL_REC_CALL_LEN + 64);
    r->f = fopen(r->path, "wbe");
    if (!r->f) {
        floe_warn("QXL device %d: cannot record to %s: %s", device_id, r->path, strerror(errno));
        fqxl_recorder_free(r);
        return NULL;
    }
    setvbuf(r->f, NULL, _IOFBF, 1u << 20);
    put_header(r, info);
    if (!r->f) {
        fqxl_recorder_free(r);
        return NULL;
    }
    slots->seen = on_seen;
    slots->seen_opaque = r;
    floe_info("QXL device %d: recording its commands to %s", device_id, r->path);
    return r;
}

void fqxl_recorder_free(struct fqxl_recorder *r)
{
    if (!r)
        return;
    if (r->f) {
        flush_event(r);
        if (r->f && fclose(r->f) != 0)
            floe_warn("QXL device %d: recording to %s: %s", r->device_id, r->path,
                      strerror(errno));
        r->f = NULL;
    }
    if (r->slots && r->slots->seen_opaque == r) {
        r->slots->seen = NULL;
        r->slots->seen_opaque = NULL;
    }
    seen_clear(r);
    free(r->seen);
    floe_wbuf_free(&r->event);
    free(r->path);
    free(r);
}
