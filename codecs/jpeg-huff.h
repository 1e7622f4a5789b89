/* Huffman tables for a video's frames (codecs/jpeg.c): those one frame's
 * JPEG was coded with, optimized for it, read back from its DHT segments
 * and completed so every symbol of baseline JPEG has a code: the next
 * frames, alike, are coded with them in one pass and any symbol fits. */
#ifndef FLOE_CODECS_JPEG_HUFF_H
#define FLOE_CODECS_JPEG_HUFF_H

#include <stddef.h>
#include <stdint.h>

/* As a DHT segment has it: bits[n] codes of n bits (n 1..16, bits[0]
 * unused), their symbols in vals, shortest codes first. */
struct floe_jpeg_huff {
    uint8_t bits[17];
    uint8_t vals[256];
};

/* The four tables of a baseline YCbCr JPEG in[0..len), from its DHT
 * segments before the first SOS: t[0] DC and t[1] AC of luma (table 0),
 * t[2] DC and t[3] AC of chroma (table 1). 0, or -1 when one is missing
 * or bad. */
int floe_jpeg_huff_read(const uint8_t *in, size_t len, struct floe_jpeg_huff t[4]);

/* t, a DC (ac 0: sizes 0..11) or AC (ac 1: EOB, ZRL and runs 0..15 of
 * sizes 1..10) table, made to hold every symbol of its class: the symbols
 * it has keep about their code lengths, the others get the longest codes.
 * Still no code of all ones, none longer than 16 bits. */
void floe_jpeg_huff_complete(struct floe_jpeg_huff *t, int ac);

#endif
