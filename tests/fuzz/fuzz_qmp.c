/* libFuzzer target for QMP framing and classification (vmhost/qmp-parse.c).
 * Input: the bytes a QMP peer sends, fed in pieces whose sizes come from the
 * input's first byte, through a parser with a small line limit. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmhost/qmp-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LINE 4096  /* small, so the oversize path is reached */

/* A message's pointers must agree with its kind. */
static void check(const struct floe_qmp_msg *m)
{
    if (!m->obj || !json_object_is_type(m->obj, json_type_object))
        abort();
    switch (m->kind) {
    case FLOE_QMP_GREETING:
        if (!json_object_is_type(m->value, json_type_object))
            abort();
        break;
    case FLOE_QMP_RETURN:
        break;
    case FLOE_QMP_ERROR:
        if (!m->err_class || !m->err_desc)
            abort();
        break;
    case FLOE_QMP_EVENT:
        if (!m->name || (m->value && !json_object_is_type(m->value, json_type_object)))
            abort();
        break;
    default:
        abort();
    }
    (void)json_object_to_json_string(m->obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct floe_qmp_parser p;
    size_t piece, off = 0;

    if (size < 1)
        return 0;
    piece = data[0] ? data[0] : size;
    data++, size--;
    if (floe_qmp_parser_init(&p, FUZZ_MAX_LINE) < 0)
        return 0;
    while (off < size) {
        size_t n = size - off < piece ? size - off : piece, pos = 0;
        /* an exact-size copy: ASan flags a read past the piece */
        char *chunk = malloc(n);

        memcpy(chunk, data + off, n);
        off += n;
        while (pos < n) {
            struct floe_qmp_msg m = { 0 };
            size_t used;
            int ret = floe_qmp_parser_feed(&p, chunk + pos, n - pos, &used, &m);

            if (used > n - pos || (ret <= 0 && m.obj))
                abort();
            pos += used;
            if (ret < 0) {
                if ((ret != -EBADMSG && ret != -EMSGSIZE && ret != -ENOMEM) || !p.error[0])
                    abort();
                free(chunk);
                goto out;
            }
            if (ret == 1)
                check(&m);
            else if (used == 0)
                abort();   /* no progress: the caller would spin */
            floe_qmp_msg_clear(&m);
        }
        free(chunk);
    }
out:
    floe_qmp_parser_fini(&p);
    return 0;
}
