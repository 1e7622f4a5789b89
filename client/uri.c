/* spice:// URIs as remote-viewer accepts them: host, port in the authority or
 * as ?port=, and an optional password (percent-decoded); spice+unix://PATH. */
#include "client/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes src[0..n) into dst (size dsize). -1 if it does not fit or is bad. */
static int decode(char *dst, size_t dsize, const char *src, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char ch = src[i];

        if (ch == '%') {
            if (i + 2 >= n || hexval(src[i + 1]) < 0 || hexval(src[i + 2]) < 0)
                return -1;
            ch = (char)(hexval(src[i + 1]) << 4 | hexval(src[i + 2]));
            i += 2;
        }
        if (ch == 0 || o + 1 >= dsize)
            return -1;
        dst[o++] = ch;
    }
    dst[o] = 0;
    return 0;
}

static int parse_port(const char *s, size_t n)
{
    int port = 0;

    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        port = port * 10 + (s[i] - '0');
    }
    return port >= 1 && port <= 65535 ? port : -1;
}

static int fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return -EINVAL;
}

/* Splits the authority into host and optional port. */
static int parse_authority(const char *a, size_t n, struct floe_client_uri *out, char *err,
                           size_t errlen)
{
    const char *colon = NULL, *hs = a;
    size_t hn = n;

    if (n && a[0] == '[') {
        const char *close = memchr(a, ']', n);

        if (!close)
            return fail(err, errlen, "unterminated [ in the host");
        hs = a + 1;
        hn = (size_t)(close - a - 1);
        if (close + 1 < a + n) {
            if (close[1] != ':')
                return fail(err, errlen, "junk after ] in the host");
            colon = close + 1;
        }
    } else {
        colon = memchr(a, ':', n);
        if (colon)
            hn = (size_t)(colon - a);
    }
    if (hn == 0 || hn >= sizeof(out->host))
        return fail(err, errlen, "missing or overlong host");
    memcpy(out->host, hs, hn);
    out->host[hn] = 0;
    if (colon) {
        out->port = parse_port(colon + 1, (size_t)(a + n - colon - 1));
        if (out->port < 0)
            return fail(err, errlen, "bad port");
    }
    return 0;
}

static int parse_query(const char *q, struct floe_client_uri *out, char *err, size_t errlen)
{
    int tls_only = 0;

    while (*q) {
        size_t n = strcspn(q, "&;");
        const char *eq = memchr(q, '=', n);
        size_t kn = eq ? (size_t)(eq - q) : n, vn = eq ? n - kn - 1 : 0;
        const char *v = eq ? eq + 1 : "";

        if (kn == 4 && !memcmp(q, "port", 4)) {
            out->port = parse_port(v, vn);
            if (out->port < 0)
                return fail(err, errlen, "bad port");
        } else if (kn == 8 && !memcmp(q, "password", 8)) {
            if (decode(out->password, sizeof(out->password), v, vn))
                return fail(err, errlen, "bad or overlong password");
            out->has_password = 1;
        } else if (kn == 8 && !memcmp(q, "tls-port", 8)) {
            tls_only = 1;
        }
        q += n;
        if (*q)
            q++;
    }
    if (tls_only && out->port <= 0)
        return fail(err, errlen, "TLS (tls-port) is not supported yet");
    return 0;
}

/* spice+unix://PATH: like remote-viewer (spice-gtk), everything after the
 * scheme is the path, taken as it is (no query, no percent-decoding). */
static int parse_unix(const char *path, struct floe_client_uri *out, char *err, size_t errlen)
{
    if (!*path)
        return fail(err, errlen, "no socket path after spice+unix://");
    if (strlen(path) >= sizeof(out->unix_path))
        return fail(err, errlen, "unix socket path too long");
    strcpy(out->unix_path, path);
    out->port = 0;
    return 0;
}

int floe_client_parse_uri(const char *uri, struct floe_client_uri *out, char *err, size_t errlen)
{
    const char *a, *end;
    int rc;

    memset(out, 0, sizeof(*out));
    out->port = -1;
    if (!strncmp(uri, "spice+unix://", 13))
        return parse_unix(uri + 13, out, err, errlen);
    if (!strncmp(uri, "spice+tls://", 12))
        return fail(err, errlen, "spice+tls:// is not supported yet");
    if (strncmp(uri, "spice://", 8))
        return fail(err, errlen, "the URI must start with spice:// or spice+unix://");
    a = uri + 8;
    end = a + strcspn(a, "/?");
    rc = parse_authority(a, (size_t)(end - a), out, err, errlen);
    if (rc)
        return rc;
    if (*end == '/')
        end += strcspn(end, "?");
    if (*end == '?') {
        rc = parse_query(end + 1, out, err, errlen);
        if (rc)
            return rc;
    }
    if (out->port <= 0)
        return fail(err, errlen, "no port in the URI");
    return 0;
}
