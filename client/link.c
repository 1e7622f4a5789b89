/* Opens one SPICE channel: TCP or unix connect, link message, reply, auth
 * mechanism and the RSA-OAEP ticket, all blocking but bounded by a deadline. */
#include "client/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char *const link_err_names[] = {
    "OK", "ERROR", "INVALID_MAGIC", "INVALID_DATA", "VERSION_MISMATCH", "NEED_SECURED",
    "NEED_UNSECURED", "PERMISSION_DENIED", "BAD_CONNECTION_ID", "CHANNEL_NOT_AVAILABLE",
};

const char *fcli_link_error_name(uint32_t err)
{
    if (err < sizeof(link_err_names) / sizeof(link_err_names[0]))
        return link_err_names[err];
    return "UNKNOWN_ERROR";
}

/* A link error word from the peer as a positive code (never 0 or negative). */
static int link_code(uint32_t e)
{
    return e > 0xffff ? SPICE_LINK_ERR_ERROR : (int)e;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The link being made on this thread gives up when this is set. */
static _Thread_local atomic_int *link_cancel;

/* Waits until fd is ready for `events`, the deadline passes or the link
 * is cancelled (checked every 100 ms, so closing a viewer never waits). */
static int wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = events };

    for (;;) {
        int64_t left = deadline - now_ms();
        int n;

        if (link_cancel && atomic_load(link_cancel))
            return -ECANCELED;
        if (left <= 0)
            return -ETIMEDOUT;
        n = poll(&p, 1, (int)(left > 100 ? 100 : left));
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

static int write_all(int fd, const uint8_t *p, size_t len, int64_t deadline)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            int rc = wait_fd(fd, POLLOUT, deadline);

            if (rc)
                return rc;
        } else {
            return n < 0 ? -errno : -EPIPE;
        }
    }
    return 0;
}

static int read_all(int fd, uint8_t *p, size_t len, int64_t deadline)
{
    while (len) {
        ssize_t n = recv(fd, p, len, 0);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n == 0) {
            return -ECONNRESET;
        } else if (errno == EAGAIN || errno == EINTR) {
            int rc = wait_fd(fd, POLLIN, deadline);

            if (rc)
                return rc;
        } else {
            return -errno;
        }
    }
    return 0;
}

/* A non-blocking stream socket of family connected to addr within the
 * deadline: the fd, or -errno. */
static int connect_one(int family, const struct sockaddr *addr, socklen_t addrlen,
                       int64_t deadline)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = 0, one = 1;
    socklen_t sl = sizeof(rc);

    if (fd < 0)
        return -errno;
    if (connect(fd, addr, addrlen) < 0) {
        if (errno != EINPROGRESS) {
            rc = -errno;
            goto fail;
        }
        rc = wait_fd(fd, POLLOUT, deadline);
        if (rc)
            goto fail;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &sl) < 0 || rc) {
            rc = rc ? -rc : -errno;
            goto fail;
        }
    }
    if (family != AF_UNIX)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
fail:
    close(fd);
    return rc;
}

static int tcp_connect(const char *host, int port, int64_t deadline, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
    char portstr[16];
    int rc, fd = -ECONNREFUSED;

    snprintf(portstr, sizeof(portstr), "%d", port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -EHOSTUNREACH;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = connect_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen, deadline);
        if (fd >= 0)
            break;
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(-fd));
    return fd;
}

static int unix_connect(const char *path, int64_t deadline, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "unix socket path too long (over %zu bytes): %s",
                 sizeof(sa.sun_path) - 1, path);
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = connect_one(AF_UNIX, (const struct sockaddr *)&sa, sizeof(sa), deadline);
    if (fd < 0)
        snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(-fd));
    return fd;
}

/* RSA-OAEP (SHA-1, MGF1-SHA-1) of password + NUL with the server's DER key. */
static int encrypt_ticket(const uint8_t *der, const char *password, uint8_t *out,
                          size_t *outlen)
{
    const unsigned char *p = der;
    EVP_PKEY *key = d2i_PUBKEY(NULL, &p, SPICE_TICKET_PUBKEY_BYTES);
    EVP_PKEY_CTX *ctx = NULL;
    int rc = -EPROTO;

    if (!key)
        return -EPROTO;
    ctx = EVP_PKEY_CTX_new(key, NULL);
    if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()) <= 0)
        goto out;
    if (EVP_PKEY_encrypt(ctx, NULL, outlen, (const unsigned char *)password,
                         strlen(password) + 1) <= 0 || *outlen > 512)
        goto out;
    if (EVP_PKEY_encrypt(ctx, out, outlen, (const unsigned char *)password,
                         strlen(password) + 1) <= 0)
        goto out;
    rc = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return rc;
}

static int send_link_mess(int fd, const struct fcli_link_request *req, int64_t deadline)
{
    struct floe_wbuf w;
    struct spice_link_mess m = { req->connection_id, req->channel_type, req->channel_id, 0, 0, 0 };
    int rc;

    floe_wbuf_init(&w, 65536);
    spice_link_mess_write(&w, &m, req->caps);
    rc = w.failed ? -ENOMEM : write_all(fd, w.data, w.len, deadline);
    floe_wbuf_free(&w);
    return rc;
}

/* Reads the SpiceLinkReply; on success fills the key and caps. Returns 0,
 * -errno, or a positive spice_link_err. */
