/* libFuzzer target for the SPICE link stage: header check, SpiceLinkMess and
 * SpiceLinkReply parsers, with a re-encode round trip of what they accept. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/spice/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

/* The parser accepted it, so the caps it copied must survive our writer. */
static void check_mess_round_trip(const struct spice_link_mess *m, const struct spice_caps *caps)
{
    struct spice_link_mess back;
    struct spice_caps caps2;
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    spice_link_mess_write(&w, m, caps);
    if (w.failed || w.len < 16)
        abort();
    if (spice_link_mess_parse(w.data + 16, w.len - 16, &back, &caps2) != SPICE_LINK_ERR_OK ||
        memcmp(caps, &caps2, sizeof(caps2)) != 0 || back.connection_id != m->connection_id ||
        back.channel_type != m->channel_type || back.channel_id != m->channel_id)
        abort();
    floe_wbuf_free(&w);
}

static void fuzz_mess(const uint8_t *body, size_t len)
{
    struct spice_link_mess m;
    struct spice_caps caps;

    if (spice_link_mess_parse(body, len, &m, &caps) != SPICE_LINK_ERR_OK)
        return;
    if (m.caps_offset < 18 || m.caps_offset > len ||
        4 * ((uint64_t)m.num_common_caps + m.num_channel_caps) > len - m.caps_offset ||
        m.num_common_caps > SPICE_LINK_MAX_CAPS || m.num_channel_caps > SPICE_LINK_MAX_CAPS)
        abort();
    check_mess_round_trip(&m, &caps);
}

static void fuzz_reply(const uint8_t *body, size_t len)
{
    const uint8_t *pk = NULL;
    struct spice_caps caps;
    uint32_t sum = 0;

    if (spice_link_reply_parse(body, len, &pk, &caps) != SPICE_LINK_ERR_OK)
        return;
    if (!pk || pk < body || pk + SPICE_TICKET_PUBKEY_BYTES > body + len)
        abort();
    for (int i = 0; i < SPICE_TICKET_PUBKEY_BYTES; i++)
        sum += pk[i];
    for (int i = 0; i < SPICE_CAPS_WORDS; i++)
        sum += caps.common[i] ^ caps.channel[i];
    sink = sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct spice_link_header h;
    struct floe_rbuf r;
    uint8_t *body;
    size_t body_len;
    int err;

    floe_rbuf_init(&r, data, size);
    spice_link_header_get(&r, &h);
    err = spice_link_header_check(&h);
    if (r.bad) {
        fuzz_mess(data, size);
        return 0;
    }
    if (err == SPICE_LINK_ERR_OK && h.size > SPICE_LINK_MAX_SIZE)
        abort();
    /* a real peer reads exactly h.size bytes after the header; fuzz that body
     * when the input holds it, else whatever follows the header */
    body_len = size - 16;
    if (err == SPICE_LINK_ERR_OK && h.size <= body_len)
        body_len = h.size;
    /* an exact-size copy, so ASan sees a read past body_len */
    body = malloc(body_len); /* ASan: non-NULL even for 0 bytes, none readable */
    if (!body)
        return 0;
    memcpy(body, data + 16, body_len);
    fuzz_mess(body, body_len);
    fuzz_reply(body, body_len);
    free(body);
    return 0;
}
