/* Round trip of every registered codec over the corpus: encode, decode,
 * compare. Lossless codecs must give back every pixel; lossy ones a PSNR
 * (over RGB) of at least --psnr dB (30) on each picture, except white noise
 * (pictures named edge-noise-*), which 4:2:0 chroma subsampling cannot carry
 * (libjpeg-turbo at quality 85 gives 13 to 15 dB) and needs --psnr-noise (10).
 *
 *   codec_roundtrip [--psnr DB] [--psnr-noise DB] [--codec NAME]... CORPUS_DIR
 *
 * Each codec runs the corpus twice, each time as one sequence with one
 * encoder state and one decoder state (what a GLZ dictionary needs), images
 * decoded in the order encoded: once with packed rows, once with padded
 * rows whose padding holds garbage (and, for opaque pictures, garbage in
 * the ignored top byte) into an output whose padding must stay untouched.
 * Payloads are copied to buffers of their exact size so the sanitizers see
 * any read past them. Alpha: when a picture has alpha the codec must either
 * refuse it (-EINVAL, reported as n/a) or give it back exactly, lossy codecs
 * included; a decoder reporting no alpha must write the top byte as 0.
 * Prints one row per codec; exits 1 if any picture failed, 2 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codec.h"
#include "tests/corpus/corpus.h"

#define MAX_REPORTS 6          /* failure lines printed per codec */
#define IN_PAD_BYTES 20        /* extra bytes per input row in the padded pass */
#define OUT_PAD_BYTES 12       /* extra bytes per output row in the padded pass */
#define CANARY 0xa5

enum outcome { PIC_OK, PIC_NA, PIC_FAIL };

struct codec_run {
    const struct floe_codec *codec;
    double psnr_bound, psnr_noise_bound;
    int reports;
    enum outcome *status;       /* per picture, worst of both passes */
    double raw_bytes, coded_bytes;
    double worst_psnr;          /* lossy: lowest PSNR seen */
};

