/* QMP framing and message classification, with no I/O: bytes from a QMP
 * socket in, one classified JSON message per line out (see vmhost/qmp.h). */
#ifndef FLOE_VMHOST_QMP_PARSE_H
#define FLOE_VMHOST_QMP_PARSE_H

#include <stddef.h>

#include <json-c/json.h>

/* The longest line accepted by default (without its newline). Replies to
 * query commands (query-qmp-schema) run to a few hundred KiB. */
#define FLOE_QMP_MAX_LINE (16u << 20)

enum floe_qmp_kind {
    FLOE_QMP_GREETING,  /* {"QMP": {"version": ..., "capabilities": [...]}} */
    FLOE_QMP_RETURN,    /* {"return": any, "id"?: any} */
    FLOE_QMP_ERROR,     /* {"error": {"class": str, "desc": str}, "id"?: any} */
    FLOE_QMP_EVENT,     /* {"event": str, "data"?: object, "timestamp"?: ...} */
};

/* One message. Everything points into obj, which the message owns:
 * floe_qmp_msg_clear() releases it (json_object_get() to keep a part). */
struct floe_qmp_msg {
    enum floe_qmp_kind kind;
    struct json_object *obj;     /* the whole message */
    struct json_object *value;   /* greeting's "QMP" object, the "return"
                                    value, the error object or the event's
                                    "data" (NULL when an event has none) */
    struct json_object *id;      /* a reply's "id", NULL when absent */
    const char *name;            /* event name */
    const char *err_class;       /* error class, e.g. "CommandNotFound" */
    const char *err_desc;        /* error description */
};

struct floe_qmp_parser {
    char *line;                  /* the line being gathered */
    size_t len, cap, max_line;
    struct json_tokener *tok;
    int failed;                  /* an error was returned: nothing more is read */
    char error[160];             /* what went wrong, for people */
};

/* Prepares p to read lines of at most max_line bytes (0: FLOE_QMP_MAX_LINE).
 * 0 or -ENOMEM. */
int floe_qmp_parser_init(struct floe_qmp_parser *p, size_t max_line);

/* Releases what p holds; p may be initialised again. */
void floe_qmp_parser_fini(struct floe_qmp_parser *p);

/* Takes bytes from data[0..len) up to and including the first newline, or
 * all of them; *used says how many. A line is one JSON object; blank lines
 * (whitespace only, "\r\n" included) are skipped. Returns 1 when a line ended
 * and msg holds its message (the caller clears it), 0 when no message is
 * complete yet (a blank line ended, or every byte was taken), or, with
 * p->error set and msg untouched, -EMSGSIZE (a line longer than max_line),
 * -EBADMSG (invalid JSON, not an object, not a QMP message) or -ENOMEM.
 * After an error p refuses all input. */
int floe_qmp_parser_feed(struct floe_qmp_parser *p, const char *data, size_t len,
                         size_t *used, struct floe_qmp_msg *msg);

/* Classifies one complete line (no newline needed). Same results as
 * floe_qmp_parser_feed() without 0; err (errlen bytes) gets the reason. */
int floe_qmp_msg_parse(struct json_tokener *tok, const char *line, size_t len,
                       struct floe_qmp_msg *msg, char *err, size_t errlen);

/* Releases msg's object and zeroes msg. */
void floe_qmp_msg_clear(struct floe_qmp_msg *msg);

#endif
