/* The MJPEG bench's judge (bench/mjpeg.sh): what a server streamed, scored
 * against the film it was fed (bench/film.c).
 *
 *   mjpeg-score FILM < FRAMES
 *
 * FRAMES: a server's STREAM_DATA payloads in the order sent, one frame a
 * line in hex (as tshark prints spice.stream_data): JPEGs (MJPEG) or VP8
 * frames, told apart by the JPEG's SOI marker. Each is decoded (TurboJPEG
 * to RGB; libvpx to I420, then BT.601 limited range to RGB as players do,
 * every VP8 frame in order) and matched to the film's frame it shows: the one
 * after the previous match, within two seconds, whose luma is nearest (or
 * the earliest within 10% of that: the film passes the same place twice,
 * and a frame coded without the grain is as near to both); the
 * first frame is sought over the whole film, rows top first and bottom
 * first (a stream may be bottom-up). Printed, one line of key=value:
 *   frames      JPEGs scored; first, last: the film's frames they show
 *   bytes       their JPEG bytes; kbps: those bytes over the time from
 *               first to last at the film's pace, so frames not sent
 *               cost nothing here but count below
 *   ssim        mean SSIM of luma (Y = 0.299 R + 0.587 G + 0.114 B) of
 *               each JPEG against its film frame: Wang et al.'s, an 11x11
 *               Gaussian window of sigma 1.5, K1 0.01, K2 0.03, over the
 *               picture less its 5-pixel border
 *   shown_ssim  mean SSIM of every film frame from first to last against
 *               the JPEG a viewer shows then (the last one sent at or
 *               before it): with every frame sent, equal to ssim
 *   psnr        RGB PSNR of the JPEGs against their frames, in dB (colour,
 *               which SSIM of luma leaves out)
 *   quality     the JPEGs' quality, read from each one's luma quantization
 *               table (the libjpeg quality whose scaled standard table,
 *               ITU T.81 Annex K, holds the same 64 values; 0: none does):
 *               the one most frames have; quality_share: their part */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#define WIN_R 5                 /* the window: 11x11 */
#define SIGMA 1.5
#define MATCH_STEP 4            /* matching looks at every 4th pixel each way */
#define MATCH_SLACK 1.1         /* an earlier frame this near (error ratio) is taken instead */

static struct {
    const uint32_t *px;
    int w, h, n, fps;
} film;

static void die(const char *what)
{
    fprintf(stderr, "mjpeg-score: %s\n", what);
    exit(1);
}

static void film_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t frame;

    if (!f || fscanf(f, "floe-film %d %d %d %d", &film.w, &film.h, &film.n, &film.fps) != 4 ||
        fgetc(f) != '\n' || film.w < 16 || film.h < 16 || film.n < 1 || film.fps < 1)
        die("not a film");
    frame = (size_t)film.w * film.h * 4;
    film.px = malloc(frame * film.n);
    if (!film.px || fread((void *)film.px, frame, film.n, f) != (size_t)film.n)
        die("the film is cut short");
    fclose(f);
}

static float luma(uint32_t r, uint32_t g, uint32_t b)
{
    return 0.299f * r + 0.587f * g + 0.114f * b;
}

static void film_luma(int t, float *y)
{
    const uint32_t *p = film.px + (size_t)t * film.w * film.h;

    for (size_t i = 0; i < (size_t)film.w * film.h; i++)
        y[i] = luma(p[i] >> 16 & 255, p[i] >> 8 & 255, p[i] & 255);
}

/* ---- SSIM ---- */

static float kernel[2 * WIN_R + 1];
static float *tmp, *mx, *my, *sxx, *syy, *sxy, *prod;

