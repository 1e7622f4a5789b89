/* floe-agent's display: the client's monitors config set as modes through
 * DRM/KMS on the guest's display device. */
#ifndef FLOE_AGENT_DRM_H
#define FLOE_AGENT_DRM_H

#include <stdio.h>

#include "guest-agent/agent.h"

struct agent_drm;

/* A display on `card` (/dev/dri/card0), opened when first used. */
struct agent_drm *agent_drm_new(const char *card);
/* Closes the device: its buffers go and the console takes the display back. */
void agent_drm_free(struct agent_drm *d);
/* Sets monitor i's size on the i-th connected output; 0 or negative errno. */
int agent_drm_apply(struct agent_drm *d, const struct floe_agent_monitor *mons, uint32_t n);
/* Prints each CRTC's mode ("floe-agent: crtc ID mode WxH"); 0 or negative errno. */
int agent_drm_print(const char *card, FILE *out);

#endif
