/* The codec bench: every registered floe codec and, measured side by side in
 * the same run on the same pictures, zlib levels 1 and 6, LZ4 and libjpeg-turbo.
 *
 *   codec-bench [--seconds S] [--repeats N] [--csv FILE] [--pictures FILE] CORPUS_DIR
 *
 * --csv writes one line per entry, --pictures one per entry and picture.
 *
 * Every entry starts from the same 32-bit xRGB pictures and ends with
 * 32-bit xRGB pictures, so packing to RGB bytes and back is part of the
 * reference entries' time as it is part of the codecs'. All pictures go in
 * as opaque (RGB), whatever alpha they have. Figures:
 *   ratio        = 24-bit RGB bytes (3 * width * height, summed) / payload bytes;
 *   Mpixel/s     = corpus pixels / seconds for one pass over the corpus;
 *                  each pass is repeated until it has run --seconds (0.2 s),
 *                  and the best of --repeats (3) such measurements is kept;
 *   PSNR         = RGB, over the whole corpus, for lossy entries.
 * A stateful codec gets a new encoder state for every encoding pass and a
 * new decoder state for every decoding pass, pictures in corpus order. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lz4.h>
#include <turbojpeg.h>
#include <zlib.h>

#include "codecs/codec.h"
#include "tests/corpus/corpus.h"

/* One thing measured: a floe codec, or a reference library. */
struct entry {
    const char *name;
    const char *kind;                  /* "floe" or "reference" */
    bool lossy;
    const struct floe_codec *codec;    /* floe codecs */
    int level;                         /* zlib level, JPEG quality */
    int (*encode)(const struct entry *e, const struct floe_pic *pic, struct floe_bytes *out);
    int (*decode)(const struct entry *e, const struct floe_bytes *in, struct floe_pic *out);
};

/* What the run shares: the pictures, their payloads, decoded pictures, scratch. */
struct bench {
    struct corpus_pic *pics;
    int n;
    struct floe_pic *in, *out;
    struct floe_bytes *coded;
    struct floe_coded *meta;
    int *refused;                      /* -EINVAL from the encoder */
    uint8_t *scratch;                  /* packed RGB of the largest picture */
    tjhandle tj_enc, tj_dec;
    double seconds;
    int repeats;
    FILE *pictures;                    /* --pictures: per-picture CSV */
};

static struct bench B;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pack_rgb(const struct floe_pic *pic, uint8_t *dst)
{
    for (int y = 0; y < pic->height; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)((const uint8_t *)pic->pixels +
                                                               (size_t)y * pic->stride);

        for (int x = 0; x < pic->width; x++) {
            uint32_t v = row[x];

            *dst++ = (uint8_t)v;
            *dst++ = (uint8_t)(v >> 8);
            *dst++ = (uint8_t)(v >> 16);
        }
    }
}

static void unpack_rgb(const uint8_t *src, struct floe_pic *pic)
{
    for (int y = 0; y < pic->height; y++) {
        uint32_t *row = (uint32_t *)(void *)((uint8_t *)pic->pixels + (size_t)y * pic->stride);

        for (int x = 0; x < pic->width; x++, src += 3)
            row[x] = (uint32_t)src[2] << 16 | (uint32_t)src[1] << 8 | src[0];
    }
}

static size_t rgb_size(const struct floe_pic *pic)
{
    return (size_t)pic->width * (size_t)pic->height * 3;
}

static int zlib_encode(const struct entry *e, const struct floe_pic *pic, struct floe_bytes *out)
{
    uLongf len = compressBound((uLong)rgb_size(pic));

    pack_rgb(pic, B.scratch);
    if (floe_bytes_reserve(out, len))
        return -ENOMEM;
    if (compress2(out->data + out->len, &len, B.scratch, (uLong)rgb_size(pic), e->level) != Z_OK)
        return -EINVAL;
    out->len += len;
    return 0;
}

static int zlib_decode(const struct entry *e, const struct floe_bytes *in, struct floe_pic *out)
{
    uLongf len = (uLongf)rgb_size(out);

    if (uncompress(B.scratch, &len, in->data, (uLong)in->len) != Z_OK || len != rgb_size(out))
        return -EBADMSG;
    unpack_rgb(B.scratch, out);
    return 0;
}

