/* Shared helpers of the protocol unit tests: byte spellings for hand-written
 * golden arrays and assertions on decoded fields. */
#ifndef FLOE_TEST_PROTOCOL_HELPERS_H
#define FLOE_TEST_PROTOCOL_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/test_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/spice/draw.h"
#include "protocol/spice/enums.h"
#include "protocol/spice/messages.h"
#include "protocol/spice/wire.h"
#include "tests/unit/data/seabios_capture.h"

/* Little-endian spellings for the hand-written arrays below; they only split a
 * number into bytes, so the arrays stay independent of floe's encoders. */
#define LE16(v) (uint8_t)((v) & 0xff), (uint8_t)(((v) >> 8) & 0xff)
#define LE32(v) LE16((uint32_t)(v) & 0xffff), LE16((uint32_t)(v) >> 16)
#define LE64(v) LE32((uint64_t)(v) & 0xffffffffu), LE32((uint64_t)(v) >> 32)
#define RECT(t, l, b, r) LE32(t), LE32(l), LE32(b), LE32(r)
#define MASK_NONE 0, LE32(0), LE32(0), LE32(0)
#define REDQ 'R', 'E', 'D', 'Q'


/* ------------------------------------------------------------------------ */
/* helpers */

static inline void expect_wbuf(const struct floe_wbuf *w, const uint8_t *want, size_t n)
{
    assert_false(w->failed);
    assert_int_equal(w->len, n);
    assert_memory_equal(w->data, want, n);
}


static inline void expect_rect(const struct spice_rect *r, int32_t top, int32_t left, int32_t bottom,
                        int32_t right)
{
    assert_int_equal(r->top, top);
    assert_int_equal(r->left, left);
    assert_int_equal(r->bottom, bottom);
    assert_int_equal(r->right, right);
}

static inline void expect_mask_none(const struct spice_mask *m)
{
    assert_int_equal(m->flags, 0);
    assert_int_equal(m->pos.x, 0);
    assert_int_equal(m->pos.y, 0);
    assert_int_equal(m->bitmap, 0);
}

/* Writes one whole message (header + body from `put`) the way a channel does. */
#define WRITE_MSG(w, mini, type, serial, put) do { \
        size_t size_at_ = spice_header_put((w), (mini), (type), (serial)); \
        put; \
        spice_header_finish((w), (mini), size_at_); \
    } while (0)

/* (with dup_exact, tests/unit/test_util.h) */
/* Every proper prefix of a message, in an exact-size copy, is refused. */
#define EXPECT_CUTS_REFUSED(golden, parse, mtype) do { \
        mtype m_; \
        for (size_t n_ = 0; n_ < sizeof(golden); n_++) { \
            uint8_t *b_ = dup_exact(golden, n_); \
            assert_int_equal(parse(b_, n_, &m_), -EBADMSG); \
            free(b_); \
        } \
    } while (0)

#endif
