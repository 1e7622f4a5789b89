/* Connections the embedding host accepted itself (as QEMU's add_client
 * does): the socket is wrapped and served like one from the listener. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/internal.h"

int floe_server_adopt_fd(struct floe_server *s, int fd)
{
    struct fsrv_chan *c;
    char fallback[32];
    int type = 0, rc;
    socklen_t len = sizeof(type);

    if (fd < 0)
        return -EBADF;
    /* datagram sockets would lose the framing */
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        rc = -errno;
        goto fail;
    }
    if (type != SOCK_STREAM) {
        rc = -EPROTOTYPE;
        goto fail;
    }
    c = fsrv_chan_new(s);
    if (!c) {
        rc = -ENOMEM;
        goto fail;
    }
    /* libuv's TCP stream does plain read/write, so it carries AF_UNIX too */
    rc = uv_tcp_open(&c->tcp, fd);
    if (rc < 0) {
        fsrv_chan_discard(c);
        goto fail;
    }
    snprintf(fallback, sizeof(fallback), "fd %d", fd);
    fsrv_chan_start(c, fallback);
    return 0;
fail:
    close(fd); /* ours even on failure, so the caller never double-closes */
    return rc;
}
