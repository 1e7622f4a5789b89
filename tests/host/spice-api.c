/* The library's functions, its server and the host programs' output
 * (spice-api.h). */
#include "tests/host/spice-api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/host/spice-core.h"

void host_spice_load(struct host_spice_api *api, const char *prog, const char *path)
{
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);

    if (!lib) {
        fprintf(stderr, "%s: %s\n", prog, dlerror());
        exit(2);
    }
#define LOAD(f)                                                   \
    if (!(api->f = (__typeof__(api->f))dlsym(lib, #f))) {         \
        fprintf(stderr, "%s: %s lacks %s\n", prog, path, #f);     \
        exit(2);                                                  \
    }
    HOST_SPICE_FUNCS(LOAD)
#undef LOAD
}

SpiceServer *host_spice_server_start(const struct host_spice_api *api, const char *prog, int port,
                                     int streaming_video)
{
    SpiceServer *s = api->spice_server_new();

    if (!s)
        host_die(prog, "spice_server_new failed");
    api->spice_server_set_port(s, port);
    api->spice_server_set_addr(s, "127.0.0.1", 0);
    api->spice_server_set_noauth(s);
    api->spice_server_set_image_compression(s, SPICE_IMAGE_COMPRESSION_OFF);
    /* OFF, but where a test means the server to stream: the pictures are
     * compared pixel for pixel, and video streams are lossy */
    api->spice_server_set_streaming_video(s, streaming_video);
    if (api->spice_server_init(s, host_core()) != 0)
        host_die(prog, "spice_server_init failed");
    return s;
}

void host_say(const char *fmt, ...)
{
    static pthread_mutex_t out = PTHREAD_MUTEX_INITIALIZER;
    va_list ap;

    pthread_mutex_lock(&out);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    pthread_mutex_unlock(&out);
}

void host_die(const char *prog, const char *what)
{
    fprintf(stderr, "%s: %s\n", prog, what);
    exit(2);
}
