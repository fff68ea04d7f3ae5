/*
 * Private to engine/ and its unit test: rate control across the chunks of
 * a rung (rate_control.c says why and what was measured).
 *
 * A pure module: its state is a rung_rate, which the caller keeps (in
 * rung_ctx.rate) and locks (session.progress_lock: workers plan and record
 * concurrently). Nothing here takes a lock, reads a clock or logs.
 */
#ifndef LADDER_ENGINE_RATE_CONTROL_H
#define LADDER_ENGINE_RATE_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include <libavcodec/packet.h>

#include "ladder/ladder.h"

/* One device's model of the content, as that device's encoder codes it:
 * bits/s = C * exp(-K * crf), with ln C in log_complexity. */
typedef struct rate_device_model {
    bool calibrated;              /* log_complexity holds a measurement */
    double log_complexity;
    double last_crf;              /* of the last CRF chunk measured */
    int crf_chunks;               /* CRF chunks measured */
} rate_device_model;

/* A rung's rate control state: what its chunks were meant to spend and
 * spent, and the model per device (the same rate factor spends other bits
 * on another encoder or preset). In the session (rung_ctx.rate) every
 * field is written under progress_lock: by the workers' plans and records
 * (encode_worker.c), and by resume.c for kept segments before the
 * threads start; the report reads it after the join. */
typedef struct rung_rate {
    double target_bits;           /* the rung's share of bits for the chunks done */
    double actual_bits;           /* what they used */
    int abr_chunks, crf_chunks;   /* chunks recorded, by mode (for the report) */
    double crf_sum;               /* their rate factors, summed (the report's mean) */
    /* chunks planned but not yet recorded (another worker may be encoding
     * them): their share of the target and the bits they were planned for */
    double pending_target_bits;
    double pending_planned_bits;
    rate_device_model device[LADDER_MAX_DEVICES]; /* by session device index */
} rung_rate;

/* What a rung asks of rate control. */
typedef struct rate_target {
    ladder_codec codec;           /* which model's constants apply */
    int bitrate_kbps;             /* 0: no bitrate target (a CRF rung): nothing to do */
    int maxrate_kbps;             /* 0: uncapped */
    double chunk_seconds;         /* a chunk's planned length (the segment length) */
    bool deterministic;           /* nothing read from other chunks (job.deterministic) */
} rate_target;

/* How one chunk's encoder spends bits. */
typedef struct chunk_rate {
    int device;                   /* the device whose model planned it */
    bool use_crf;
    double crf;                   /* the encoder's rate factor, when use_crf */
    int64_t bitrate_bps;          /* one-pass ABR otherwise; 0 = the rung's nominal */
    double pending_target_bits;   /* what the plan added to the rung's pending sums */
    double pending_planned_bits;
} chunk_rate;

/* The target of a rung: its bitrate unless it is a CRF rung. */
rate_target rate_target_of(const ladder_rung *cfg, double segment_seconds, bool deterministic);
bool rate_has_target(const rate_target *t);

/*
 * The next chunk's rate, for an encoder on device (encoder_abr_only: the
 * device's encoder has no calibrated rate factor model, e.g. NVENC). All
 * zero without a target. Counts the chunk as pending in rr until it is
 * unplanned (not deterministic: nothing is counted there).
 */
chunk_rate rate_control_plan(rung_rate *rr, const rate_target *t, int device, bool encoder_abr_only);
/* The chunk planned with plan is no longer pending: recorded next, or
 * given back unused (requeued). */
void rate_control_unplan(rung_rate *rr, const rate_target *t, const chunk_rate *plan);
/*
 * A chunk encoded with plan is done: it lasted seconds and took bits.
 * settled_qp: for an ABR chunk, the quantiser it settled on
 * (rate_control_settled_qp(); NAN when unknown: then it calibrates
 * nothing); ignored for a CRF chunk.
 */
void rate_control_record(rung_rate *rr, const rate_target *t, const chunk_rate *plan, double seconds,
                         double bits, double settled_qp);
/* A segment kept from an interrupted run (resume): its seconds and bytes
 * count toward the rung's target and spending; the model learns nothing. */
void rate_control_record_kept(rung_rate *rr, const rate_target *t, double seconds, int64_t bytes);
/* The quantiser an ABR chunk settled on: the median QP its encoder
 * reported (AV_PKT_DATA_QUALITY_STATS) for the packets of its second half.
 * NAN when there is none. */
double rate_control_settled_qp(AVPacket *const *packets, int nb_packets);

#endif /* LADDER_ENGINE_RATE_CONTROL_H */
