/* QEMU's sound cards and char devices. The guest agent's port (vdagent)
 * goes to floe's agent relay (agent.c); the rest are registered and
 * accepted so that QEMU runs with them, their channels coming with the
 * audio and USB work: until then playback is taken and dropped, recording
 * yields silence and the other char devices (usbredir, smartcard, named
 * ports) are left to fill (the guest side waits, as with no client). */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/qemu/lib.h"

/* the reference's 10 ms frame at 48 kHz */
#define FRAME_SAMPLES 480

struct SpicePlaybackState {
    SpiceServer *server;
    uint32_t rate;
    uint32_t frame[FRAME_SAMPLES];   /* one stereo S16 sample per word */
};

struct SpiceRecordState {
    SpiceServer *server;
    uint32_t rate;
};

struct SpiceCharDeviceState {
    SpiceServer *server;
    struct fqxl_agent *agent;   /* vdagent's, once the server runs */
};

static const char *subtypes[] = { "vdagent", "smartcard", "usbredir", "port", NULL };

static int known_subtype(const char *t)
{
    for (int i = 0; subtypes[i]; i++)
        if (t && !strcmp(t, subtypes[i]))
            return 1;
    return 0;
}

int fqxl_device_add(SpiceServer *s, SpiceBaseInstance *sin)
{
    const SpiceBaseInterface *sif = sin->sif;

    if (!strcmp(sif->type, SPICE_INTERFACE_PLAYBACK)) {
        SpicePlaybackInstance *p = (SpicePlaybackInstance *)sin;
        if (sif->major_version != SPICE_INTERFACE_PLAYBACK_MAJOR)
            return -1;
        p->st = calloc(1, sizeof(*p->st));
        if (!p->st)
            return -1;
        p->st->server = s;
        p->st->rate = s->playback_rate;
        return 0;
    }
    if (!strcmp(sif->type, SPICE_INTERFACE_RECORD)) {
        SpiceRecordInstance *r = (SpiceRecordInstance *)sin;
        if (sif->major_version != SPICE_INTERFACE_RECORD_MAJOR)
            return -1;
        r->st = calloc(1, sizeof(*r->st));
        if (!r->st)
            return -1;
        r->st->server = s;
        r->st->rate = s->record_rate;
        return 0;
    }
    if (!strcmp(sif->type, SPICE_INTERFACE_CHAR_DEVICE)) {
        SpiceCharDeviceInstance *c = (SpiceCharDeviceInstance *)sin;
        if (sif->major_version != SPICE_INTERFACE_CHAR_DEVICE_MAJOR)
            return -1;
        if (!known_subtype(c->subtype)) {
            floe_err("char device of unknown kind '%s'", c->subtype ? c->subtype : "");
            return -1;
        }
        c->st = calloc(1, sizeof(*c->st));
        if (!c->st)
            return -1;
        c->st->server = s;
        if (!strcmp(c->subtype, "vdagent") && s->thread) {
            c->st->agent = fqxl_agent_new(s, c);
            if (!c->st->agent) {
                free(c->st);
                c->st = NULL;
                return -1;
            }
            return 0;
        }
        floe_info("char device %s%s%s accepted but not served: floe's SPICE server has no "
                  "channel for it yet (the guest side waits)", c->subtype,
                  c->portname ? " " : "", c->portname ? c->portname : "");
        return 0;
    }
    return -1;
}

int fqxl_device_remove(SpiceBaseInstance *sin)
{
    const SpiceBaseInterface *sif = sin->sif;

    if (!strcmp(sif->type, SPICE_INTERFACE_PLAYBACK)) {
        SpicePlaybackInstance *p = (SpicePlaybackInstance *)sin;
        free(p->st);
        p->st = NULL;
    } else if (!strcmp(sif->type, SPICE_INTERFACE_RECORD)) {
        SpiceRecordInstance *r = (SpiceRecordInstance *)sin;
        free(r->st);
        r->st = NULL;
    } else if (!strcmp(sif->type, SPICE_INTERFACE_CHAR_DEVICE)) {
        SpiceCharDeviceInstance *c = (SpiceCharDeviceInstance *)sin;
        if (c->st && c->st->agent)
            fqxl_agent_free(c->st->agent);
        free(c->st);
        c->st = NULL;
    }
    return 0;
}

/* ---- playback ---- */

FQXL_EXPORT void spice_server_playback_start(SpicePlaybackInstance *sin)
{
}

FQXL_EXPORT void spice_server_playback_stop(SpicePlaybackInstance *sin)
{
}

FQXL_EXPORT void spice_server_playback_get_buffer(SpicePlaybackInstance *sin, uint32_t **samples,
                                                  uint32_t *num_samples)
{
    if (!sin->st) {
        *samples = NULL;
        *num_samples = 0;
        return;
    }
    *samples = sin->st->frame;
    *num_samples = FRAME_SAMPLES;
}

FQXL_EXPORT void spice_server_playback_put_samples(SpicePlaybackInstance *sin, uint32_t *samples)
{
}

FQXL_EXPORT void spice_server_playback_set_volume(SpicePlaybackInstance *sin, uint8_t nchannels,
                                                  uint16_t *volume)
{
}

FQXL_EXPORT void spice_server_playback_set_mute(SpicePlaybackInstance *sin, uint8_t mute)
{
}

/* QEMU asks before it has an instance (NULL): 48 kHz, Opus's rate */
FQXL_EXPORT uint32_t spice_server_get_best_playback_rate(SpicePlaybackInstance *sin)
{
    return 48000;
}

FQXL_EXPORT void spice_server_set_playback_rate(SpicePlaybackInstance *sin, uint32_t frequency)
{
    if (sin && sin->st)
        sin->st->rate = frequency;
}

/* ---- record ---- */

FQXL_EXPORT void spice_server_record_start(SpiceRecordInstance *sin)
{
}

FQXL_EXPORT void spice_server_record_stop(SpiceRecordInstance *sin)
{
}

FQXL_EXPORT uint32_t spice_server_record_get_samples(SpiceRecordInstance *sin, uint32_t *samples,
                                                     uint32_t bufsize)
{
    return 0;
}

FQXL_EXPORT void spice_server_record_set_volume(SpiceRecordInstance *sin, uint8_t nchannels,
                                                uint16_t *volume)
{
}

FQXL_EXPORT void spice_server_record_set_mute(SpiceRecordInstance *sin, uint8_t mute)
{
}

FQXL_EXPORT uint32_t spice_server_get_best_record_rate(SpiceRecordInstance *sin)
{
    return 48000;
}

FQXL_EXPORT void spice_server_set_record_rate(SpiceRecordInstance *sin, uint32_t frequency)
{
    if (sin && sin->st)
        sin->st->rate = frequency;
}

/* ---- char devices ---- */

FQXL_EXPORT void spice_server_char_device_wakeup(SpiceCharDeviceInstance *sin)
{
    if (sin && sin->st && sin->st->agent)
        fqxl_agent_wakeup(sin->st->agent);
}

FQXL_EXPORT void spice_server_port_event(SpiceCharDeviceInstance *sin, uint8_t event)
{
}

FQXL_EXPORT const char **spice_server_char_device_recognized_subtypes(void)
{
    return subtypes;
}