static int lz4_encode(const struct entry *e, const struct floe_pic *pic, struct floe_bytes *out)
{
    int n = (int)rgb_size(pic), bound = LZ4_compressBound(n), c;

    pack_rgb(pic, B.scratch);
    if (floe_bytes_reserve(out, (size_t)bound))
        return -ENOMEM;
    c = LZ4_compress_default((const char *)B.scratch, (char *)out->data + out->len, n, bound);
    if (c <= 0)
        return -EINVAL;
    out->len += (size_t)c;
    return 0;
}

static int lz4_decode(const struct entry *e, const struct floe_bytes *in, struct floe_pic *out)
{
    int n = (int)rgb_size(out);

    if (LZ4_decompress_safe((const char *)in->data, (char *)B.scratch, (int)in->len, n) != n)
        return -EBADMSG;
    unpack_rgb(B.scratch, out);
    return 0;
}

/* libjpeg-turbo reads and writes the 32-bit words directly (B, G, R, x in memory). */
static int jpeg_encode(const struct entry *e, const struct floe_pic *pic, struct floe_bytes *out)
{
    unsigned long size = tjBufSize(pic->width, pic->height, TJSAMP_420);
    unsigned char *dst;

    if (floe_bytes_reserve(out, size))
        return -ENOMEM;
    dst = out->data + out->len;
    if (tjCompress2(B.tj_enc, (const unsigned char *)pic->pixels, pic->width, pic->stride,
                    pic->height, TJPF_BGRX, &dst, &size, TJSAMP_420, e->level,
                    TJFLAG_NOREALLOC) < 0)
        return -EINVAL;
    out->len += size;
    return 0;
}

static int jpeg_decode(const struct entry *e, const struct floe_bytes *in, struct floe_pic *out)
{
    if (tjDecompress2(B.tj_dec, in->data, in->len, (unsigned char *)out->pixels, out->width,
                      out->stride, out->height, TJPF_BGRX, 0) < 0)
        return -EBADMSG;
    /* the pad byte comes out as 0xff; floe's decoders write 0 */
    for (int y = 0; y < out->height; y++) {
        uint32_t *row = (uint32_t *)(void *)((uint8_t *)out->pixels + (size_t)y * out->stride);

        for (int x = 0; x < out->width; x++)
            row[x] &= 0x00ffffff;
    }
    return 0;
}

/* One pass over the corpus in order; a stateful codec gets a fresh state. */
static int pass(const struct entry *e, bool encode)
{
    const struct floe_codec *c = e->codec;
    void *state = c && c->state_new ? c->state_new(&(struct floe_codec_params){ 0 }) : NULL;
    int ret = 0;

    if (c && c->state_new && !state)
        return -ENOMEM;
    for (int i = 0; i < B.n && !ret; i++) {
        if (B.refused[i])
            continue;
        if (encode) {
            B.coded[i].len = 0;
            memset(&B.meta[i], 0, sizeof(B.meta[i]));
            ret = c ? c->encode(state, &B.in[i], &B.coded[i], &B.meta[i])
                    : e->encode(e, &B.in[i], &B.coded[i]);
            B.meta[i].data = B.coded[i].data;
            B.meta[i].len = B.coded[i].len;
        } else {
            ret = c ? c->decode(state, &B.meta[i], &B.out[i]) : e->decode(e, &B.coded[i], &B.out[i]);
        }
    }
    if (state)
        c->state_free(state);
    return ret;
}

/* Seconds for one pass: the best of B.repeats measurements of >= B.seconds each. */
static double measure(const struct entry *e, bool encode)
{
    double best = 1e30;

    for (int r = 0; r < B.repeats; r++) {
        double t0 = now(), t;
        int passes = 0;

        do {
            if (pass(e, encode) < 0)
                return -1;
            passes++;
            t = now() - t0;
        } while (t < B.seconds);
        if (t / passes < best)
            best = t / passes;
    }
    return best;
}

/* PSNR over RGB of one picture's round trip; INFINITY when exact. */
static double picture_psnr(const struct corpus_pic *p, const struct floe_pic *out, double *sq_out)
{
    double sq = 0;

    for (size_t k = 0; k < (size_t)p->width * p->height; k++) {
        uint32_t a = p->px[k], b = out->pixels[k];

        for (int s = 0; s < 24; s += 8) {
            int d = (int)((a >> s) & 0xff) - (int)((b >> s) & 0xff);

            sq += d * d;
        }
    }
    *sq_out = sq;
    return sq > 0 ? 10 * log10(255.0 * 255.0 * 3.0 * p->width * p->height / sq) : INFINITY;
}