static int read_link_reply(int fd, int64_t deadline, uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES],
                           struct spice_caps *caps)
{
    uint8_t hb[SPICE_SIZE_link_header], body[SPICE_LINK_MAX_SIZE];
    struct spice_link_header h;
    struct spice_link_result result;
    struct floe_rbuf r;
    const uint8_t *key;
    int rc = read_all(fd, hb, sizeof(hb), deadline);

    if (rc)
        return rc;
    floe_rbuf_init(&r, hb, sizeof(hb));
    spice_link_header_get(&r, &h);
    rc = spice_link_header_check(&h);
    if (rc)
        return rc;
    if (h.size < SPICE_SIZE_link_result)
        return SPICE_LINK_ERR_INVALID_DATA;
    rc = read_all(fd, body, h.size, deadline);
    if (rc)
        return rc;
    /* the reply starts with the link's result */
    floe_rbuf_init(&r, body, h.size);
    spice_link_result_get(&r, &result);
    if (result.error != SPICE_LINK_ERR_OK)
        return link_code(result.error);
    memset(caps, 0, sizeof(*caps));
    rc = spice_link_reply_parse(body, h.size, &key, caps);
    if (rc)
        return rc;
    memcpy(pubkey, key, SPICE_TICKET_PUBKEY_BYTES);
    return 0;
}

static int link_fail(int rc, struct fcli_link_reply *rep, char *err, size_t errlen,
                     const char *what)
{
    if (rc > 0) {
        rep->link_error = rc;
        snprintf(err, errlen, "link refused: %s", fcli_link_error_name((uint32_t)rc));
        return -EPERM;
    }
    if (rc == -ECONNRESET)
        snprintf(err, errlen, "link failed: the server closed the connection (%s)", what);
    else
        snprintf(err, errlen, "link failed: %s: %s", what, strerror(-rc));
    return rc;
}

/* Auth mechanism, ticket and link result, after a successful reply. */
static int authenticate(int fd, const struct fcli_link_request *req, const uint8_t *pubkey,
                        const struct spice_caps *peer, int64_t deadline)
{
    uint8_t ticket[512], word[SPICE_SIZE_link_result];
    struct spice_link_result result;
    struct floe_rbuf r;
    struct floe_wbuf w;
    size_t tlen = 0;
    int rc;

    if (spice_caps_has(peer->common, SPICE_COMMON_CAP_AUTH_SELECTION)) {
        if (!spice_caps_has(peer->common, SPICE_COMMON_CAP_AUTH_SPICE))
            return -EPROTONOSUPPORT;
        floe_wbuf_init(&w, 0);
        spice_auth_mechanism_put(&w, &(struct spice_auth_mechanism){ SPICE_AUTH_SPICE });
        rc = w.failed ? -ENOMEM : write_all(fd, w.data, w.len, deadline);
        floe_wbuf_free(&w);
        if (rc)
            return rc;
    }
    rc = encrypt_ticket(pubkey, req->password ? req->password : "", ticket, &tlen);
    if (rc)
        return rc;
    rc = write_all(fd, ticket, tlen, deadline);
    if (rc)
        return rc;
    rc = read_all(fd, word, sizeof(word), deadline);
    if (rc)
        return rc;
    floe_rbuf_init(&r, word, sizeof(word));
    spice_link_result_get(&r, &result);
    return result.error == SPICE_LINK_ERR_OK ? 0 : link_code(result.error);
}

int fcli_link_open(const struct fcli_link_request *req, struct fcli_link_reply *rep,
                   char *err, size_t errlen)
{
    int64_t deadline = now_ms() + (req->timeout_ms > 0 ? req->timeout_ms : 10000);
    uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES];
    int fd, rc;

    memset(rep, 0, sizeof(*rep));
    rep->fd = -1;
    link_cancel = req->cancel;
    if (req->password && strlen(req->password) > SPICE_MAX_PASSWORD) {
        snprintf(err, errlen, "password longer than %d characters", SPICE_MAX_PASSWORD);
        return -EINVAL;
    }
    fd = req->unix_path ? unix_connect(req->unix_path, deadline, err, errlen)
                        : tcp_connect(req->host, req->port, deadline, err, errlen);
    if (fd < 0)
        return fd;
    rc = send_link_mess(fd, req, deadline);
    if (rc) {
        rc = link_fail(rc, rep, err, errlen, "sending the link message");
        goto fail;
    }
    rc = read_link_reply(fd, deadline, pubkey, &rep->peer_caps);
    if (rc) {
        rc = link_fail(rc, rep, err, errlen, "reading the link reply");
        goto fail;
    }
    rc = authenticate(fd, req, pubkey, &rep->peer_caps, deadline);
    if (rc == -EPROTONOSUPPORT) {
        snprintf(err, errlen, "link failed: the server offers no SPICE ticket authentication");
        goto fail;
    }
    if (rc) {
        rc = link_fail(rc, rep, err, errlen, rc == -EPROTO ? "bad server public key" : "authenticating");
        goto fail;
    }
    rep->fd = fd;
    rep->mini = spice_caps_has(rep->peer_caps.common, SPICE_COMMON_CAP_MINI_HEADER);
    floe_debug("linked channel %u:%u (%s headers)", req->channel_type, req->channel_id,
               rep->mini ? "mini" : "full");
    return 0;
fail:
    close(fd);
    return rc;
}
