/* QMP framing and message classification: lines of JSON from QEMU's monitor
 * turned into greetings, replies and events, with every size bounded. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmhost/qmp-parse.h"

#define JSON_DEPTH 64   /* QEMU's replies nest far less deeply */
#define KEEP_LINE_BUFFER (256u << 10)

int floe_qmp_parser_init(struct floe_qmp_parser *p, size_t max_line)
{
    memset(p, 0, sizeof(*p));
    p->max_line = max_line ? max_line : FLOE_QMP_MAX_LINE;
    if (p->max_line > INT_MAX - 1)      /* json-c takes an int length */
        p->max_line = INT_MAX - 1;
    p->tok = json_tokener_new_ex(JSON_DEPTH);
    if (!p->tok)
        return -ENOMEM;
    json_tokener_set_flags(p->tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    return 0;
}

void floe_qmp_parser_fini(struct floe_qmp_parser *p)
{
    free(p->line);
    if (p->tok)
        json_tokener_free(p->tok);
    memset(p, 0, sizeof(*p));
}

void floe_qmp_msg_clear(struct floe_qmp_msg *msg)
{
    if (msg->obj)
        json_object_put(msg->obj);
    memset(msg, 0, sizeof(*msg));
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *string_member(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Sets msg's kind and pointers from obj; NULL or what is wrong. */
static const char *classify(struct json_object *obj, struct floe_qmp_msg *msg)
{
    struct json_object *v;

    json_object_object_get_ex(obj, "id", &msg->id);
    if (json_object_object_get_ex(obj, "return", &v)) {
        msg->kind = FLOE_QMP_RETURN;
        msg->value = v;
        return NULL;
    }
    if (json_object_object_get_ex(obj, "error", &v)) {
        msg->kind = FLOE_QMP_ERROR;
        msg->value = v;
        msg->err_class = string_member(v, "class");
        msg->err_desc = string_member(v, "desc");
        return msg->err_class && msg->err_desc ? NULL : "error reply without class and desc strings";
    }
    if (json_object_object_get_ex(obj, "event", &v)) {
        msg->kind = FLOE_QMP_EVENT;
        if (!json_object_is_type(v, json_type_string))
            return "event name is not a string";
        msg->name = json_object_get_string(v);
        if (json_object_object_get_ex(obj, "data", &msg->value) &&
            !json_object_is_type(msg->value, json_type_object))
            return "event data is not an object";
        return NULL;
    }
    if (json_object_object_get_ex(obj, "QMP", &v)) {
        msg->kind = FLOE_QMP_GREETING;
        msg->value = v;
        return json_object_is_type(v, json_type_object) ? NULL : "greeting's QMP member is not an object";
    }
    return "not a QMP message (no return, error, event or QMP member)";
}

int floe_qmp_msg_parse(struct json_tokener *tok, const char *line, size_t len,
                       struct floe_qmp_msg *msg, char *err, size_t errlen)
{
    struct json_tokener *own = NULL;
    struct floe_qmp_msg m = { 0 };
    struct json_object *obj;
    const char *why;

    while (len && is_space(line[len - 1]))
        len--;
    while (len && is_space(line[0]))
        line++, len--;
    /* (json-c would call a bare number at the end "incomplete") */
    if (!len || line[0] != '{') {
        snprintf(err, errlen, "not a JSON object");
        return -EBADMSG;
    }
    if (!tok) {
        own = tok = json_tokener_new_ex(JSON_DEPTH);
        if (!tok) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    }
    json_tokener_reset(tok);
    obj = json_tokener_parse_ex(tok, line, (int)len);
    if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len) {
        enum json_tokener_error e = json_tokener_get_error(tok);

        json_object_put(obj);
        if (own)
            json_tokener_free(own);
        snprintf(err, errlen, "invalid JSON: %s", e == json_tokener_continue ||
                 e == json_tokener_success ? "incomplete value" : json_tokener_error_desc(e));
        return -EBADMSG;
    }
    if (own)
        json_tokener_free(own);
    why = json_object_is_type(obj, json_type_object) ? classify(obj, &m) : "not a JSON object";
    if (why) {
        json_object_put(obj);
        snprintf(err, errlen, "%s", why);
        return -EBADMSG;
    }
    m.obj = obj;
    *msg = m;
    return 1;
}

/* Appends n bytes to the line being gathered, within max_line. */
static int line_append(struct floe_qmp_parser *p, const char *data, size_t n)
{
    if (n > p->max_line - p->len) {
        snprintf(p->error, sizeof(p->error), "line longer than %zu bytes", p->max_line);
        return -EMSGSIZE;
    }
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        char *line;

        while (cap < p->len + n)
            cap = cap > p->max_line / 2 ? p->max_line : cap * 2;
        line = realloc(p->line, cap);
        if (!line) {
            snprintf(p->error, sizeof(p->error), "out of memory");
            return -ENOMEM;
        }
        p->line = line;
        p->cap = cap;
    }
    memcpy(p->line + p->len, data, n);
    p->len += n;
    return 0;
}

static int blank(const char *s, size_t n)
{
    while (n && is_space(*s))
        s++, n--;
    return n == 0;
}

int floe_qmp_parser_feed(struct floe_qmp_parser *p, const char *data, size_t len,
                         size_t *used, struct floe_qmp_msg *msg)
{
    const char *nl = memchr(data, '\n', len);
    size_t take = nl ? (size_t)(nl - data) : len;
    const char *line = data;
    size_t line_len = take;
    int ret;

    *used = 0;
    if (p->failed)
        return -EBADMSG;
    /* a whole line in data is parsed where it lies, without a copy */
    if (p->len || !nl) {
        ret = line_append(p, data, take);
        if (ret < 0) {
            p->failed = 1;
            return ret;
        }
        line = p->line;
        line_len = p->len;
    } else if (take > p->max_line) {
        snprintf(p->error, sizeof(p->error), "line longer than %zu bytes", p->max_line);
        p->failed = 1;
        return -EMSGSIZE;
    }
    *used = nl ? take + 1 : take;
    if (!nl)
        return 0;
    p->len = 0;
    ret = blank(line, line_len) ? 0 :
          floe_qmp_msg_parse(p->tok, line, line_len, msg, p->error, sizeof(p->error));
    if (ret < 0)
        p->failed = 1;
    if (p->cap > KEEP_LINE_BUFFER) {    /* a long reply's buffer is not kept */
        free(p->line);
        p->line = NULL;
        p->cap = 0;
    }
    return ret;
}