/* out = the window's weighted sum of in, over the valid area (border left) */
static void blur(const float *in, float *out)
{
    int w = film.w, h = film.h;

    for (int y = 0; y < h; y++)
        for (int x = WIN_R; x < w - WIN_R; x++) {
            float s = 0;

            for (int k = -WIN_R; k <= WIN_R; k++)
                s += kernel[k + WIN_R] * in[(size_t)y * w + x + k];
            tmp[(size_t)y * w + x] = s;
        }
    for (int y = WIN_R; y < h - WIN_R; y++)
        for (int x = WIN_R; x < w - WIN_R; x++) {
            float s = 0;

            for (int k = -WIN_R; k <= WIN_R; k++)
                s += kernel[k + WIN_R] * tmp[(size_t)(y + k) * w + x];
            out[(size_t)y * w + x] = s;
        }
}

static void ssim_init(void)
{
    size_t n = (size_t)film.w * film.h;
    double sum = 0;

    for (int k = -WIN_R; k <= WIN_R; k++)
        sum += kernel[k + WIN_R] = (float)exp(-(double)k * k / (2 * SIGMA * SIGMA));
    for (int k = 0; k <= 2 * WIN_R; k++)
        kernel[k] = (float)(kernel[k] / sum);
    tmp = calloc(n, sizeof(float));
    mx = calloc(n, sizeof(float));
    my = calloc(n, sizeof(float));
    sxx = calloc(n, sizeof(float));
    syy = calloc(n, sizeof(float));
    sxy = calloc(n, sizeof(float));
    prod = calloc(n, sizeof(float));
    if (!tmp || !mx || !my || !sxx || !syy || !sxy || !prod)
        die("out of memory");
}

static double ssim(const float *a, const float *b)
{
    const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    size_t n = (size_t)film.w * film.h;
    double sum = 0;

    blur(a, mx);
    blur(b, my);
    for (size_t i = 0; i < n; i++)
        prod[i] = a[i] * a[i];
    blur(prod, sxx);
    for (size_t i = 0; i < n; i++)
        prod[i] = b[i] * b[i];
    blur(prod, syy);
    for (size_t i = 0; i < n; i++)
        prod[i] = a[i] * b[i];
    blur(prod, sxy);
    for (int y = WIN_R; y < film.h - WIN_R; y++)
        for (int x = WIN_R; x < film.w - WIN_R; x++) {
            size_t i = (size_t)y * film.w + x;
            double ma = mx[i], mb = my[i];
            double va = sxx[i] - ma * ma, vb = syy[i] - mb * mb, cov = sxy[i] - ma * mb;

            sum += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        }
    return sum / ((double)(film.w - 2 * WIN_R) * (film.h - 2 * WIN_R));
}

/* ---- the quality a JPEG was made at ---- */

static const int std_luma[64] = {
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
};

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* libjpeg's quality 1..100 whose luma table the JPEG's first 8-bit table
 * 0 is (the values compared sorted, so zigzag order does not matter); 0
 * when none is */
static int jpeg_quality(const unsigned char *j, size_t len)
{
    int got[64], want[64];

    for (size_t i = 2; i + 4 + 65 <= len; i++) {
        if (j[i] != 0xff || j[i + 1] != 0xdb || (j[i + 4] & 0xff) != 0)
            continue;
        for (int k = 0; k < 64; k++)
            got[k] = j[i + 5 + k];
        qsort(got, 64, sizeof(int), cmp_int);
        for (int q = 1; q <= 100; q++) {
            int scale = q < 50 ? 5000 / q : 200 - 2 * q;

            for (int k = 0; k < 64; k++) {
                int v = (std_luma[k] * scale + 50) / 100;

                want[k] = v < 1 ? 1 : v > 255 ? 255 : v;
            }
            qsort(want, 64, sizeof(int), cmp_int);
            if (memcmp(got, want, sizeof(got)) == 0)
                return q;
        }
        return 0;
    }
    return 0;
}

/* ---- VP8 ---- */

static vpx_codec_ctx_t vp8;
static int vp8_ready;

