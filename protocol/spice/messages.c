/* Encoders and decoders for the SPICE messages of messages.h: the fixed ones
 * generated from their field tables, the link and list messages by hand. */
#include "protocol/spice/messages.h"

#include <errno.h>
#include <string.h>

#define PUT_FIELD(t, n) floe_put_##t(w, m->n);
#define GET_FIELD(t, n) m->n = floe_get_##t(r);
#define F PUT_FIELD
#define DEFINE(name, fields) \
    void spice_##name##_put(struct floe_wbuf *w, const struct spice_##name *m) { fields }
SPICE_FIXED_MESSAGES(DEFINE)
#undef DEFINE
#undef F
#define F GET_FIELD
#define DEFINE(name, fields) \
    void spice_##name##_get(struct floe_rbuf *r, struct spice_##name *m) { fields }
SPICE_FIXED_MESSAGES(DEFINE)
#undef DEFINE
#undef F

int spice_caps_has(const uint32_t *words, unsigned cap)
{
    return cap < SPICE_CAPS_WORDS * 32 && (words[cap / 32] >> (cap % 32)) & 1;
}

void spice_caps_set(uint32_t *words, unsigned cap)
{
    if (cap < SPICE_CAPS_WORDS * 32)
        words[cap / 32] |= 1u << (cap % 32);
}

uint32_t spice_caps_count(const uint32_t *words)
{
    uint32_t n = SPICE_CAPS_WORDS;

    while (n > 0 && words[n - 1] == 0)
        n--;
    return n;
}

int spice_link_header_check(const struct spice_link_header *h)
{
    if (h->magic != SPICE_MAGIC)
        return SPICE_LINK_ERR_INVALID_MAGIC;
    if (h->major != SPICE_VERSION_MAJOR)
        return SPICE_LINK_ERR_VERSION_MISMATCH;
    if (h->size > SPICE_LINK_MAX_SIZE)
        return SPICE_LINK_ERR_INVALID_DATA;
    return SPICE_LINK_ERR_OK;
}

static void caps_read(const uint8_t *p, uint32_t n, uint32_t *out)
{
    memset(out, 0, SPICE_CAPS_WORDS * sizeof(uint32_t));
    for (uint32_t i = 0; i < n && i < SPICE_CAPS_WORDS; i++)
        out[i] = floe_le32(p + 4 * i);
}

/* Validates the cap counts and offset of a link body; fills `caps`. */
static int caps_parse(const uint8_t *body, size_t len, uint32_t offset, uint32_t ncommon,
                      uint32_t nchannel, struct spice_caps *caps)
{
    if (ncommon > SPICE_LINK_MAX_CAPS || nchannel > SPICE_LINK_MAX_CAPS)
        return SPICE_LINK_ERR_INVALID_DATA;
    if (offset > len || (size_t)(ncommon + nchannel) * 4 > len - offset)
        return SPICE_LINK_ERR_INVALID_DATA;
    caps_read(body + offset, ncommon, caps->common);
    caps_read(body + offset + 4 * (size_t)ncommon, nchannel, caps->channel);
    return SPICE_LINK_ERR_OK;
}

int spice_link_mess_parse(const uint8_t *body, size_t len, struct spice_link_mess *m,
                          struct spice_caps *caps)
{
    struct floe_rbuf r;

    if (len < SPICE_SIZE_link_mess)
        return SPICE_LINK_ERR_INVALID_DATA;
    floe_rbuf_init(&r, body, len);
    spice_link_mess_get(&r, m);
    if (m->caps_offset < SPICE_SIZE_link_mess)
        return SPICE_LINK_ERR_INVALID_DATA;
    return caps_parse(body, len, m->caps_offset, m->num_common_caps, m->num_channel_caps, caps);
}

static void caps_put(struct floe_wbuf *w, const struct spice_caps *caps, uint32_t nc, uint32_t nch)
{
    for (uint32_t i = 0; i < nc; i++)
        floe_put_u32(w, caps->common[i]);
    for (uint32_t i = 0; i < nch; i++)
        floe_put_u32(w, caps->channel[i]);
}

void spice_link_mess_write(struct floe_wbuf *w, const struct spice_link_mess *m,
                           const struct spice_caps *caps)
{
    struct spice_link_mess mm = *m;
    uint32_t nc = spice_caps_count(caps->common), nch = spice_caps_count(caps->channel);
    struct spice_link_header h = { SPICE_MAGIC, SPICE_VERSION_MAJOR, SPICE_VERSION_MINOR,
                                   SPICE_SIZE_link_mess + 4 * (nc + nch) };

    mm.num_common_caps = nc;
    mm.num_channel_caps = nch;
    mm.caps_offset = SPICE_SIZE_link_mess;
    spice_link_header_put(w, &h);
    spice_link_mess_put(w, &mm);
    caps_put(w, caps, nc, nch);
}

