/* floe-agent's display through DRM/KMS: a monitors config becomes a mode on
 * each connected output (found in its list or made up), shown with a dumb
 * buffer. Raw ioctls and the kernel's headers only: nothing links libdrm. */
#include "guest-agent/drm.h"

#include <drm.h>
#include <drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define DRM_MAX 8      /* connectors, CRTCs, encoders looked at */
#define DRM_MODES 64
#define DRM_MAX_SIDE 8192

struct agent_drm {
    char card[64];
    int fd;
    /* the buffer each CRTC shows (ours), freed when the next replaces it */
    uint32_t crtc[DRM_MAX], fb[DRM_MAX], handle[DRM_MAX];
};

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;

    do {
        r = ioctl(fd, req, arg);
    } while (r < 0 && (errno == EINTR || errno == EAGAIN));
    return r < 0 ? -errno : 0;
}

struct agent_drm *agent_drm_new(const char *card)
{
    struct agent_drm *d = calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    snprintf(d->card, sizeof(d->card), "%s", card);
    d->fd = -1;
    return d;
}

static void drm_drop_fb(int fd, uint32_t fb, uint32_t handle)
{
    struct drm_mode_destroy_dumb dd = { .handle = handle };

    if (fb)
        xioctl(fd, DRM_IOCTL_MODE_RMFB, &fb);
    if (handle)
        xioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
}

void agent_drm_free(struct agent_drm *d)
{
    if (!d)
        return;
    if (d->fd >= 0)
        close(d->fd);   /* the kernel removes our buffers; the console comes back */
    free(d);
}

/* the card's connected connectors (in order) and CRTCs */
static int drm_resources(int fd, uint32_t *conns, uint32_t *nconn, uint32_t *crtcs,
                         uint32_t *ncrtc)
{
    uint32_t ids[DRM_MAX];
    struct drm_mode_card_res res = { 0 };
    int r;

    if ((r = xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) < 0)
        return r;
    res.count_fbs = res.count_encoders = 0;
    res.count_crtcs = res.count_crtcs < DRM_MAX ? res.count_crtcs : DRM_MAX;
    res.count_connectors = res.count_connectors < DRM_MAX ? res.count_connectors : DRM_MAX;
    res.crtc_id_ptr = (uintptr_t)crtcs;
    res.connector_id_ptr = (uintptr_t)ids;
    if ((r = xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) < 0)
        return r;
    *ncrtc = res.count_crtcs;
    *nconn = 0;
    for (uint32_t i = 0; i < res.count_connectors; i++) {
        struct drm_mode_get_connector c = { .connector_id = ids[i] };
        if (xioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) == 0 && c.connection == 1)
            conns[(*nconn)++] = ids[i];
    }
    return 0;
}

/* the connector's mode of exactly w x h, or one made up (CVT-like blanking
 * at 60 Hz): virtual display devices take any mode their memory holds */
static int drm_mode(int fd, uint32_t conn, uint32_t w, uint32_t h, struct drm_mode_modeinfo *out,
                    uint32_t *encoder)
{
    struct drm_mode_modeinfo modes[DRM_MODES];
    struct drm_mode_get_connector c = { .connector_id = conn };
    int r;

    if ((r = xioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c)) < 0)
        return r;
    *encoder = c.encoder_id;
    c.count_modes = c.count_modes < DRM_MODES ? c.count_modes : DRM_MODES;
    c.modes_ptr = (uintptr_t)modes;
    c.count_props = c.count_encoders = 0;
    if ((r = xioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c)) < 0)
        return r;
    for (uint32_t i = 0; i < c.count_modes && i < DRM_MODES; i++) {
        if (modes[i].hdisplay == w && modes[i].vdisplay == h) {
            *out = modes[i];
            return 0;
        }
    }
    memset(out, 0, sizeof(*out));
    out->hdisplay = (uint16_t)w;
    out->hsync_start = (uint16_t)(w + 48);
    out->hsync_end = (uint16_t)(w + 80);
    out->htotal = (uint16_t)(w + 160);
    out->vdisplay = (uint16_t)h;
    out->vsync_start = (uint16_t)(h + 3);
    out->vsync_end = (uint16_t)(h + 8);
    out->vtotal = (uint16_t)(h + 30);
    out->vrefresh = 60;
    out->clock = (uint32_t)((uint64_t)out->htotal * out->vtotal * 60 / 1000);
    out->flags = DRM_MODE_FLAG_NHSYNC | DRM_MODE_FLAG_PVSYNC;
    out->type = DRM_MODE_TYPE_USERDEF;
    snprintf(out->name, sizeof(out->name), "%ux%u", w, h);
    return 0;
}