/* Checks what came back and sums sizes; -1 when a lossless entry lost pixels.
 * With B.pictures, one CSV line per picture. */
static int tally(const struct entry *e, double *raw, double *coded, double *psnr, int *carried)
{
    double sq_all = 0;

    *raw = *coded = 0;
    *carried = 0;
    for (int i = 0; i < B.n; i++) {
        const struct corpus_pic *p = &B.pics[i];
        double sq, pic_psnr, pic_raw = 3.0 * p->width * p->height;

        if (B.refused[i])
            continue;
        (*carried)++;
        *raw += pic_raw;
        *coded += (double)B.coded[i].len;
        pic_psnr = picture_psnr(p, &B.out[i], &sq);
        sq_all += sq;
        if (!e->lossy && sq > 0) {
            fprintf(stderr, "codec-bench: %s changed pixels of %s\n", e->name, p->name);
            return -1;
        }
        if (B.pictures)
            fprintf(B.pictures, "%s,%s,%d,%d,%zu,%.4f,%.2f\n", e->name, p->name, p->width,
                    p->height, B.coded[i].len, pic_raw / (double)B.coded[i].len,
                    isinf(pic_psnr) ? 99.0 : pic_psnr);
    }
    *psnr = sq_all > 0 ? 10 * log10(255.0 * 255.0 * *raw / sq_all) : INFINITY;
    return 0;
}

/* Marks the pictures a codec refuses (-EINVAL) with one encoding pass. */
static void find_refused(const struct entry *e)
{
    const struct floe_codec *c = e->codec;
    void *st;

    memset(B.refused, 0, sizeof(*B.refused) * (size_t)B.n);
    if (!c)
        return;
    st = c->state_new ? c->state_new(&(struct floe_codec_params){ 0 }) : NULL;
    for (int i = 0; i < B.n; i++) {
        B.coded[i].len = 0;
        B.refused[i] = c->encode(st, &B.in[i], &B.coded[i], &B.meta[i]) == -EINVAL;
    }
    if (st)
        c->state_free(st);
}

/* Measures one entry, prints its row and its CSV line. */
static void run_entry(const struct entry *e, FILE *csv)
{
    double enc, dec, raw, coded, psnr, mpix = 0;
    char psnr_s[16] = "";
    int carried;

    find_refused(e);
    for (int i = 0; i < B.n; i++)
        if (!B.refused[i])
            mpix += (double)B.pics[i].width * B.pics[i].height / 1e6;
    enc = measure(e, true);
    dec = enc < 0 ? -1 : measure(e, false);
    if (enc < 0 || dec < 0 || tally(e, &raw, &coded, &psnr, &carried) < 0 || carried == 0) {
        printf("  %-16s %-9s failed\n", e->name, e->kind);
        fflush(stdout);
        return;
    }
    if (e->lossy)
        snprintf(psnr_s, sizeof(psnr_s), "%.1f", psnr);
    printf("  %-16s %-9s %7.2f %10.1f %10.1f %8s %5d/%d\n", e->name, e->kind, raw / coded,
           mpix / enc, mpix / dec, e->lossy ? psnr_s : "-", carried, B.n);
    if (csv)
        fprintf(csv, "%s,%s,%d,%d,%.0f,%.0f,%.4f,%.3f,%.3f,%s\n", e->name, e->kind, e->lossy,
                carried, raw, coded, raw / coded, mpix / enc, mpix / dec, psnr_s);
    fflush(stdout);
}

/* The pictures as floe pictures (packed rows, opaque) and room for everything else. */
static int setup(void)
{
    size_t biggest = 0;

    B.in = calloc((size_t)B.n, sizeof(*B.in));
    B.out = calloc((size_t)B.n, sizeof(*B.out));
    B.coded = calloc((size_t)B.n, sizeof(*B.coded));
    B.meta = calloc((size_t)B.n, sizeof(*B.meta));
    B.refused = calloc((size_t)B.n, sizeof(*B.refused));
    if (!B.in || !B.out || !B.coded || !B.meta || !B.refused)
        return -ENOMEM;
    for (int i = 0; i < B.n; i++) {
        const struct corpus_pic *p = &B.pics[i];
        size_t px = (size_t)p->width * p->height;

        B.in[i] = (struct floe_pic){ p->px, p->width, p->height, 4 * p->width, false };
        B.out[i] = B.in[i];
        B.out[i].pixels = calloc(px, 4);
        if (!B.out[i].pixels)
            return -ENOMEM;
        if (px > biggest)
            biggest = px;
    }
    B.scratch = malloc(biggest * 3);
    B.tj_enc = tjInitCompress();
    B.tj_dec = tjInitDecompress();
    return B.scratch && B.tj_enc && B.tj_dec ? 0 : -ENOMEM;
}

