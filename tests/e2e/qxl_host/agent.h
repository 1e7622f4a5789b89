/* qxl_host's guest agent (agent.c): a vdagent char device as QEMU's
 * spicevmc chardev registers it, with a small VDAgent behind it. */
#ifndef FLOE_TESTS_QXL_HOST_AGENT_H
#define FLOE_TESTS_QXL_HOST_AGENT_H

#include <spice.h>

#include "tests/host/spice-api.h"
#include "tests/host/spice-core.h"

/* Registers the char device (as QEMU does when the guest opens its port)
 * on the main loop's thread; `text` is what the agent grabs and serves. */
void agent_start(const struct host_spice_api *api, SpiceServer *server, const char *text);
/* Once per turn of the main loop. */
void agent_turn(void);

#endif
