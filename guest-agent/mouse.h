/* floe-agent's pointer: the server's MOUSE_STATE (client mouse mode) as an
 * absolute pointer device made with uinput. */
#ifndef FLOE_AGENT_MOUSE_H
#define FLOE_AGENT_MOUSE_H

#include <stdint.h>

struct agent_mouse;

struct agent_mouse *agent_mouse_new(void);
void agent_mouse_free(struct agent_mouse *m);
/* The display's size: positions are in its pixels (the device is made again
 * when it changes). */
void agent_mouse_set_size(struct agent_mouse *m, uint32_t width, uint32_t height);
/* One MOUSE_STATE: 0 or negative errno (no /dev/uinput, say). */
int agent_mouse_state(struct agent_mouse *m, uint32_t x, uint32_t y, uint32_t buttons);

#endif
