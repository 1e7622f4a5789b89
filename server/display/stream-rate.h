/* A video stream's rate for one client: the bytes per second its frames may
 * take, the JPEG quality and the frames that fit in them, from what is
 * measured of the client's link (pure: the caller gives the clock). */
#ifndef FLOE_SERVER_STREAM_RATE_H
#define FLOE_SERVER_STREAM_RATE_H

#include <stddef.h>
#include <stdint.h>

#define FSRV_RATE_LEVELS 7
/* the qualities a stream's JPEGs use, worst first; the best is the one a
 * link with room gets */
extern const int fsrv_rate_quality[FSRV_RATE_LEVELS];

struct fsrv_stream_rate {
    uint64_t byte_rate;        /* bytes per second the frames may take */
    uint64_t ceiling;          /* at most this (from the link's measure) */
    int level;                 /* the quality used now */
    double size[FSRV_RATE_LEVELS];   /* a frame's bytes at each level, as coded; 0: none yet */
    double pixels;             /* of a frame: the guess before one is coded */
    double interval_ms;        /* between frames offered: the source's pace */
    uint64_t last_offer_ms;
    double tokens;             /* bytes the frames may still take now */
    uint64_t last_fill_ms;
    uint64_t decreased_ms, increased_ms;
    unsigned decreases, increases, skips;
    unsigned skips_seen;       /* skips at the last calm look */
    int fixed;                 /* a quality set for tests (1..100): every frame at it; 0: none */
    uint64_t want;             /* bytes per second past which the frames gain nothing (a
                                * codec that takes a bitrate); 0: the JPEG levels say */
};

/* A stream of frames of `pixels` pixels starts for a client whose link
 * measured link_bps bits per second (0: not measured). */
void fsrv_stream_rate_init(struct fsrv_stream_rate *r, uint64_t link_bps, double pixels,
                           uint64_t now_ms);
/* Another stream (frames of `pixels` pixels) starts for the same client:
 * the budget stays what the link showed, the frame sizes are learned anew. */
void fsrv_stream_rate_restart(struct fsrv_stream_rate *r, double pixels, uint64_t now_ms);
/* A frame is offered: 1 when it goes (its quality is fsrv_stream_rate_quality),
 * 0 when the bytes allowed are spent and it is skipped. */
int fsrv_stream_rate_offer(struct fsrv_stream_rate *r, uint64_t now_ms);
int fsrv_stream_rate_quality(const struct fsrv_stream_rate *r);
/* Tests and benches: every frame goes, at `quality` (1..100, whatever the
 * link shows); 0 gives the stream back to the rate. Kept by _restart. */
void fsrv_stream_rate_fix(struct fsrv_stream_rate *r, int quality);
/* A codec coded at a bitrate (VP8) gains nothing past `bytes` per second:
 * the budget is what holds the stream back while it is below that. */
void fsrv_stream_rate_want(struct fsrv_stream_rate *r, uint64_t bytes);
/* A frame went at `quality` (0: a codec without levels), coded in `bytes`. */
void fsrv_stream_rate_coded(struct fsrv_stream_rate *r, int quality, size_t bytes);
/* The link shows it takes less than the stream sends (frames waited until
 * a newer one replaced them, the round trip grew, the client reported late
 * or dropped frames): the rate goes down, to below delivered_bps (bits per
 * second measured delivered, 0: unknown) when that is lower. At most once
 * in a while: what was sent before the last decrease is still on its way. */
void fsrv_stream_rate_congested(struct fsrv_stream_rate *r, uint64_t now_ms,
                                uint64_t delivered_bps);
/* The link shows no queue (a quick round trip, a report of frames in
 * time): after a calm spell the rate grows again, while it is what holds
 * the stream back (a quality under the best, frames skipped). */
void fsrv_stream_rate_calm(struct fsrv_stream_rate *r, uint64_t now_ms);

#endif
