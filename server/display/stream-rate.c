/* A video stream's rate for one client (stream-rate.h): a byte budget that
 * falls when the link shows a queue and climbs back when it shows none;
 * the best JPEG quality whose frames fit the budget at the source's pace,
 * and frames skipped when even the worst quality does not fit. */
#include "server/display/stream-rate.h"

const int fsrv_rate_quality[FSRV_RATE_LEVELS] = { 20, 30, 40, 50, 60, 70, 75 };

/* A frame's size at each level against the best, for levels not coded yet:
 * as the demo's full-screen video codes (a photograph with film grain, 4:2:0);
 * the stream's own frames replace these as they are coded. */
static const double rel_size[FSRV_RATE_LEVELS] = { 0.34, 0.38, 0.42, 0.48, 0.59, 0.83, 1.0 };
/* bytes per pixel at the best level before any frame was coded (the demo's
 * video: 0.059) */
#define GUESS_BYTES_PER_PIXEL 0.06
#define UNMEASURED_BPS (10ull * 1000 * 1000)   /* the reference's start on an unmeasured link */
#define MAX_BPS (2000ull * 1000 * 1000)
#define MIN_BYTE_RATE (32u * 1024)             /* 256 kbit/s */
#define DECREASE_EVERY_MS 500
#define CALM_BEFORE_INCREASE_MS 2000
#define INCREASE_EVERY_MS 1000
#define BURST_MS 250                           /* tokens kept: a quarter second's bytes */

void fsrv_stream_rate_init(struct fsrv_stream_rate *r, uint64_t link_bps, double pixels,
                           uint64_t now_ms)
{
    uint64_t bps = link_bps ? link_bps : UNMEASURED_BPS;

    *r = (struct fsrv_stream_rate){ 0 };
    if (bps > MAX_BPS)
        bps = MAX_BPS;
    /* the network test is one sample, maybe of another moment: the budget
     * grows past it while the link stays calm */
    r->ceiling = MAX_BPS / 8;
    r->byte_rate = bps / 8 * 8 / 10;
    if (r->byte_rate < MIN_BYTE_RATE)
        r->byte_rate = MIN_BYTE_RATE;
    r->pixels = pixels > 1 ? pixels : 1;
    r->interval_ms = 1000.0 / 30;
    r->last_offer_ms = r->last_fill_ms = now_ms;
    r->decreased_ms = r->increased_ms = now_ms;
    r->tokens = (double)r->byte_rate * BURST_MS / 1000;
    r->level = FSRV_RATE_LEVELS - 1;
}

void fsrv_stream_rate_restart(struct fsrv_stream_rate *r, double pixels, uint64_t now_ms)
{
    struct fsrv_stream_rate kept = *r;

    fsrv_stream_rate_init(r, 0, pixels, now_ms);
    r->byte_rate = kept.byte_rate;
    r->ceiling = kept.ceiling;
    r->decreased_ms = kept.decreased_ms;
    r->increased_ms = kept.increased_ms;
    r->decreases = kept.decreases;
    r->increases = kept.increases;
    r->skips = r->skips_seen = kept.skips;
    r->fixed = kept.fixed;
    r->tokens = (double)r->byte_rate * BURST_MS / 1000;
}

/* A frame's expected bytes at level l: its own coding's, else scaled from
 * the nearest level coded, else the guess. */
static double expected(const struct fsrv_stream_rate *r, int l)
{
    if (r->size[l] > 0)
        return r->size[l];
    for (int d = 1; d < FSRV_RATE_LEVELS; d++) {
        int k[2] = { l - d, l + d };

        for (int i = 0; i < 2; i++)
            if (k[i] >= 0 && k[i] < FSRV_RATE_LEVELS && r->size[k[i]] > 0)
                return r->size[k[i]] * rel_size[l] / rel_size[k[i]];
    }
    return r->pixels * GUESS_BYTES_PER_PIXEL * rel_size[l];
}

/* The best level whose frames fit the budget at the source's pace (the
 * worst when none does: frames are skipped then). */
static void choose(struct fsrv_stream_rate *r)
{
    double per_frame = (double)r->byte_rate * r->interval_ms / 1000;
    int l = FSRV_RATE_LEVELS - 1;

    while (l > 0 && expected(r, l) > per_frame)
        l--;
    r->level = l;
}

int fsrv_stream_rate_offer(struct fsrv_stream_rate *r, uint64_t now_ms)
{
    double dt = (double)(now_ms - r->last_offer_ms), cap;

    /* the source's pace, smoothed; a pause (the picture stood) is no pace */
    if (now_ms > r->last_offer_ms && dt < 1000)
        r->interval_ms += (dt - r->interval_ms) / 8;
    if (r->interval_ms < 5)
        r->interval_ms = 5;
    r->last_offer_ms = now_ms;
    r->tokens += (double)r->byte_rate * (double)(now_ms - r->last_fill_ms) / 1000;
    r->last_fill_ms = now_ms;
    cap = (double)r->byte_rate * BURST_MS / 1000;
    if (r->tokens > cap)
        r->tokens = cap;
    choose(r);
    if (r->tokens <= 0 && !r->fixed) {
        r->skips++;
        return 0;
    }
    return 1;
}

int fsrv_stream_rate_quality(const struct fsrv_stream_rate *r)
{
    return r->fixed ? r->fixed : fsrv_rate_quality[r->level];
}

void fsrv_stream_rate_fix(struct fsrv_stream_rate *r, int quality)
{
    r->fixed = quality >= 1 && quality <= 100 ? quality : 0;
}

void fsrv_stream_rate_want(struct fsrv_stream_rate *r, uint64_t bytes)
{
    r->want = bytes;
}

void fsrv_stream_rate_coded(struct fsrv_stream_rate *r, int quality, size_t bytes)
{
    for (int l = 0; l < FSRV_RATE_LEVELS; l++) {
        if (fsrv_rate_quality[l] != quality)
            continue;
        r->size[l] = r->size[l] > 0 ? r->size[l] + ((double)bytes - r->size[l]) / 4
                                    : (double)bytes;
    }
    r->tokens -= (double)bytes;
}

void fsrv_stream_rate_congested(struct fsrv_stream_rate *r, uint64_t now_ms,
                                uint64_t delivered_bps)
{
    uint64_t rate = r->byte_rate * 3 / 4, delivered = delivered_bps / 8 * 9 / 10;

    if (now_ms - r->decreased_ms < DECREASE_EVERY_MS)
        return;
    if (delivered && delivered < rate)
        rate = delivered;
    r->byte_rate = rate < MIN_BYTE_RATE ? MIN_BYTE_RATE : rate;
    if (r->tokens > 0)
        r->tokens = 0;
    r->decreased_ms = now_ms;
    r->decreases++;
    choose(r);
}

void fsrv_stream_rate_calm(struct fsrv_stream_rate *r, uint64_t now_ms)
{
    /* a budget the frames do not fill has no reason to grow: the best
     * quality at the source's pace, nothing skipped since the last look */
    int limited = (r->want ? r->byte_rate < r->want : r->level < FSRV_RATE_LEVELS - 1) ||
                  r->skips != r->skips_seen;

    r->skips_seen = r->skips;
    if (!limited || now_ms - r->decreased_ms < CALM_BEFORE_INCREASE_MS ||
        now_ms - r->increased_ms < INCREASE_EVERY_MS || r->byte_rate >= r->ceiling)
        return;
    r->byte_rate += r->byte_rate / 4;
    if (r->byte_rate > r->ceiling)
        r->byte_rate = r->ceiling;
    r->increased_ms = now_ms;
    r->increases++;
    choose(r);
}
