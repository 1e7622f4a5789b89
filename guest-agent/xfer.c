/* floe-agent's file transfer: each file the client sends is written under a
 * hidden temporary name in the transfer folder and renamed (never over an
 * existing file) once all its bytes came; names and free space are checked. */
#include "guest-agent/agent-int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define XFER_MAX 64   /* transfers under way at once */

struct agent_xfer {
    uint32_t id;
    int fd;
    uint64_t size, got;
    char name[NAME_MAX + 1];
    char tmp[PATH_MAX];
    struct agent_xfer *next;
};

static int xfer_status(struct floe_agent *a, uint32_t id, uint32_t result, int gio_error,
                       uint64_t free_space)
{
    struct spice_vd_agent_file_xfer_status m = { .id = id, .result = result };
    struct floe_wbuf w;

    agent_msg_begin(&w, VD_AGENT_FILE_XFER_STATUS);
    spice_vd_agent_file_xfer_status_put(&w, &m);
    if (agent_peer_has(a, VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS)) {
        if (result == VD_AGENT_FILE_XFER_STATUS_ERROR) {
            struct spice_vd_agent_file_xfer_status_error e = {
                .error_type = VD_AGENT_FILE_XFER_STATUS_ERROR_GLIB_IO,
                .error_code = (uint32_t)gio_error };
            spice_vd_agent_file_xfer_status_error_put(&w, &e);
        } else if (result == VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE) {
            struct spice_vd_agent_file_xfer_status_no_space s = { .disk_free_space = free_space };
            spice_vd_agent_file_xfer_status_no_space_put(&w, &s);
        }
    }
    return agent_msg_send(a, &w);
}

static struct agent_xfer **xfer_find(struct floe_agent *a, uint32_t id)
{
    struct agent_xfer **x = &a->xfers;

    while (*x && (*x)->id != id)
        x = &(*x)->next;
    return x;
}

/* ends a transfer; `keep` moves its file into place, else it is removed */
static int xfer_end(struct agent_xfer **at, const char *dir, int keep)
{
    struct agent_xfer *x = *at;
    char path[PATH_MAX];
    int rc = 0;

    *at = x->next;
    if (keep && (fsync(x->fd) < 0 || close(x->fd) < 0))
        rc = -errno;
    else if (!keep)
        close(x->fd);
    /* link() fails on an existing name where rename() would replace it */
    for (int i = 0; keep && !rc; i++) {
        if (i == 0)
            snprintf(path, sizeof(path), "%s/%s", dir, x->name);
        else
            snprintf(path, sizeof(path), "%s/%s (%d)", dir, x->name, i);
        if (link(x->tmp, path) == 0)
            break;
        if (errno != EEXIST || i == 999)
            rc = -errno;
    }
    unlink(x->tmp);
    free(x);
    return rc;
}

void agent_xfer_cancel_all(struct floe_agent *a)
{
    while (a->xfers)
        xfer_end(&a->xfers, a->xfer_dir, 0);
}

/* A name that stays in the folder: not empty, no '/', no "..", no control
 * characters, at most NAME_MAX bytes. */
static int xfer_name_ok(const char *name)
{
    size_t n = strlen(name);

    if (!n || n > NAME_MAX || strchr(name, '/') || strstr(name, "..") || !strcmp(name, "."))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return 0;
    return 1;
}

/* a key file value as GKeyFile escapes it (\s \n \t \r \\) */
static void xfer_unescape(char *out, size_t cap, const char *p, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            c = p[++i];
            c = c == 's' ? ' ' : c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
        }
        out[o++] = c;
    }
    out[o] = 0;
}

/* the "[vdagent-file-xfer]" group's name= and size=; 0 or -EBADMSG */
static int xfer_keyfile(const uint8_t *p, size_t n, char *name, size_t cap, uint64_t *size)
{
    int in_group = 0, have_name = 0, have_size = 0;
    const char *s = (const char *)p, *end = memchr(p, 0, n);
    size_t len = end ? (size_t)(end - s) : n;

    for (size_t at = 0; at < len;) {
        const char *nl = memchr(s + at, '\n', len - at);
        size_t ll = nl ? (size_t)(nl - (s + at)) : len - at;
        const char *line = s + at;
        at += ll + 1;
        if (ll && line[ll - 1] == '\r')
            ll--;
        if (ll && line[0] == '[') {
            in_group = ll == 19 && !memcmp(line, "[vdagent-file-xfer]", 19);
        } else if (in_group && ll >= 5 && !memcmp(line, "name=", 5)) {
            xfer_unescape(name, cap, line + 5, ll - 5);
            have_name = 1;
        } else if (in_group && ll > 5 && !memcmp(line, "size=", 5)) {
            char num[24] = "", *e;
            if (ll - 5 >= sizeof(num))
                return -EBADMSG;
            memcpy(num, line + 5, ll - 5);
            errno = 0;
            unsigned long long v = strtoull(num, &e, 10);
            if (*e || errno || num[0] == '-')
                return -EBADMSG;
            *size = v;
            have_size = 1;
        }
    }
    return have_name && have_size ? 0 : -EBADMSG;
}

static uint64_t xfer_free_space(const char *dir)
{
    struct statvfs st;

    if (statvfs(dir, &st) < 0)
        return UINT64_MAX;
    return (uint64_t)st.f_bavail * st.f_frsize;
}

static int xfer_count(const struct floe_agent *a)
{
    int n = 0;
    for (const struct agent_xfer *x = a->xfers; x; x = x->next)
        n++;
    return n;
}

