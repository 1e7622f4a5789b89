/* A TCP socket's delivery counts from the kernel (TCP_INFO). Apart from
 * the rest of the network layer: Linux's struct tcp_info with these counts
 * lives in a header that clashes with libc's, which libuv includes. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <linux/tcp.h>

int fsrv_tcp_info(int fd, uint64_t *acked, uint32_t *unsent);

int fsrv_tcp_info(int fd, uint64_t *acked, uint32_t *unsent)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);

    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_notsent_bytes) + sizeof(ti.tcpi_notsent_bytes))
        return -ENOTSUP;
    *acked = ti.tcpi_bytes_acked;
    *unsent = ti.tcpi_notsent_bytes;
    return 0;
}
