/* Claiming a unix socket path (floe_server_unix_path_claim): a connect()
 * tells a live socket from a stale one, so a second server never takes over
 * a first. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "floe/server.h"

int floe_server_unix_path_claim(const char *path, int *stale)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd, rc;

    if (stale)
        *stale = 0;
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode))
        return -EEXIST;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    /* non-blocking: a live listener with a full backlog answers EAGAIN at
     * once rather than keeping us waiting */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
    close(fd);
    if (rc == 0 || rc == -EAGAIN)   /* EAGAIN: a listener whose backlog is full */
        return -EADDRINUSE;
    if (rc != -ECONNREFUSED)
        return rc;
    if (unlink(path) < 0 && errno != ENOENT)
        return -errno;
    if (stale)
        *stale = 1;
    return 0;
}

const char *floe_server_unix_path_error(int rc)
{
    switch (rc) {
    case -EADDRINUSE: return "another server is listening there";
    case -EEXIST: return "a file that is not a socket is there";
    case -ENAMETOOLONG: return "the path is too long for a unix socket";
    default: return strerror(-rc);
    }
}