void spice_link_reply_write(struct floe_wbuf *w, uint32_t error,
                            const uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES],
                            const struct spice_caps *caps)
{
    uint32_t nc = 0, nch = 0;
    struct spice_link_header h = { SPICE_MAGIC, SPICE_VERSION_MAJOR, SPICE_VERSION_MINOR, 0 };

    if (error == SPICE_LINK_ERR_OK && caps) {
        nc = spice_caps_count(caps->common);
        nch = spice_caps_count(caps->channel);
    }
    h.size = SPICE_LINK_REPLY_SIZE + 4 * (nc + nch);
    spice_link_header_put(w, &h);
    floe_put_u32(w, error);
    if (error == SPICE_LINK_ERR_OK && pubkey)
        floe_put_bytes(w, pubkey, SPICE_TICKET_PUBKEY_BYTES);
    else
        floe_put_zero(w, SPICE_TICKET_PUBKEY_BYTES);
    floe_put_u32(w, nc);
    floe_put_u32(w, nch);
    floe_put_u32(w, error == SPICE_LINK_ERR_OK ? SPICE_LINK_REPLY_SIZE : 0);
    if (caps)
        caps_put(w, caps, nc, nch);
}

int spice_link_reply_parse(const uint8_t *body, size_t len, const uint8_t **pubkey,
                           struct spice_caps *caps)
{
    struct floe_rbuf r;
    uint32_t error, nc, nch, off;

    if (len < SPICE_LINK_REPLY_SIZE)
        return SPICE_LINK_ERR_INVALID_DATA;
    floe_rbuf_init(&r, body, len);
    error = floe_get_u32(&r);
    *pubkey = floe_get_bytes(&r, SPICE_TICKET_PUBKEY_BYTES);
    nc = floe_get_u32(&r);
    nch = floe_get_u32(&r);
    off = floe_get_u32(&r);
    if (error != SPICE_LINK_ERR_OK)
        return error <= SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE ? (int)error : SPICE_LINK_ERR_ERROR;
    if (off < SPICE_LINK_REPLY_SIZE)
        return SPICE_LINK_ERR_INVALID_DATA;
    return caps_parse(body, len, off, nc, nch, caps);
}

size_t spice_header_parse(const uint8_t *buf, size_t len, int mini, struct spice_msg_header *h)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, buf, len);
    if (mini) {
        struct spice_mini_header m;

        if (len < SPICE_SIZE_mini_header)
            return 0;
        spice_mini_header_get(&r, &m);
        h->type = m.type;
        h->size = m.size;
        h->serial = 0;
        h->sub_list = 0;
        return SPICE_SIZE_mini_header;
    } else {
        struct spice_data_header d;

        if (len < SPICE_SIZE_data_header)
            return 0;
        spice_data_header_get(&r, &d);
        h->type = d.type;
        h->size = d.size;
        h->serial = d.serial;
        h->sub_list = d.sub_list;
        return SPICE_SIZE_data_header;
    }
}

size_t spice_header_put(struct floe_wbuf *w, int mini, uint16_t type, uint64_t serial)
{
    if (mini) {
        struct spice_mini_header m = { type, 0 };

        spice_mini_header_put(w, &m);
        return w->len - 4;
    } else {
        struct spice_data_header d = { serial, type, 0, 0 };

        spice_data_header_put(w, &d);
        return w->len - 8;
    }
}

void spice_header_finish(struct floe_wbuf *w, int mini, size_t size_at)
{
    size_t body_at = size_at + 4 + (mini ? 0 : 4);

    floe_patch_u32(w, size_at, (uint32_t)(w->len - body_at));
}

void spice_channels_list_put(struct floe_wbuf *w, const struct spice_channel_id *ids, uint32_t n)
{
    floe_put_u32(w, n);
    for (uint32_t i = 0; i < n; i++) {
        floe_put_u8(w, ids[i].type);
        floe_put_u8(w, ids[i].id);
    }
}

int spice_channels_list_get(struct floe_rbuf *r, struct spice_channel_id *ids, uint32_t max)
{
    uint32_t n = floe_get_u32(r), kept = 0;

    if (r->bad || n > floe_rbuf_left(r) / 2)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t type = floe_get_u8(r), id = floe_get_u8(r);

        if (kept < max) {
            ids[kept].type = type;
            ids[kept].id = id;
            kept++;
        }
    }
    return (int)kept;
}

void spice_name_put(struct floe_wbuf *w, const char *name)
{
    uint32_t len = (uint32_t)strlen(name) + 1;

    floe_put_u32(w, len);
    floe_put_bytes(w, name, len);
}

void spice_uuid_put(struct floe_wbuf *w, const uint8_t uuid[SPICE_UUID_BYTES])
{
    floe_put_bytes(w, uuid, SPICE_UUID_BYTES);
}

int spice_uuid_get(struct floe_rbuf *r, uint8_t uuid[SPICE_UUID_BYTES])
{
    const uint8_t *p = floe_get_bytes(r, SPICE_UUID_BYTES);

    if (!p)
        return -EBADMSG;
    memcpy(uuid, p, SPICE_UUID_BYTES);
    return 0;
}

void spice_monitors_config_put(struct floe_wbuf *w, const struct spice_monitor_head *heads,
                               uint16_t count, uint16_t max_allowed)
{
    floe_put_u16(w, count);
    floe_put_u16(w, max_allowed);
    for (uint16_t i = 0; i < count; i++)
        spice_monitor_head_put(w, &heads[i]);
}

uint32_t spice_key_scancode(uint32_t code)
{
    if ((code & 0xff) == 0xe0)
        return 0xe000 | ((code >> 8) & 0x7f);
    return code & 0x7f;
}
