/* The SpiceCoreInterface a host program hands a dlopened libspice-server:
 * timers and fd watches served by one poll() loop on the program's main
 * thread, which the library's threads may wake. */
#ifndef FLOE_TESTS_HOST_SPICE_CORE_H
#define FLOE_TESTS_HOST_SPICE_CORE_H

#include <stdint.h>

#include <spice.h>

typedef void host_channel_event_fn(int event, SpiceChannelEventInfo *info);

/* Makes the wake-up pipe; `on_event` hears the library's channel events.
 * Exits the program (status 2) when it cannot. */
void host_core_init(const char *prog, host_channel_event_fn *on_event);
/* The interface to hand spice_server_init (lives as long as the program). */
SpiceCoreInterface *host_core(void);
/* Wakes the loop from any thread. */
void host_core_wake(void);
/* One turn on the loop's thread: polls the watches and the wake-up pipe
 * for at most max_ms (less when a timer is due), then runs what is ready. */
void host_core_turn(int max_ms);
int64_t host_now_ms(void);

#endif