static void teardown(void)
{
    for (int i = 0; i < B.n; i++) {
        free(B.out[i].pixels);
        floe_bytes_free(&B.coded[i]);
    }
    free(B.in);
    free(B.out);
    free(B.coded);
    free(B.meta);
    free(B.refused);
    free(B.scratch);
    if (B.tj_enc)
        tjDestroy(B.tj_enc);
    if (B.tj_dec)
        tjDestroy(B.tj_dec);
    corpus_free(B.pics, B.n);
}

static const struct entry references[] = {
    { "zlib-1", "reference", false, NULL, 1, zlib_encode, zlib_decode },
    { "zlib-6", "reference", false, NULL, 6, zlib_encode, zlib_decode },
    { "lz4-block", "reference", false, NULL, 0, lz4_encode, lz4_decode },
    { "turbojpeg-q85", "reference", true, NULL, 85, jpeg_encode, jpeg_decode },
};

static int usage(void)
{
    fprintf(stderr, "usage: codec-bench [--seconds S] [--repeats N] [--csv FILE] [--pictures FILE]\n"
                    "                   CORPUS_DIR\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "seconds", required_argument, NULL, 's' },
        { "repeats", required_argument, NULL, 'r' },
        { "csv", required_argument, NULL, 'c' },
        { "pictures", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    const char *csv_path = NULL, *pictures_path = NULL;
    double mpix = 0;
    FILE *csv = NULL;
    int o, ret;

    B.seconds = 0.2;
    B.repeats = 3;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 's')
            B.seconds = atof(optarg);
        else if (o == 'r')
            B.repeats = atoi(optarg) > 0 ? atoi(optarg) : 1;
        else if (o == 'c')
            csv_path = optarg;
        else if (o == 'p')
            pictures_path = optarg;
        else
            return usage();
    }
    if (optind != argc - 1)
        return usage();
    if ((ret = corpus_load(argv[optind], &B.pics, &B.n)) < 0) {
        fprintf(stderr, "codec-bench: corpus %s: %s\n", argv[optind], strerror(-ret));
        return 1;
    }
    if (setup() < 0) {
        fprintf(stderr, "codec-bench: out of memory\n");
        teardown();
        return 1;
    }
    if (csv_path && !(csv = fopen(csv_path, "w"))) {
        fprintf(stderr, "codec-bench: %s: %s\n", csv_path, strerror(errno));
        teardown();
        return 1;
    }
    if (pictures_path && !(B.pictures = fopen(pictures_path, "w"))) {
        fprintf(stderr, "codec-bench: %s: %s\n", pictures_path, strerror(errno));
        teardown();
        return 1;
    }
    if (B.pictures)
        fprintf(B.pictures, "name,picture,width,height,coded_bytes,ratio,psnr_db\n");
    if (csv)
        fprintf(csv, "name,kind,lossy,pictures,raw_bytes,coded_bytes,ratio,"
                     "encode_mpixel_s,decode_mpixel_s,psnr_db\n");
    for (int i = 0; i < B.n; i++)
        mpix += (double)B.pics[i].width * B.pics[i].height / 1e6;
    printf("codecs on the corpus: %d pictures, %.1f Mpixels, as RGB; best of %d runs of >= %.1f s\n",
           B.n, mpix, B.repeats, B.seconds);
    printf("ratio = 24-bit RGB bytes / payload bytes; speeds in Mpixel/s; PSNR over RGB\n");
    printf("  %-16s %-9s %7s %10s %10s %8s %s\n", "codec", "kind", "ratio", "encode", "decode",
           "PSNR dB", "pictures");
    for (int i = 0; floe_codecs[i]; i++) {
        const struct floe_codec *c = floe_codecs[i];

        if (c->encode)
            run_entry(&(struct entry){ c->name, "floe", c->lossy, c, 0, NULL, NULL }, csv);
    }
    for (size_t i = 0; i < sizeof(references) / sizeof(references[0]); i++)
        run_entry(&references[i], csv);
    if (csv)
        fclose(csv);
    if (B.pictures)
        fclose(B.pictures);
    teardown();
    return 0;
}
