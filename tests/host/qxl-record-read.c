/* The reader of QXL recordings: a header, then length-prefixed records,
 * each checked against the buffer's end and its own fixed layout before a
 * field of it is taken. */
#include "tests/host/qxl-record-read.h"

#include <string.h>

/* A cursor over one record's payload; reading past it sets bad. */
struct rd {
    const uint8_t *p;
    size_t len, pos;
    int bad;
};

static const uint8_t *take(struct rd *r, size_t n)
{
    const uint8_t *at;

    if (r->bad || n > r->len - r->pos) {
        r->bad = 1;
        return NULL;
    }
    at = r->p + r->pos;
    r->pos += n;
    return at;
}

static uint32_t u32(struct rd *r)
{
    const uint8_t *b = take(r, 4);

    return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
             : 0;
}

static uint64_t u64(struct rd *r)
{
    uint64_t lo = u32(r);

    return lo | (uint64_t)u32(r) << 32;
}

static uint8_t u8(struct rd *r)
{
    const uint8_t *b = take(r, 1);

    return b ? b[0] : 0;
}

int qrec_header_read(const uint8_t *buf, size_t len, struct qrec_header *h, size_t *pos,
                     const char **why)
{
    struct rd r = { .p = buf, .len = len };
    const uint8_t *magic = take(&r, 8);
    uint32_t hlen;

    memset(h, 0, sizeof(*h));
    if (!magic || memcmp(magic, FQXL_REC_MAGIC, 8) != 0) {
        *why = "not a QXL recording (no magic)";
        return -1;
    }
    h->version = u32(&r);
    hlen = u32(&r);
    h->device_id = u32(&r);
    h->groups = u32(&r);
    h->slots = u32(&r);
    h->id_bits = u8(&r);
    h->gen_bits = u8(&r);
    (void)take(&r, 2);
    h->n_surfaces = u32(&r);
    h->qxl_ram_size = u32(&r);
    if (r.bad) {
        *why = "header cut short";
        return -1;
    }
    if (h->version != FQXL_REC_VERSION) {
        *why = "a version of the format this reader does not know";
        return -1;
    }
    if (hlen < FQXL_REC_HEADER_LEN || hlen > len) {
        *why = "header length out of range";
        return -1;
    }
    if (h->groups == 0 || h->groups > QREC_MAX_GROUPS || h->slots == 0 ||
        h->slots > QREC_MAX_SLOTS || h->id_bits == 0 || h->id_bits > 8 || h->gen_bits > 32 ||
        (1u << h->id_bits) < h->slots) {
        *why = "memslot layout out of range";
        return -1;
    }
    *pos = hlen;
    return 0;
}

static int slot_ok(const struct qrec_header *h, uint32_t group, uint32_t slot)
{
    return group < h->groups && slot < h->slots;
}

