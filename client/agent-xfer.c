/* Files sent to the guest's agent: FILE_XFER_START with the file's name
 * and size (a "[vdagent-file-xfer]" key file), then, once the agent says
 * CAN_SEND_DATA, FILE_XFER_DATA messages of 64 KiB read from the file as
 * tokens allow (one transfer's data at a time, between other messages),
 * until the agent says SUCCESS or something else. */
#include "client/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#define CHUNK (64u << 10)

static struct fcli_xfer *find(struct fcli_agent *a, uint32_t id)
{
    for (int i = 0; i < FCLI_XFERS; i++)
        if (a->xfers[i].used && a->xfers[i].st.id == id)
            return &a->xfers[i];
    return NULL;
}

static void end(struct fcli_xfer *x, enum floe_client_xfer_state state, const char *why)
{
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
    x->st.state = state;
    if (why)
        snprintf(x->st.error, sizeof(x->st.error), "%s", why);
}

int fcli_xfer_fail_all_locked(struct fcli_agent *a, const char *why)
{
    int n = 0;

    for (int i = 0; i < FCLI_XFERS; i++) {
        struct fcli_xfer *x = &a->xfers[i];

        if (x->used && (x->st.state == FLOE_CLIENT_XFER_WAITING ||
                        x->st.state == FLOE_CLIENT_XFER_SENDING)) {
            end(x, FLOE_CLIENT_XFER_FAILED, why);
            n++;
        }
    }
    return n;
}

/* What a status other than CAN_SEND_DATA and SUCCESS says. */
static void status_error(struct fcli_xfer *x, uint32_t result, const uint8_t *detail, size_t len)
{
    char why[128];

    switch (result) {
    case VD_AGENT_FILE_XFER_STATUS_CANCELLED:
        snprintf(why, sizeof(why), "the guest cancelled it");
        break;
    case VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE:
        if (len >= 8) {
            uint64_t free_b = 0;

            for (int i = 7; i >= 0; i--)
                free_b = free_b << 8 | detail[i];
            snprintf(why, sizeof(why), "not enough space in the guest (%llu bytes free)",
                     (unsigned long long)free_b);
        } else {
            snprintf(why, sizeof(why), "not enough space in the guest");
        }
        break;
    case VD_AGENT_FILE_XFER_STATUS_SESSION_LOCKED:
        snprintf(why, sizeof(why), "the guest's session is locked");
        break;
    case VD_AGENT_FILE_XFER_STATUS_VDAGENT_NOT_CONNECTED:
        snprintf(why, sizeof(why), "the guest's agent has no session to take it");
        break;
    case VD_AGENT_FILE_XFER_STATUS_DISABLED:
        snprintf(why, sizeof(why), "the guest's agent takes no files");
        break;
    default:
        snprintf(why, sizeof(why), "the guest's agent failed to write it (status %u)", result);
    }
    end(x, FLOE_CLIENT_XFER_FAILED, why);
}

int fcli_xfer_status_locked(struct floe_client *c, const uint8_t *body, uint32_t len)
{
    struct spice_vd_agent_file_xfer_status st;
    struct floe_rbuf r;
    struct fcli_xfer *x;

    floe_rbuf_init(&r, body, len);
    spice_vd_agent_file_xfer_status_get(&r, &st);
    if (r.bad)
        return -EBADMSG;
    x = find(&c->agent, st.id);
    if (!x || (x->st.state != FLOE_CLIENT_XFER_WAITING &&
               x->st.state != FLOE_CLIENT_XFER_SENDING)) {
        floe_debug("main: status %u of file transfer %u, which is not running", st.result,
                   st.id);
        return 0;
    }
    if (st.result == VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA) {
        if (x->st.state == FLOE_CLIENT_XFER_WAITING)
            x->st.state = FLOE_CLIENT_XFER_SENDING;
        fcli_agent_pump_locked(c);
    } else if (st.result == VD_AGENT_FILE_XFER_STATUS_SUCCESS) {
        if (x->st.sent == x->st.size) {
            end(x, FLOE_CLIENT_XFER_DONE, NULL);
            floe_info("main: %s sent to the guest (%llu bytes)", x->st.name,
                      (unsigned long long)x->st.size);
        } else {
            end(x, FLOE_CLIENT_XFER_FAILED, "the guest said done before all was sent");
        }
    } else {
        status_error(x, st.result, body + r.pos, len - r.pos);
        floe_err("main: %s not sent: %s", x->st.name, x->st.error);
    }
    return 1 << FLOE_CLIENT_EVENT_FILE_XFER;
}

