/*
 * Rate control across the chunks of a rung.
 *
 * Every chunk is a fresh encoder that knows nothing of its neighbours, so a
 * rung with a bitrate target cannot simply hand each chunk that bitrate:
 * x264's one-pass ABR spends the first dozen frames of every encoder
 * finding its quantiser (a 360p chunk asked for 800k starts at QP 32-37,
 * then settles near 20), and the IDR every later frame leans on is coded at
 * the worst of them. Measured on 2 s chunks of a 10 s 360p source at
 * 800k: chunked ABR 47.9 dB PSNR, one continuous ABR encode 48.5 dB, chunks
 * at a constant rate factor of the same size 48.7 dB.
 *
 * So the rung runs the loop a continuous encoder runs inside itself:
 *  - The first chunk (and any that start before it is measured) is one-pass
 *    ABR at the rung's bitrate, with a tight rate tolerance so it lands
 *    near its share of bits.
 *  - Its size and its settled quantiser (the median frame QP of its second
 *    half) calibrate a model of the content: bits/s = C * exp(-K * crf).
 *  - Every later chunk is CRF: the rate factor the model says yields the
 *    bitrate the rung still needs (nominal, corrected by how far the chunks
 *    so far landed from their share, as before). Each measured CRF chunk
 *    refines C. VBV (maxrate/bufsize) still caps every chunk.
 * Neither mode changes the parameter sets (x264: stitchable=1 fixes the
 * PPS's initial QP; x265: measured, see below), so the codec invariant
 * holds across the switch.
 *
 * The model's two constants are per codec (rate_models below). For x265
 * they were measured with the ffmpeg CLI on 2 s testsrc2 chunks (60 frames,
 * veryfast, the settings of encoder_backend.c's configure_x265, VBV as a rung
 * has it), one chunk per encode:
 *  - slope of ln(bits) against crf, crf 20..32: 0.121 at 640x360
 *    (1095 -> 255 kb/s), 0.110 at 320x180 (339 -> 90 kb/s); locally
 *    0.08 (low crf) to 0.17 (high crf). 0.12 is used.
 *  - offset between the median frame QP of an ABR chunk's second half
 *    (libx265 reports each frame's QP in AV_PKT_DATA_QUALITY_STATS, as
 *    libx264 does) and the crf that spends the same bits: 5.9..6.7 at 360p
 *    (300k..1200k), 6.0..6.9 at 180p (150k..500k). 6.5 is used.
 *  - the hvcC of an ABR chunk, a CRF chunk and a CRF chunk without VBV
 *    were byte-identical (repeat-headers=0, info=0), so x265 rungs keep the
 *    same ABR-then-CRF loop as x264 rather than a mode of their own.
 *  - x265's one-pass ABR has no ratetol; a fresh 2 s encoder lands 3-6 %
 *    under its target at 360p, 10-20 % under at 180p where the VBV and the
 *    search cap it. The first CRF chunks make that up (the correction
 *    factor below), which is why the rung, not the chunk, meets the rate.
 *
 * For SVT-AV1 (1.4.1 through FFmpeg 5.1's libsvtav1 wrapper, preset 12,
 * encoder_backend.c's configure_svtav1 settings, GOP 241), measured with the
 * ffmpeg CLI on 2 s chunks, one chunk per encode:
 *  - the wrapper does report each frame's QP (0..63 scale) in
 *    AV_PKT_DATA_QUALITY_STATS; a CRF chunk's median is crf - 0.5.
 *  - the sequence header OBU of VBR chunks (150k..600k) and CRF chunks
 *    (crf 20..55) was byte-identical (0a 0b 00 00 00 04 3c fe cc fb f9 00
 *    40 at 320x180), so either mode keeps the codec invariant (which
 *    encode_worker.c checks on every chunk's in-band header anyway).
 *  - SVT's one-pass VBR overshoots a fresh 2 s encoder: asked for
 *    150k/300k/600k on testsrc2 320x180 it made 228/432/777 kb/s
 *    (+52/+44/+30 %); gop-constraint-rc and overshoot-pct=0 do not cure it
 *    (401, 413 kb/s at 300k). Asked for 0.7 of the target it made
 *    157/312/571 kb/s (150k/300k/600k wanted: +5/+4/-5 %) and at 360p
 *    535/860/1571 kb/s (500k/800k/1600k wanted: +7/+7.5/-2 %):
 *    abr_scale 0.7.
 *  - The CRF model does not carry over between chunks of changing content
 *    as well as x264's: slope 0.064 (crf 30..38) and QP offset 1.0 on the
 *    first 2 s of the e2e suite's 6 s 320x180 clip, but 2.5-3 on its later
 *    2 s, which are 25 % busier at the same crf. The ABR-then-CRF loop
 *    made chunks of 303/387/358 kb/s for 300k (+16 % overall), while VBR
 *    at 0.7 x 300k made 303/281/310 kb/s (-0.6 %). So AV1 rungs are ABR
 *    in every chunk (abr_only), still with the loop's correction factor
 *    for what earlier chunks over- or undershot. The CRF constants
 *    (slope 0.065 over crf 20..55: 655 -> 72 kb/s; offset 1.0) stay in
 *    the table for a later CRF mode but are not used.
 */
