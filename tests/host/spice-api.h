/* What the host programs (qxl_host, qxl_replay) share to play QEMU for a
 * libspice-server.so.1 they dlopen: the library's functions with spice.h's
 * prototypes, its server started on a loopback port, and their output. */
#ifndef FLOE_TESTS_HOST_SPICE_API_H
#define FLOE_TESTS_HOST_SPICE_API_H

#include <spice.h>

#define HOST_SPICE_FUNCS(X)                                                                     \
    X(spice_server_new) X(spice_server_init) X(spice_server_set_port) X(spice_server_set_addr) \
    X(spice_server_set_noauth) X(spice_server_set_image_compression)                           \
    X(spice_server_set_streaming_video) X(spice_server_add_interface)                          \
    X(spice_server_vm_start) X(spice_server_vm_stop) X(spice_qxl_wakeup) X(spice_qxl_oom)      \
    X(spice_qxl_add_memslot) X(spice_qxl_del_memslot) X(spice_qxl_reset_memslots)              \
    X(spice_qxl_create_primary_surface) X(spice_qxl_destroy_primary_surface)                   \
    X(spice_qxl_destroy_primary_surface_async) X(spice_qxl_destroy_surfaces)                   \
    X(spice_qxl_destroy_surfaces_async) X(spice_qxl_destroy_surface_wait)                      \
    X(spice_qxl_destroy_surface_async) X(spice_qxl_update_area)                                \
    X(spice_qxl_update_area_async) X(spice_qxl_reset_image_cache) X(spice_qxl_reset_cursor)    \
    X(spice_qxl_flush_surfaces_async) X(spice_qxl_monitors_config_async)                       \
    X(spice_qxl_driver_unload) X(spice_qxl_loadvm_commands)                        \
    X(spice_server_remove_interface) X(spice_server_char_device_wakeup)

#define HOST_SPICE_DECLARE(f) __typeof__(f) *f;
struct host_spice_api {
    HOST_SPICE_FUNCS(HOST_SPICE_DECLARE)
};
#undef HOST_SPICE_DECLARE

/* Loads the library at `path` and every function above, or exits with
 * status 2 and one line naming `prog`. */
void host_spice_load(struct host_spice_api *api, const char *prog, const char *path);
/* spice_server_new and _init with the host's core interface, listening on
 * 127.0.0.1:port, no ticket, no image compression, video streams as
 * streaming_video says (SPICE_STREAM_VIDEO_OFF, _ALL or _FILTER). */
SpiceServer *host_spice_server_start(const struct host_spice_api *api, const char *prog, int port,
                                     int streaming_video);

/* One line on standard output, whole whatever thread writes it. */
void host_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: WHAT" on standard error, then exit status 2. */
void host_die(const char *prog, const char *what) __attribute__((noreturn));

#endif