int fcli_xfer_next_locked(struct floe_client *c)
{
    struct fcli_agent *a = &c->agent;

    for (int i = 0; i < FCLI_XFERS; i++) {
        struct fcli_xfer *x = &a->xfers[i];
        uint8_t head[SPICE_SIZE_vd_agent_file_xfer_data];
        struct floe_wbuf w;
        uint64_t left;
        uint8_t *buf;
        ssize_t n;
        int rc;

        if (!x->used || x->st.state != FLOE_CLIENT_XFER_SENDING || x->st.sent == x->st.size)
            continue;
        left = x->st.size - x->st.sent;
        if (!(buf = malloc(CHUNK)))
            return 0;
        n = pread(x->fd, buf, left < CHUNK ? (size_t)left : CHUNK, (off_t)x->st.sent);
        if (n <= 0) {
            free(buf);
            end(x, FLOE_CLIENT_XFER_FAILED, n < 0 ? "reading the file failed"
                                                  : "the file got shorter");
            floe_err("main: %s not sent: %s", x->st.name, x->st.error);
            continue;
        }
        floe_wbuf_init(&w, sizeof(head));
        spice_vd_agent_file_xfer_data_put(&w, &(struct spice_vd_agent_file_xfer_data){
                                                  x->st.id, (uint64_t)n });
        memcpy(head, w.data, sizeof(head));
        floe_wbuf_free(&w);
        rc = fcli_agent_queue_locked(c, VD_AGENT_FILE_XFER_DATA, head, sizeof(head), buf,
                                     (size_t)n);
        free(buf);
        if (rc < 0)
            return 0;
        x->st.sent += (uint64_t)n;
        return 1;
    }
    return 0;
}

int floe_client_file_send(struct floe_client *c, const char *path)
{
    struct fcli_agent *a = &c->agent;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    struct fcli_xfer *x = NULL;
    char keys[512];
    struct stat sb;
    uint8_t head[SPICE_SIZE_vd_agent_file_xfer_start];
    struct floe_wbuf w;
    int fd, n, rc;

    if (a->no_xfer)
        return -EPERM;
    if (!*base || strlen(base) >= sizeof(x->st.name) || strchr(base, '\n'))
        return -EINVAL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        rc = fstat(fd, &sb) < 0 ? -errno : -EINVAL;
        close(fd);
        return rc;
    }
    pthread_mutex_lock(&c->send_lock);
    rc = -ENOTCONN;
    if (!a->connected || !a->caps_known)
        goto out;
    rc = -ENOTSUP;
    if (a->caps & 1u << VD_AGENT_CAP_FILE_XFER_DISABLED)
        goto out;
    rc = -EBUSY;
    for (int i = 0; i < FCLI_XFERS && !x; i++)   /* a free slot, else a finished one */
        if (!a->xfers[i].used)
            x = &a->xfers[i];
    for (int i = 0; i < FCLI_XFERS && !x; i++)
        if (a->xfers[i].st.state == FLOE_CLIENT_XFER_DONE ||
            a->xfers[i].st.state == FLOE_CLIENT_XFER_FAILED)
            x = &a->xfers[i];
    if (!x)
        goto out;
    memset(x, 0, sizeof(*x));
    x->used = 1;
    x->fd = fd;
    x->st.id = ++a->next_xfer_id;
    x->st.size = (uint64_t)sb.st_size;
    x->st.state = FLOE_CLIENT_XFER_WAITING;
    snprintf(x->st.name, sizeof(x->st.name), "%s", base);
    n = snprintf(keys, sizeof(keys), "[vdagent-file-xfer]\nname=%s\nsize=%llu\n", base,
                 (unsigned long long)sb.st_size);
    floe_wbuf_init(&w, sizeof(head));
    spice_vd_agent_file_xfer_start_put(&w, &(struct spice_vd_agent_file_xfer_start){ x->st.id });
    memcpy(head, w.data, sizeof(head));
    floe_wbuf_free(&w);
    /* the key file with its NUL, as the reference client sends it */
    rc = fcli_agent_queue_locked(c, VD_AGENT_FILE_XFER_START, head, sizeof(head), keys,
                                 (size_t)n + 1);
    if (rc < 0) {
        x->used = 0;
        goto out;
    }
    fd = -1;
    rc = (int)x->st.id;
    floe_info("main: sending %s (%llu bytes) to the guest", base, (unsigned long long)sb.st_size);
    fcli_agent_wake(c);
out:
    pthread_mutex_unlock(&c->send_lock);
    if (fd >= 0)
        close(fd);
    return rc;
}

int floe_client_file_status(struct floe_client *c, uint32_t id, struct floe_client_file_xfer *out)
{
    struct fcli_xfer *x;
    int rc = -ENOENT;

    pthread_mutex_lock(&c->send_lock);
    if ((x = find(&c->agent, id))) {
        *out = x->st;
        rc = 0;
    }
    pthread_mutex_unlock(&c->send_lock);
    return rc;
}