#include "rate_control.h"

#include <math.h>
#include <stdlib.h>

#include <libavutil/avutil.h>
#include <libavutil/intreadwrite.h>

/* The content model of one codec: bits/s = C * exp(-slope * crf). */
typedef struct rate_model {
    ladder_codec codec;
    /* d ln(bits) / d crf. The loop corrects what the slope gets wrong. */
    double slope;
    /* An ABR chunk whose frames settled at median QP q spent about what
     * crf q - offset would have. */
    double crf_qp_offset;
    /* An ABR chunk asks the encoder for wanted * abr_scale: a fresh
     * encoder that reliably overshoots is asked for less. */
    double abr_scale;
    /* The encoder's rate factor range; integer_crf: it takes whole
     * numbers only (the plan rounds, so that what is recorded is what
     * was used). */
    double crf_min, crf_max;
    bool integer_crf;
    /* Every chunk one-pass ABR (at the corrected rate, times abr_scale):
     * for an encoder whose ABR lands a fresh chunk closer than the CRF
     * model can predict the next chunk. */
    bool abr_only;
} rate_model;

static const rate_model rate_models[] = {
    /* x264: bits halve every ~5 rate-factor steps (measured 0.136 on 360p,
     * 0.13 on 1080p testsrc2 at veryfast). x264 reports a CRF frame's
     * quantiser as the rate factor plus about 6 (the QP of a P-frame at
     * that factor). */
    /* Not below 1: at crf 0 x264 encodes losslessly, which only the High
     * 4:4:4 Predictive profile carries, so the encoder refuses to open for
     * a High rung (seen on very simple content at a generous bitrate). */
    { LADDER_CODEC_H264, 0.13, 6.0, 1.0, 1, 51, false, false },
    /* x265: measured as the header comment says. */
    { LADDER_CODEC_HEVC, 0.12, 6.5, 1.0, 1, 51, false, false },
    /* SVT-AV1: measured as the header comment says. crf 0 means "unset"
     * to FFmpeg 5.1's wrapper (it would fall back to its default mode),
     * and its crf option is an integer. */
    { LADDER_CODEC_AV1, 0.065, 1.0, 0.7, 1, 63, true, true },
};

static const rate_model *model_of(const rate_target *t)
{
    for (size_t i = 0; i < sizeof(rate_models) / sizeof(rate_models[0]); i++)
        if (rate_models[i].codec == t->codec)
            return &rate_models[i];
    return &rate_models[0];
}
/* How far one chunk's rate factor may move from the previous one: content
 * changes between chunks should change bits, not swing the quality. */
#define RATE_MAX_CRF_STEP 3.0

rate_target rate_target_of(const ladder_rung *cfg, double segment_seconds, bool deterministic)
{
    bool target = cfg->rate_mode != LADDER_RATE_CRF && cfg->bitrate_kbps > 0;
    return (rate_target){
        .codec = cfg->codec,
        .bitrate_kbps = target ? cfg->bitrate_kbps : 0,
        .maxrate_kbps = cfg->maxrate_kbps,
        .chunk_seconds = segment_seconds,
        .deterministic = deterministic,
    };
}

bool rate_has_target(const rate_target *t)
{
    return t->bitrate_kbps > 0;
}

/* Below maxrate, where x264's ABR would turn into CBR. */
static double below_maxrate(const rate_target *t, double bps)
{
    if (t->maxrate_kbps > 0 && bps > (double)t->maxrate_kbps * 1000 * 0.99)
        bps = (double)t->maxrate_kbps * 1000 * 0.99;
    return bps;
}

/*
 * The bitrate the rung needs from its next chunk. Chunks another worker
 * is still encoding count as landing where they were planned: otherwise a
 * helper planning the next chunk meanwhile would make the same correction
 * again (measured: an HEVC 320x180 rung whose first chunk came in 12 %
 * short got +23 % twice and ended 4 % over).
 */
static double wanted_bps(const rung_rate *rr, const rate_target *t)
{
    double nominal = (double)t->bitrate_kbps * 1000;
    double target = rr->target_bits + rr->pending_target_bits;
    double actual = rr->actual_bits + rr->pending_planned_bits;
    double factor = rr->actual_bits > 0 && actual > 0 ? target / actual : 1.0;
    /* Bounded so that one odd chunk cannot swing the rest. */
    if (factor < 0.8)
        factor = 0.8;
    if (factor > 1.25)
        factor = 1.25;
    return below_maxrate(t, nominal * factor);
}