/* the CRTC the connector's encoder drives, else the first it may drive */
static int drm_crtc_of(int fd, uint32_t encoder, const uint32_t *crtcs, uint32_t ncrtc,
                       uint32_t *crtc)
{
    struct drm_mode_get_encoder e = { .encoder_id = encoder };
    int r;

    if (!encoder)
        return -ENODEV;
    if ((r = xioctl(fd, DRM_IOCTL_MODE_GETENCODER, &e)) < 0)
        return r;
    if (e.crtc_id) {
        *crtc = e.crtc_id;
        return 0;
    }
    for (uint32_t i = 0; i < ncrtc; i++) {
        if (e.possible_crtcs & (1u << i)) {
            *crtc = crtcs[i];
            return 0;
        }
    }
    return -ENODEV;
}

static int drm_show(struct agent_drm *d, int slot, uint32_t crtc, uint32_t conn,
                    struct drm_mode_modeinfo *mode)
{
    struct drm_mode_create_dumb cd = { .width = mode->hdisplay, .height = mode->vdisplay, .bpp = 32 };
    struct drm_mode_fb_cmd fc;
    int r;

    if ((r = xioctl(d->fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) < 0)
        return r;
    fc = (struct drm_mode_fb_cmd){ .width = cd.width, .height = cd.height, .pitch = cd.pitch,
                                   .bpp = 32, .depth = 24, .handle = cd.handle };
    if ((r = xioctl(d->fd, DRM_IOCTL_MODE_ADDFB, &fc)) < 0) {
        drm_drop_fb(d->fd, 0, cd.handle);
        return r;
    }
    struct drm_mode_crtc set = { .crtc_id = crtc, .fb_id = fc.fb_id, .mode_valid = 1,
                                 .mode = *mode, .count_connectors = 1,
                                 .set_connectors_ptr = (uintptr_t)&conn };
    if ((r = xioctl(d->fd, DRM_IOCTL_MODE_SETCRTC, &set)) < 0) {
        drm_drop_fb(d->fd, fc.fb_id, cd.handle);
        return r;
    }
    drm_drop_fb(d->fd, d->fb[slot], d->handle[slot]);   /* shown no more */
    d->fb[slot] = fc.fb_id;
    d->handle[slot] = cd.handle;
    d->crtc[slot] = crtc;
    return 0;
}

int agent_drm_apply(struct agent_drm *d, const struct floe_agent_monitor *mons, uint32_t n)
{
    uint32_t conns[DRM_MAX], crtcs[DRM_MAX], nconn = 0, ncrtc = 0, encoder, crtc;
    struct drm_mode_modeinfo mode;
    int r;

    if (d->fd < 0 && (d->fd = open(d->card, O_RDWR | O_CLOEXEC)) < 0)
        return -errno;
    if ((r = drm_resources(d->fd, conns, &nconn, crtcs, &ncrtc)) < 0)
        return r;
    /* monitor i is the i-th connected output; disabled monitors stay as they are */
    for (uint32_t i = 0; i < n && i < nconn; i++) {
        if (!mons[i].width || !mons[i].height)
            continue;
        if (mons[i].width > DRM_MAX_SIDE || mons[i].height > DRM_MAX_SIDE)
            return -EINVAL;
        if ((r = drm_mode(d->fd, conns[i], mons[i].width, mons[i].height, &mode, &encoder)) < 0 ||
            (r = drm_crtc_of(d->fd, encoder, crtcs, ncrtc, &crtc)) < 0 ||
            (r = drm_show(d, (int)i, crtc, conns[i], &mode)) < 0)
            return r;
    }
    return nconn ? 0 : -ENODEV;
}

int agent_drm_print(const char *card, FILE *out)
{
    uint32_t conns[DRM_MAX], crtcs[DRM_MAX], nconn = 0, ncrtc = 0;
    int fd = open(card, O_RDWR | O_CLOEXEC), r, shown = 0;

    if (fd < 0)
        return -errno;
    if ((r = drm_resources(fd, conns, &nconn, crtcs, &ncrtc)) < 0) {
        close(fd);
        return r;
    }
    for (uint32_t i = 0; i < ncrtc; i++) {
        struct drm_mode_crtc c = { .crtc_id = crtcs[i] };
        if (xioctl(fd, DRM_IOCTL_MODE_GETCRTC, &c) == 0 && c.mode_valid) {
            fprintf(out, "floe-agent: crtc %u mode %ux%u\n", c.crtc_id, c.mode.hdisplay,
                    c.mode.vdisplay);
            shown++;
        }
    }
    if (!shown)
        fprintf(out, "floe-agent: no crtc shows a mode\n");
    close(fd);
    return 0;
}