static void xfer_start(struct floe_agent *a, struct floe_rbuf *r)
{
    struct spice_vd_agent_file_xfer_start m;
    char name[NAME_MAX + 2];
    uint64_t size = 0, free_space;
    struct agent_xfer *x;

    spice_vd_agent_file_xfer_start_get(r, &m);
    if (r->bad) {
        agent_error(a, "floe-agent: FILE_XFER_START is truncated");
        return;
    }
    if (!a->xfer_dir) {
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_DISABLED, 0, 0);
        return;
    }
    size_t n = floe_rbuf_left(r);
    if (xfer_keyfile(floe_get_bytes(r, n), n, name, sizeof(name), &size) < 0) {
        agent_error(a, "floe-agent: file transfer %u: no name= and size= in its start", m.id);
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_ERROR, VD_AGENT_GIO_ERROR_INVALID_FILENAME, 0);
        return;
    }
    if (!xfer_name_ok(name)) {
        agent_error(a, "floe-agent: file transfer %u: the name is refused (empty, '/', '..' or "
                    "a control character)", m.id);
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_ERROR, VD_AGENT_GIO_ERROR_INVALID_FILENAME, 0);
        return;
    }
    if (*xfer_find(a, m.id) || xfer_count(a) >= XFER_MAX) {
        agent_error(a, "floe-agent: file transfer %u: the id is in use or too many transfers", m.id);
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_ERROR, VD_AGENT_GIO_ERROR_FAILED, 0);
        return;
    }
    mkdir(a->xfer_dir, 0755);
    free_space = xfer_free_space(a->xfer_dir);
    if (size > free_space) {
        agent_error(a, "floe-agent: file transfer %u: %llu bytes, %llu free in %s", m.id,
                    (unsigned long long)size, (unsigned long long)free_space, a->xfer_dir);
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE, 0, free_space);
        return;
    }
    if (!(x = calloc(1, sizeof(*x)))) {
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_ERROR, VD_AGENT_GIO_ERROR_FAILED, 0);
        return;
    }
    x->id = m.id;
    x->size = size;
    memcpy(x->name, name, strlen(name) + 1);   /* checked: at most NAME_MAX */
    snprintf(x->tmp, sizeof(x->tmp), "%s/.floe-xfer-%u.part", a->xfer_dir, m.id);
    unlink(x->tmp);
    x->fd = open(x->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (x->fd < 0) {
        int e = errno;
        agent_error(a, "floe-agent: file transfer %u: cannot create %s: %s", m.id, x->tmp,
                    strerror(e));
        free(x);
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_ERROR,
                    e == EACCES ? VD_AGENT_GIO_ERROR_PERMISSION_DENIED : VD_AGENT_GIO_ERROR_FAILED, 0);
        return;
    }
    x->next = a->xfers;
    a->xfers = x;
    xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA, 0, 0);
}

static int xfer_write(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void xfer_data(struct floe_agent *a, struct floe_rbuf *r)
{
    struct spice_vd_agent_file_xfer_data m;
    struct agent_xfer **at, *x;
    int rc;

    spice_vd_agent_file_xfer_data_get(r, &m);
    if (r->bad || m.size > floe_rbuf_left(r)) {
        agent_error(a, "floe-agent: FILE_XFER_DATA is truncated");
        return;
    }
    at = xfer_find(a, m.id);
    if (!(x = *at)) {
        agent_error(a, "floe-agent: data for file transfer %u, which is not under way", m.id);
        return;
    }
    if (m.size > x->size - x->got) {
        agent_error(a, "floe-agent: file transfer %u: more bytes than its size %llu", m.id,
                    (unsigned long long)x->size);
        xfer_end(at, a->xfer_dir, 0);
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_ERROR, VD_AGENT_GIO_ERROR_FAILED, 0);
        return;
    }
    if ((rc = xfer_write(x->fd, floe_get_bytes(r, m.size), m.size)) < 0) {
        agent_error(a, "floe-agent: file transfer %u: %s", m.id, strerror(-rc));
        xfer_end(at, a->xfer_dir, 0);
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_ERROR,
                    rc == -ENOSPC ? VD_AGENT_GIO_ERROR_NO_SPACE : VD_AGENT_GIO_ERROR_FAILED, 0);
        return;
    }
    x->got += m.size;
    if (x->got < x->size)
        return;
    if ((rc = xfer_end(at, a->xfer_dir, 1)) < 0) {
        agent_error(a, "floe-agent: file transfer %u: cannot put the file in place: %s", m.id,
                    strerror(-rc));
        xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_ERROR, VD_AGENT_GIO_ERROR_FAILED, 0);
        return;
    }
    xfer_status(a, m.id, VD_AGENT_FILE_XFER_STATUS_SUCCESS, 0, 0);
}

void agent_xfer_msg(struct floe_agent *a, uint32_t type, struct floe_rbuf *r)
{
    struct spice_vd_agent_file_xfer_status st;
    struct agent_xfer **at;

    switch (type) {
    case VD_AGENT_FILE_XFER_START:
        xfer_start(a, r);
        break;
    case VD_AGENT_FILE_XFER_DATA:
        xfer_data(a, r);
        break;
    case VD_AGENT_FILE_XFER_STATUS:   /* the client cancels or failed */
        spice_vd_agent_file_xfer_status_get(r, &st);
        if (r->bad)
            agent_error(a, "floe-agent: FILE_XFER_STATUS is truncated");
        else if (*(at = xfer_find(a, st.id)))
            xfer_end(at, a->xfer_dir, 0);
        break;
    }
}
