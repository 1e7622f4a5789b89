/* An asynchronous QMP client on a libuv loop: connects to QEMU's monitor on a
 * unix socket, negotiates capabilities, runs commands and delivers events. */
#ifndef FLOE_VMHOST_QMP_H
#define FLOE_VMHOST_QMP_H

#include <json-c/json.h>
#include <uv.h>

struct floe_qmp;

/* A command's outcome, valid only during the result callback. */
struct floe_qmp_result {
    /* 0: QEMU returned value; -EREMOTEIO: QEMU answered with an error
     * (err_class, err_desc); -ETIMEDOUT: no answer in time; -ECONNRESET:
     * the connection ended (peer closed, bad input, write error) before the
     * answer; -ECANCELED: floe_qmp_free() was called. */
    int status;
    struct json_object *value;  /* the "return" value (borrowed), or NULL */
    const char *err_class;      /* QEMU's error class, or NULL when status is not -EREMOTEIO */
    const char *err_desc;       /* what went wrong, for people: set whenever status != 0 */
};

typedef void (*floe_qmp_result_fn)(struct floe_qmp *q, const struct floe_qmp_result *r,
                                   void *opaque);

/* Called on the loop thread; q may be freed from any of them. */
struct floe_qmp_ops {
    /* Capabilities are negotiated: commands may be sent. */
    void (*ready_fn)(struct floe_qmp *q, void *opaque);
    /* An asynchronous event: name (e.g. "STOP", "SHUTDOWN") and its data
     * object or NULL, both borrowed for the call. */
    void (*event_fn)(struct floe_qmp *q, const char *name, struct json_object *data,
                     void *opaque);
    /* The connection failed or ended (never after floe_qmp_free()): err is a
     * negative errno (-ECONNRESET when the peer closed, -EBADMSG or -EMSGSIZE
     * for bad input, -ETIMEDOUT when the greeting and negotiation did not
     * finish in time), why a sentence (also floe_qmp_error()). Commands in
     * flight have been failed just before. Called at most once. */
    void (*closed_fn)(struct floe_qmp *q, int err, const char *why, void *opaque);
};

/* A client on loop; ops is copied, opaque passed to every callback.
 * NULL on ENOMEM. */
struct floe_qmp *floe_qmp_new(uv_loop_t *loop, const struct floe_qmp_ops *ops, void *opaque);

/* Connects to the unix socket at path, reads the greeting and negotiates
 * capabilities; ready_fn follows, or closed_fn if that does not all happen
 * within timeout_ms (0: no limit). 0, -EALREADY (called before), -ENAMETOOLONG
 * or a negative errno from libuv; on an error no callback follows. */
int floe_qmp_connect(struct floe_qmp *q, const char *path, unsigned timeout_ms);

/* Sends command with arguments (an object, or NULL for none; the reference
 * is taken whatever the outcome). cb runs exactly once, later, with the
 * result; after timeout_ms (0: no limit) it gets -ETIMEDOUT and a late reply
 * is dropped. Several commands may be in flight; replies are matched by id.
 * 0, -ENOTCONN (not ready, or closed), -EINVAL or -ENOMEM (cb never runs). */
int floe_qmp_execute(struct floe_qmp *q, const char *command, struct json_object *arguments,
                     unsigned timeout_ms, floe_qmp_result_fn cb, void *opaque);

/* The greeting's QEMU version; 0, or -ENOENT before the greeting. */
int floe_qmp_version(const struct floe_qmp *q, int *major, int *minor, int *micro);

/* Why the connection ended, or NULL while it has not. */
const char *floe_qmp_error(const struct floe_qmp *q);

/* Closes the connection and fails commands in flight with -ECANCELED
 * (closed_fn is not called); the memory goes once libuv has closed the
 * handles, so the loop must run on. Safe inside any callback; NULL is a no-op. */
void floe_qmp_free(struct floe_qmp *q);

#endif