static unsigned char clamp255(int v)
{
    return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Decodes the next VP8 frame of the stream into rgb (w x h, 3 bytes a pixel). */
static void vp8_decode(const unsigned char *in, size_t len, unsigned char *rgb, int *w, int *h)
{
    vpx_codec_iter_t it = NULL;
    vpx_image_t *img;

    if (!vp8_ready && vpx_codec_dec_init(&vp8, vpx_codec_vp8_dx(), NULL, 0))
        die("no VP8 decoder");
    vp8_ready = 1;
    if (vpx_codec_decode(&vp8, in, (unsigned)len, NULL, 0) || !(img = vpx_codec_get_frame(&vp8, &it)))
        die("a VP8 frame does not decode");
    if ((int)img->d_w != film.w || (int)img->d_h != film.h || img->fmt != VPX_IMG_FMT_I420)
        die("a frame's size is not the film's");
    *w = (int)img->d_w;
    *h = (int)img->d_h;
    for (int y = 0; y < *h; y++)
        for (int x = 0; x < *w; x++) {
            int c = 298 * (img->planes[0][y * img->stride[0] + x] - 16);
            int d = img->planes[1][(y / 2) * img->stride[1] + x / 2] - 128;
            int e = img->planes[2][(y / 2) * img->stride[2] + x / 2] - 128;
            unsigned char *p = rgb + ((size_t)y * *w + x) * 3;

            p[0] = clamp255((c + 409 * e + 128) >> 8);
            p[1] = clamp255((c - 100 * d - 208 * e + 128) >> 8);
            p[2] = clamp255((c + 516 * d + 128) >> 8);
        }
}

/* ---- frames ---- */

static double match_error(const float *y, int t, float *src)
{
    double e = 0;

    film_luma(t, src);
    for (int r = 0; r < film.h; r += MATCH_STEP)
        for (int x = 0; x < film.w; x += MATCH_STEP) {
            double d = y[(size_t)r * film.w + x] - src[(size_t)r * film.w + x];

            e += d * d;
        }
    return e;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One line of hex (':' between bytes allowed) into *buf; its bytes, 0 at the end. */
static size_t hex_line(unsigned char **buf, size_t *cap)
{
    size_t n = 0;
    int c, hi = -1;

    while ((c = getchar()) != EOF && c != '\n') {
        int v = hexval(c);

        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n == *cap && !(*buf = realloc(*buf, *cap = *cap ? *cap * 2 : 65536)))
            die("out of memory");
        (*buf)[n++] = (unsigned char)(hi << 4 | v);
        hi = -1;
    }
    if (n == 0 && c != EOF)
        return hex_line(buf, cap);   /* an empty line */
    return n;
}

int main(int argc, char **argv)
{
    tjhandle dec = tjInitDecompress();
    size_t npx, cap = 0, len;
    unsigned char *jpeg = NULL, *rgb;
    float *y, *shown, *src;
    double *err[2];
    int frames = 0, first = -1, last = -1, flipped = 0, quality = 0, by_quality[101] = { 0 };
    double bytes = 0, ssim_sum = 0, shown_sum = 0, sq_err = 0;
    long shown_n = 0;

    if (argc != 2)
        die("usage: mjpeg-score FILM < FRAMES (hex, a JPEG a line)");
    film_read(argv[1]);
    npx = (size_t)film.w * film.h;
    rgb = malloc(npx * 3);
    y = malloc(npx * sizeof(float));
    shown = malloc(npx * sizeof(float));
    src = malloc(npx * sizeof(float));
    err[0] = malloc((size_t)film.n * sizeof(double));
    err[1] = malloc((size_t)film.n * sizeof(double));
    if (!dec || !rgb || !y || !shown || !src || !err[0] || !err[1])
        die("out of memory");
    ssim_init();
    while ((len = hex_line(&jpeg, &cap)) > 0) {
        int w, h, sub, cs, t, from, to, best = -1;
        double best_e = 0;

        if (len < 2 || jpeg[0] != 0xff || jpeg[1] != 0xd8) {
            by_quality[0]++;
            vp8_decode(jpeg, len, rgb, &w, &h);
        } else {
            by_quality[jpeg_quality(jpeg, len)]++;
            if (tjDecompressHeader3(dec, jpeg, len, &w, &h, &sub, &cs) < 0)
                die("a frame is not a JPEG");
            if (w != film.w || h != film.h)
                die("a frame's size is not the film's");
            if (tjDecompress2(dec, jpeg, len, rgb, w, w * 3, h, TJPF_RGB, 0) < 0)
                die("a frame does not decode");
        }
        from = frames ? last + 1 : 0;
        to = frames ? last + 2 * film.fps : film.n - 1;
        if (to >= film.n)
            to = film.n - 1;
        for (int flip = 0; flip < 2; flip++) {
            if (frames > 0 && flip != flipped)
                continue;
            for (int r = 0; r < h; r++) {
                const unsigned char *p = rgb + (size_t)(flip ? h - 1 - r : r) * w * 3;

                for (int x = 0; x < w; x++)
                    y[(size_t)r * w + x] = luma(p[3 * x], p[3 * x + 1], p[3 * x + 2]);
            }
            for (t = from; t <= to; t++) {
                err[flip][t - from] = match_error(y, t, src);
                if (best < 0 || err[flip][t - from] < best_e) {
                    best = t;
                    best_e = err[flip][t - from];
                    flipped = flip;
                }
            }
        }
        /* the earliest frame nearly as near: the film comes back to where
         * it was (a camera that turns round), and a frame coded without its
         * grain is as near to both; a match too early is mended by the next
         * frame, one too late never is */
        for (t = from; best >= 0 && t < best; t++)
            if (err[flipped][t - from] <= best_e * MATCH_SLACK) {
                best = t;
                break;
            }
        if (best < 0)
            die("more frames than the film holds");
        /* the frame's own orientation again, if the last try was the other */
        for (int r = 0; r < h; r++) {
            const unsigned char *p = rgb + (size_t)(flipped ? h - 1 - r : r) * w * 3;

            for (int x = 0; x < w; x++)
                y[(size_t)r * w + x] = luma(p[3 * x], p[3 * x + 1], p[3 * x + 2]);
        }
        /* the film's frames the previous JPEG stayed on screen for */
        for (t = last + 1; frames > 0 && t < best; t++) {
            film_luma(t, src);
            shown_sum += ssim(shown, src);
            shown_n++;
        }
        film_luma(best, src);
        {
            double s = ssim(y, src);
            const uint32_t *f = film.px + (size_t)best * npx;

            ssim_sum += s;
            shown_sum += s;
            shown_n++;
            for (int r = 0; r < h; r++) {
                const unsigned char *p = rgb + (size_t)(flipped ? h - 1 - r : r) * w * 3;

                for (int x = 0; x < w; x++) {
                    uint32_t v = f[(size_t)r * w + x];
                    double dr = p[3 * x] - (double)(v >> 16 & 255);
                    double dg = p[3 * x + 1] - (double)(v >> 8 & 255);
                    double db = p[3 * x + 2] - (double)(v & 255);

                    sq_err += dr * dr + dg * dg + db * db;
                }
            }
        }
        memcpy(shown, y, npx * sizeof(float));
        if (first < 0)
            first = best;
        last = best;
        frames++;
        bytes += (double)len;
    }
    if (frames == 0)
        die("no frames");
    for (int q = 1; q <= 100; q++)
        if (by_quality[q] > by_quality[quality])
            quality = q;
    printf("frames=%d first=%d last=%d bytes=%.0f kbps=%.1f ssim=%.5f shown_ssim=%.5f psnr=%.2f "
           "flipped=%d quality=%d quality_share=%.2f\n",
           frames, first, last, bytes,
           bytes * 8 / ((double)(last - first + 1) / film.fps) / 1000, ssim_sum / frames,
           shown_sum / shown_n, 10 * log10(255.0 * 255 * 3 * npx * frames / (sq_err + 1e-9)),
           flipped, quality, (double)by_quality[quality] / frames);
    return 0;
}
