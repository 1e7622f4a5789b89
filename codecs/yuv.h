/* xRGB pictures to and from planar YUV 4:2:0 (I420) for the video codecs:
 * BT.601 coefficients, limited range (16..235 luma), as VP8 streams and
 * their players take them; chroma from the mean of each 2x2 block. */
#ifndef FLOE_CODECS_YUV_H
#define FLOE_CODECS_YUV_H

#include <stdint.h>

/* The three planes of a w x h I420 picture: chroma planes (w+1)/2 x (h+1)/2. */
struct floe_yuv {
    uint8_t *y, *u, *v;
    int y_stride, u_stride, v_stride;
};

/* Converts a w x h xRGB picture (rows stride_bytes apart; the top byte
 * ignored) into yuv, whose planes hold the picture's size. */
void floe_yuv_from_xrgb(const uint32_t *px, int w, int h, int stride_bytes,
                        const struct floe_yuv *yuv);
/* Converts yuv into a w x h xRGB picture (top byte 0). */
void floe_yuv_to_xrgb(const struct floe_yuv *yuv, int w, int h, uint32_t *px, int stride_bytes);

#endif