/* Reads a known record's payload; 0, or -1 with *why. */
static int payload(struct rd *r, const struct qrec_header *h, struct qrec_event *ev,
                   const char **why)
{
    switch (ev->type) {
    case FQXL_REC_MEMSLOT_ADD:
        ev->u.slot_add.group = u32(r);
        ev->u.slot_add.slot = u32(r);
        ev->u.slot_add.generation = u32(r);
        ev->u.slot_add.qxl_ram_size = u32(r);
        ev->u.slot_add.virt_start = u64(r);
        ev->u.slot_add.virt_end = u64(r);
        ev->u.slot_add.addr_delta = u64(r);
        if (!r->bad && (!slot_ok(h, ev->u.slot_add.group, ev->u.slot_add.slot) ||
                        ev->u.slot_add.virt_end <= ev->u.slot_add.virt_start)) {
            *why = "memslot out of range";
            return -1;
        }
        break;
    case FQXL_REC_MEMSLOT_DEL:
        ev->u.slot_del.group = u32(r);
        ev->u.slot_del.slot = u32(r);
        if (!r->bad && !slot_ok(h, ev->u.slot_del.group, ev->u.slot_del.slot)) {
            *why = "memslot out of range";
            return -1;
        }
        break;
    case FQXL_REC_MEMSLOTS_RESET:
        break;
    case FQXL_REC_MEMORY:
        ev->u.memory.group = u32(r);
        ev->u.memory.slot = u32(r);
        ev->u.memory.offset = u64(r);
        ev->u.memory.size = r->bad ? 0 : r->len - r->pos;
        ev->u.memory.bytes = take(r, ev->u.memory.size);
        if (!r->bad && (!slot_ok(h, ev->u.memory.group, ev->u.memory.slot) ||
                        ev->u.memory.size == 0 ||
                        ev->u.memory.offset > UINT64_MAX - ev->u.memory.size)) {
            *why = "memory record out of range";
            return -1;
        }
        break;
    case FQXL_REC_COMMAND:
        ev->u.command.ring = u32(r);
        ev->u.command.type = u32(r);
        ev->u.command.group = u32(r);
        ev->u.command.flags = u32(r);
        ev->u.command.addr = u64(r);
        if (!r->bad && (ev->u.command.ring > FQXL_REC_RING_SAVED ||
                        ev->u.command.group >= h->groups)) {
            *why = "command on an unknown ring or group";
            return -1;
        }
        break;
    case FQXL_REC_PRIMARY: {
        QXLDevSurfaceCreate *c = &ev->u.primary.create;

        ev->u.primary.surface_id = u32(r);
        c->width = u32(r);
        c->height = u32(r);
        c->stride = (int32_t)u32(r);
        c->format = u32(r);
        c->position = u32(r);
        c->mouse_mode = u32(r);
        c->flags = u32(r);
        c->type = u32(r);
        c->group_id = u32(r);
        c->mem = u64(r);
        if (!r->bad && c->group_id >= h->groups) {
            *why = "primary surface in an unknown group";
            return -1;
        }
        break;
    }
    case FQXL_REC_CALL:
        ev->u.call.call = u32(r);
        ev->u.call.async = u32(r);
        ev->u.call.surface_id = u32(r);
        ev->u.call.group = u32(r);
        ev->u.call.area.left = (int32_t)u32(r);
        ev->u.call.area.top = (int32_t)u32(r);
        ev->u.call.area.right = (int32_t)u32(r);
        ev->u.call.area.bottom = (int32_t)u32(r);
        ev->u.call.clear = u32(r);
        (void)u32(r);
        ev->u.call.addr = u64(r);
        if (!r->bad && (ev->u.call.call < FQXL_REC_CALL_DESTROY_PRIMARY ||
                        ev->u.call.call > FQXL_REC_CALL_VM_STOP || ev->u.call.async > 1)) {
            *why = "unknown device call";
            return -1;
        }
        break;
    }
    if (r->bad) {
        *why = "record shorter than its layout";
        return -1;
    }
    return 0;
}

int qrec_next(const uint8_t *buf, size_t len, const struct qrec_header *h, size_t *pos,
              struct qrec_event *ev, const char **why)
{
    for (;;) {
        struct rd head = { .p = buf, .len = len, .pos = *pos };
        uint32_t type, plen;
        struct rd r;

        if (*pos > len) {
            *why = "position past the end";
            return -1;
        }
        if (*pos == len)
            return 0;
        type = u32(&head);
        plen = u32(&head);
        if (head.bad) {
            *why = "record head cut short";
            return -1;
        }
        if (plen > FQXL_REC_MAX_PAYLOAD || plen > len - head.pos) {
            *why = "record longer than the file or the format allows";
            return -1;
        }
        *pos = head.pos + plen;
        if (type < FQXL_REC_MEMSLOT_ADD || type > FQXL_REC_CALL)
            continue;   /* a later version's record */
        memset(ev, 0, sizeof(*ev));
        ev->type = type;
        r = (struct rd){ .p = buf + head.pos, .len = plen };
        return payload(&r, h, ev, why) < 0 ? -1 : 1;
    }
}