static void report(struct codec_run *run, const char *pic, int padded, const char *fmt, ...)
{
    va_list ap;

    if (run->reports++ >= MAX_REPORTS)
        return;
    printf("FAIL %s %s (%s rows): ", run->codec->name, pic, padded ? "padded" : "packed");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* The input picture: packed, or padded with garbage in the padding and,
 * without alpha, in the top byte an encoder must ignore. */
static uint32_t *make_input(const struct corpus_pic *p, int padded, int *stride)
{
    size_t words = (size_t)p->width + (padded ? IN_PAD_BYTES / 4 : 0);
    uint32_t *buf = malloc(words * (size_t)p->height * 4);

    if (!buf)
        return NULL;
    *stride = (int)(words * 4);
    for (int y = 0; y < p->height; y++) {
        uint32_t *row = buf + (size_t)y * words;

        memcpy(row, p->px + (size_t)y * p->width, (size_t)p->width * 4);
        if (!padded)
            continue;
        for (size_t x = (size_t)p->width; x < words; x++)
            row[x] = 0xdeadbeef ^ (uint32_t)(x * 2654435761u + (uint32_t)y);
        if (!p->alpha)
            for (int x = 0; x < p->width; x++)
                row[x] |= (uint32_t)((x * 7 + y * 13) & 0xff) << 24;
    }
    return buf;
}

/* The decoded picture against the original; NULL when equal enough, else why. */
static const char *compare(struct codec_run *run, const struct corpus_pic *p,
                           const struct floe_pic *out, char *why, size_t whylen)
{
    bool keep_alpha = p->alpha && out->alpha;
    double sq = 0;

    if (p->alpha && !out->alpha)
        return "the picture has alpha, the decoder reports none";
    for (int y = 0; y < p->height; y++) {
        const uint32_t *o = (const uint32_t *)(const void *)((const uint8_t *)out->pixels +
                                                             (size_t)y * out->stride);
        const uint32_t *i = p->px + (size_t)y * p->width;
        const uint8_t *pad = (const uint8_t *)(o + p->width);

        for (int x = 0; x < p->width; x++) {
            uint32_t a = i[x], b = o[x];

            if (!out->alpha && (b >> 24)) {
                snprintf(why, whylen, "pixel (%d,%d) = %08x: no alpha, yet the top byte is set",
                         x, y, b);
                return why;
            }
            if (keep_alpha && (a >> 24) != (b >> 24)) {
                snprintf(why, whylen, "pixel (%d,%d) alpha %02x, want %02x", x, y, b >> 24,
                         a >> 24);
                return why;
            }
            if (!run->codec->lossy && (a & 0xffffff) != (b & 0xffffff)) {
                snprintf(why, whylen, "pixel (%d,%d) = %06x, want %06x", x, y, b & 0xffffff,
                         a & 0xffffff);
                return why;
            }
            for (int s = 0; s < 24; s += 8) {
                int d = (int)((a >> s) & 0xff) - (int)((b >> s) & 0xff);

                sq += d * d;
            }
        }
        for (size_t k = 4 * (size_t)p->width; k < (size_t)out->stride; k++)
            if (pad[k - 4 * (size_t)p->width] != CANARY) {
                snprintf(why, whylen, "row %d: the decoder wrote into the row padding", y);
                return why;
            }
    }
    if (run->codec->lossy) {
        double mse = sq / (3.0 * p->width * p->height);
        double psnr = mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99;

        bool noise = !strncmp(p->name, "edge-noise-", 11);
        double bound = noise ? run->psnr_noise_bound : run->psnr_bound;

        if (psnr < run->worst_psnr && !noise)
            run->worst_psnr = psnr;
        if (psnr < bound) {
            snprintf(why, whylen, "PSNR %.2f dB, below %.1f dB", psnr, bound);
            return why;
        }
    }
    return NULL;
}

/* Encodes and decodes one picture with the sequence's states. */
static enum outcome round_trip(struct codec_run *run, void *enc, void *dec,
                               const struct corpus_pic *p, int padded)
{
    const struct floe_codec *c = run->codec;
    struct floe_bytes bytes = { 0 };
    struct floe_coded meta = { 0 };
    struct floe_pic in = { 0 }, out = { 0 };
    enum outcome res = PIC_FAIL;
    uint8_t *payload = NULL;
    char why[160];
    const char *bad;
    int ret;

    in.pixels = make_input(p, padded, &in.stride);
    in.width = p->width;
    in.height = p->height;
    in.alpha = p->alpha;
    out.width = p->width;
    out.height = p->height;
    out.stride = 4 * p->width + (padded ? OUT_PAD_BYTES : 0);
    out.pixels = malloc((size_t)out.stride * (size_t)p->height);
    if (!in.pixels || !out.pixels) {
        report(run, p->name, padded, "out of memory");
        goto out;
    }
    memset(out.pixels, CANARY, (size_t)out.stride * (size_t)p->height);
    ret = c->encode(enc, &in, &bytes, &meta);
    if (ret == -EINVAL) {
        res = PIC_NA;
        goto out;
    }
    if (ret < 0) {
        report(run, p->name, padded, "encode: %s", strerror(-ret));
        goto out;
    }
    payload = malloc(bytes.len ? bytes.len : 1);
    if (!payload) {
        report(run, p->name, padded, "out of memory");
        goto out;
    }
    if (bytes.len)
        memcpy(payload, bytes.data, bytes.len);
    meta.data = payload;
    meta.len = bytes.len;
    ret = c->decode(dec, &meta, &out);
    if (ret < 0) {
        report(run, p->name, padded, "decode: %s", strerror(-ret));
        goto out;
    }
    bad = compare(run, p, &out, why, sizeof(why));
    if (bad) {
        report(run, p->name, padded, "%s", bad);
        goto out;
    }
    if (!padded) {
        run->raw_bytes += 3.0 * p->width * p->height;
        run->coded_bytes += (double)bytes.len;
    }
    res = PIC_OK;
out:
    free(payload);
    floe_bytes_free(&bytes);
    free(in.pixels);
    free(out.pixels);
    return res;
}

/* One pass over the corpus as one sequence: one encoder state, one decoder state. */
static void run_sequence(struct codec_run *run, const struct corpus_pic *pics, int n, int padded)
{
    const struct floe_codec *c = run->codec;
    struct floe_codec_params params = { 0 };
    void *enc = NULL, *dec = NULL;

    if (c->state_new) {
        enc = c->state_new(&params);
        dec = c->state_new(&params);
        if (!enc || !dec) {
            report(run, "-", padded, "state_new failed");
            for (int i = 0; i < n; i++)
                run->status[i] = PIC_FAIL;
            goto out;
        }
    }
    for (int i = 0; i < n; i++) {
        enum outcome r = round_trip(run, enc, dec, &pics[i], padded);

        if (padded && r != run->status[i] && r != PIC_FAIL && run->status[i] != PIC_FAIL) {
            report(run, pics[i].name, padded, "refused in one pass, carried in the other");
            r = PIC_FAIL;
        }
        if (!padded || r == PIC_FAIL)
            run->status[i] = r;
    }
out:
    if (c->state_free) {
        if (enc)
            c->state_free(enc);
        if (dec)
            c->state_free(dec);
    }
}

/* Runs one codec; prints its row; true when every picture passed or was n/a. */
static bool run_codec(const struct floe_codec *c, const struct corpus_pic *pics, int n,
                      double psnr_bound, double psnr_noise_bound)
{
    struct codec_run run = { .codec = c, .psnr_bound = psnr_bound,
                             .psnr_noise_bound = psnr_noise_bound, .worst_psnr = 1e9 };
    int ok = 0, na = 0, failed = 0;
    char psnr[16] = "-", ratio[16] = "-";

    run.status = calloc((size_t)n, sizeof(*run.status));
    if (!run.status) {
        printf("FAIL %s: out of memory\n", c->name);
        return false;
    }
    run_sequence(&run, pics, n, 0);
    run_sequence(&run, pics, n, 1);
    for (int i = 0; i < n; i++) {
        ok += run.status[i] == PIC_OK;
        na += run.status[i] == PIC_NA;
        failed += run.status[i] == PIC_FAIL;
    }
    if (run.reports > MAX_REPORTS)
        printf("FAIL %s: %d more failure(s) not shown\n", c->name, run.reports - MAX_REPORTS);
    if (run.coded_bytes > 0)
        snprintf(ratio, sizeof(ratio), "%.2f", run.raw_bytes / run.coded_bytes);
    if (c->lossy && run.worst_psnr < 1e9)
        snprintf(psnr, sizeof(psnr), "%.1f", run.worst_psnr);
    printf("  %-12s %-8s %4d ok %4d n/a %4d failed  %7s  %8s  %s\n", c->name,
           c->lossy ? "lossy" : "lossless", ok, na, failed, ratio, psnr,
           failed ? "FAIL" : ok ? "PASS" : "FAIL (refused every picture)");
    free(run.status);
    return failed == 0 && ok > 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: codec_roundtrip [--psnr DB] [--psnr-noise DB] [--codec NAME]... "
                    "CORPUS_DIR\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "psnr", required_argument, NULL, 'p' },
        { "psnr-noise", required_argument, NULL, 'n' },
        { "codec", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    const char *only[32];
    int n_only = 0, n, o, codecs = 0, failed = 0;
    double psnr_bound = 30.0, psnr_noise_bound = 10.0;
    struct corpus_pic *pics;
    long pixels = 0;

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'p')
            psnr_bound = atof(optarg);
        else if (o == 'n')
            psnr_noise_bound = atof(optarg);
        else if (o == 'c' && n_only < 32)
            only[n_only++] = optarg;
        else
            return usage();
    }
    if (optind != argc - 1)
        return usage();
    for (int i = 0; i < n_only; i++)
        if (!floe_codec_by_name(only[i])) {
            fprintf(stderr, "codec_roundtrip: no codec named %s\n", only[i]);
            return 2;
        }
    if ((o = corpus_load(argv[optind], &pics, &n)) < 0) {
        fprintf(stderr, "codec_roundtrip: corpus %s: %s\n", argv[optind], strerror(-o));
        return 2;
    }
    for (int i = 0; i < n; i++)
        pixels += (long)pics[i].width * pics[i].height;
    printf("corpus: %d pictures, %.1f Mpixels; lossy codecs need PSNR >= %.1f dB on each\n"
           "(white noise, edge-noise-*: >= %.1f dB, and left out of min PSNR)\n",
           n, pixels / 1e6, psnr_bound, psnr_noise_bound);
    printf("ratio = 24-bit RGB bytes / payload bytes over the pictures carried (packed pass)\n");
    printf("  %-12s %-8s %29s  %7s  %8s  %s\n", "codec", "kind", "pictures", "ratio",
           "min PSNR", "result");
    for (int i = 0; floe_codecs[i]; i++) {
        const struct floe_codec *c = floe_codecs[i];
        bool wanted = n_only == 0;

        for (int k = 0; k < n_only; k++)
            wanted |= !strcmp(only[k], c->name);
        if (!wanted)
            continue;
        if (!c->encode) {
            printf("  %-12s %-8s %29s  %7s  %8s  %s\n", c->name, "decoder", "-", "-", "-",
                   "skipped (decode only)");
            continue;
        }
        codecs++;
        failed += !run_codec(c, pics, n, psnr_bound, psnr_noise_bound);
    }
    corpus_free(pics, n);
    printf("%d codec(s) with an encoder, %d failed\n", codecs, failed);
    return failed ? 1 : 0;
}