/* The rate factor the device's model gives for bps. */
static double model_crf(const rate_device_model *dm, const rate_model *model, double bps)
{
    double crf = (dm->log_complexity - log(bps)) / model->slope;
    /* The step limit keeps quality steady between chunks of changing
     * content, so it only applies once the model rests on a measured CRF
     * chunk. The first CRF chunk was planned from the ABR chunk's
     * settled quantiser, whose distance to the rate factor depends on
     * the preset (measured on 2 s 360p testsrc2 at 800k: about 4 below
     * it at veryfast, 5 above at ultrafast, which has no mbtree): its
     * size corrects that guess at once. */
    if (dm->crf_chunks > 1) {
        if (crf > dm->last_crf + RATE_MAX_CRF_STEP)
            crf = dm->last_crf + RATE_MAX_CRF_STEP;
        if (crf < dm->last_crf - RATE_MAX_CRF_STEP)
            crf = dm->last_crf - RATE_MAX_CRF_STEP;
    }
    if (model->integer_crf)
        crf = round(crf);
    return crf < model->crf_min ? model->crf_min : crf > model->crf_max ? model->crf_max : crf;
}

chunk_rate rate_control_plan(rung_rate *rr, const rate_target *t, int device, bool encoder_abr_only)
{
    chunk_rate plan = { .device = device };
    if (!rate_has_target(t))
        return plan;
    const rate_model *model = model_of(t);
    if (t->deterministic) {
        /* Nothing that depends on which chunks happen to be done: the
         * rung's rate (below maxrate, as wanted_bps() keeps it), every chunk. */
        plan.bitrate_bps = (int64_t)(below_maxrate(t, (double)t->bitrate_kbps * 1000) * model->abr_scale);
        return plan;
    }
    double bps = wanted_bps(rr, t);
    /* The content model is the device's own: another encoder (or preset)
     * spends other bits at the same rate factor. */
    const rate_device_model *dm = &rr->device[device];
    if (dm->calibrated && !model->abr_only && !encoder_abr_only) {
        plan.use_crf = true;
        plan.crf = model_crf(dm, model, bps);
    } else {
        plan.bitrate_bps = (int64_t)(bps * model->abr_scale);
    }
    /* A chunk is about one segment long; the estimate only has to hold
     * until rate_control_unplan() replaces it with what was spent. */
    plan.pending_target_bits = (double)t->bitrate_kbps * 1000 * t->chunk_seconds;
    plan.pending_planned_bits = bps * t->chunk_seconds;
    rr->pending_target_bits += plan.pending_target_bits;
    rr->pending_planned_bits += plan.pending_planned_bits;
    return plan;
}

void rate_control_unplan(rung_rate *rr, const rate_target *t, const chunk_rate *plan)
{
    if (!rate_has_target(t))
        return;
    rr->pending_target_bits -= plan->pending_target_bits;
    rr->pending_planned_bits -= plan->pending_planned_bits;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The second half of an ABR chunk: the first half is its encoder's search. */
double rate_control_settled_qp(AVPacket *const *packets, int nb_packets)
{
    int from = nb_packets / 2, n = 0;
    double *qp = calloc((size_t)(nb_packets - from) + 1, sizeof(*qp));
    if (!qp)
        return NAN;
    for (int i = from; i < nb_packets; i++) {
        size_t size = 0;
        const uint8_t *stats = av_packet_get_side_data(packets[i], AV_PKT_DATA_QUALITY_STATS, &size);
        if (stats && size >= 4)
            qp[n++] = (double)AV_RL32(stats) / FF_QP2LAMBDA;
    }
    double median = NAN;
    if (n > 0) {
        qsort(qp, (size_t)n, sizeof(*qp), compare_doubles);
        median = n % 2 ? qp[n / 2] : (qp[n / 2 - 1] + qp[n / 2]) / 2;
    }
    free(qp);
    return median;
}

void rate_control_record(rung_rate *rr, const rate_target *t, const chunk_rate *plan, double seconds,
                         double bits, double settled_qp)
{
    if (!rate_has_target(t))
        return;
    const rate_model *model = model_of(t);
    /* The rate factor this chunk was, or behaved like. */
    double crf = plan->use_crf ? plan->crf : settled_qp - model->crf_qp_offset;
    rate_device_model *dm = &rr->device[plan->device];
    rr->abr_chunks += !plan->use_crf;
    rr->target_bits += (double)t->bitrate_kbps * 1000 * seconds;
    rr->actual_bits += bits;
    if (plan->use_crf) {
        rr->crf_chunks++;
        rr->crf_sum += plan->crf;
    }
    if (seconds > 0 && bits > 0 && isfinite(crf)) {
        double observed = log(bits / seconds) + model->slope * crf;
        if (plan->use_crf) {
            /* Content drifts: recent chunks count as much as the history. */
            dm->log_complexity = dm->crf_chunks > 0 ? 0.5 * dm->log_complexity + 0.5 * observed : observed;
            dm->last_crf = plan->crf;
            dm->crf_chunks++;
        } else if (dm->crf_chunks == 0) {
            dm->log_complexity = observed;
        }
        dm->calibrated = true;
    }
}

void rate_control_record_kept(rung_rate *rr, const rate_target *t, double seconds, int64_t bytes)
{
    if (!rate_has_target(t))
        return;
    rr->target_bits += (double)t->bitrate_kbps * 1000 * seconds;
    rr->actual_bits += (double)bytes * 8;
}
