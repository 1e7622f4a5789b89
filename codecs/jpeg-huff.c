/* Huffman tables read from a JPEG and completed (jpeg-huff.h). Codes are
 * built as ITU T.81 Annex K.2 builds optimal ones: code sizes from symbol
 * frequencies with one reserved symbol (so no code is all ones), then
 * sizes over 16 bits folded back. */
#include "codecs/jpeg-huff.h"

#include <string.h>

#define RESERVED 256          /* the pseudo-symbol of the all-ones code */
#define MAX_SIZE 64           /* code sizes before folding: more than any tree here */

static int table_index(int ac, int id)
{
    return (id ? 2 : 0) + (ac ? 1 : 0);
}

int floe_jpeg_huff_read(const uint8_t *in, size_t len, struct floe_jpeg_huff t[4])
{
    unsigned seen = 0;
    size_t i = 2;

    if (len < 4 || in[0] != 0xff || in[1] != 0xd8)
        return -1;
    while (i + 4 <= len && in[i] == 0xff) {
        unsigned marker = in[i + 1];
        size_t seg = (size_t)in[i + 2] << 8 | in[i + 3], p = i + 4, end = i + 2 + seg;

        if (marker == 0xda || seg < 2 || end > len)
            break;
        while (marker == 0xc4 && p + 17 <= end) {
            int tc = in[p] >> 4, th = in[p] & 15, n = 0;
            struct floe_jpeg_huff *h;

            if (tc > 1 || th > 1)
                return -1;
            h = &t[table_index(tc, th)];
            memset(h, 0, sizeof(*h));
            for (int b = 1; b <= 16; b++)
                n += h->bits[b] = in[p + b];
            if (n > 256 || p + 17 + (size_t)n > end)
                return -1;
            memcpy(h->vals, in + p + 17, (size_t)n);
            seen |= 1u << table_index(tc, th);
            p += 17 + (size_t)n;
        }
        i = end;
    }
    return seen == 15 ? 0 : -1;
}

/* The symbols of a class. */
static int alphabet(int ac, int *sym)
{
    int n = 0;

    if (!ac) {
        for (int s = 0; s <= 11; s++)
            sym[n++] = s;
        return n;
    }
    sym[n++] = 0x00;          /* EOB */
    sym[n++] = 0xf0;          /* ZRL */
    for (int run = 0; run < 16; run++)
        for (int size = 1; size <= 10; size++)
            sym[n++] = run << 4 | size;
    return n;
}

void floe_jpeg_huff_complete(struct floe_jpeg_huff *t, int ac)
{
    uint64_t freq[RESERVED + 1] = { 0 };
    int size[RESERVED + 1] = { 0 }, others[RESERVED + 1], had[256] = { 0 }, sym[176];
    int count[MAX_SIZE + 1] = { 0 }, n = alphabet(ac, sym), k = 0, i;

    /* a symbol's frequency from its code's length (a code of L bits
     * stands for 2^-L of them); one missing weighs least */
    for (int b = 1; b <= 16; b++)
        for (int c = 0; c < t->bits[b]; c++, k++)
            had[t->vals[k]] = b;
    for (i = 0; i < n; i++)
        freq[sym[i]] = had[sym[i]] ? 1ull << (40 - had[sym[i]]) : 1;
    freq[RESERVED] = 1;
    for (i = 0; i <= RESERVED; i++)
        others[i] = -1;
    /* Annex K, figure K.1: the two least frequent merged until one is left */
    for (;;) {
        int v1 = -1, v2 = -1;

        for (i = 0; i <= RESERVED; i++)
            if (freq[i] && (v1 < 0 || freq[i] <= freq[v1]))
                v1 = i;
        for (i = 0; i <= RESERVED; i++)
            if (freq[i] && i != v1 && (v2 < 0 || freq[i] <= freq[v2]))
                v2 = i;
        if (v2 < 0)
            break;
        freq[v1] += freq[v2];
        freq[v2] = 0;
        for (size[v1]++; others[v1] >= 0; size[v1]++)
            v1 = others[v1];
        others[v1] = v2;
        for (size[v2]++; others[v2] >= 0; size[v2]++)
            v2 = others[v2];
    }
    for (i = 0; i <= RESERVED; i++)
        if (size[i])
            count[size[i] < MAX_SIZE ? size[i] : MAX_SIZE]++;
    /* figure K.3: no code longer than 16 bits */
    for (i = MAX_SIZE; i > 16; i--)
        while (count[i] > 0) {
            int j = i - 2;

            while (count[j] == 0)
                j--;
            count[i] -= 2;
            count[i - 1]++;
            count[j + 1] += 2;
            count[j]--;
        }
    while (count[i] == 0)
        i--;
    count[i]--;               /* the reserved code goes */
    memset(t, 0, sizeof(*t));
    for (i = 1; i <= 16; i++)
        t->bits[i] = (uint8_t)count[i];
    /* figure K.4: symbols by code size, the reserved one left out */
    k = 0;
    for (int s = 1; s <= MAX_SIZE; s++)
        for (i = 0; i < RESERVED; i++)
            if (size[i] == s)
                t->vals[k++] = (uint8_t)i;
}
