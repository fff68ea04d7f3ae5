/*
 * Rate control across chunks (engine/rate_control.c), as a pure model: the
 * first chunk ABR, calibration from an ABR chunk's settled quantiser, CRF
 * chunks from the model with the step limit, the correction factor and
 * its bounds, pending chunks, deterministic mode, AV1's ABR-only loop and
 * the maxrate cap. The numbers are the engine's (e2e.rate checks what
 * they make on real encodes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/intreadwrite.h>

#include "rate_control.h"

/* x264's model: bits/s = C * exp(-0.13 * crf); an ABR chunk settled at QP
 * q behaves like crf q - 6. */
#define H264_SLOPE 0.13
#define H264_QP_OFFSET 6.0
#define EPS 1e-9

static rate_target h264_target(int kbps, int maxrate_kbps)
{
    ladder_rung cfg = { .rate_mode = LADDER_RATE_CAPPED_VBR, .bitrate_kbps = kbps, .maxrate_kbps = maxrate_kbps,
                        .codec = LADDER_CODEC_H264 };
    return rate_target_of(&cfg, 2.0, false);
}

/* A packet whose encoder reported quantiser qp (qp < 0: no report). */
static AVPacket *packet_with_qp(double qp)
{
    AVPacket *pkt = av_packet_alloc();
    assert_non_null(pkt);
    if (qp >= 0) {
        uint8_t *stats = av_packet_new_side_data(pkt, AV_PKT_DATA_QUALITY_STATS, 8);
        assert_non_null(stats);
        memset(stats, 0, 8);
        AV_WL32(stats, (uint32_t)lround(qp * FF_QP2LAMBDA));
    }
    return pkt;
}

static double settled_qp_of(const double *qps, int n)
{
    AVPacket *pkts[16];
    assert_true(n <= 16);
    for (int i = 0; i < n; i++)
        pkts[i] = packet_with_qp(qps[i]);
    double qp = rate_control_settled_qp(pkts, n);
    for (int i = 0; i < n; i++)
        av_packet_free(&pkts[i]);
    return qp;
}

/* Plan a chunk on device d, and record it as lasting 2 s and taking bits. */
static chunk_rate encode(rung_rate *rr, const rate_target *t, int d, double bits, double settled_qp)
{
    chunk_rate plan = rate_control_plan(rr, t, d, false);
    rate_control_unplan(rr, t, &plan);
    rate_control_record(rr, t, &plan, 2.0, bits, settled_qp);
    return plan;
}

static void test_first_chunk_is_abr_at_the_rung_rate(void **state)
{
    (void)state;
    rung_rate rr = { 0 };
    rate_target t = h264_target(800, 0);
    chunk_rate plan = rate_control_plan(&rr, &t, 3, false);
    assert_int_equal(plan.device, 3);
    assert_false(plan.use_crf);
    assert_int_equal(plan.bitrate_bps, 800000);
    /* Pending until recorded: the rung's share of 2 s and what it was planned for. */
    assert_float_equal(plan.pending_target_bits, 1.6e6, EPS);
    assert_float_equal(plan.pending_planned_bits, 1.6e6, EPS);
    assert_float_equal(rr.pending_target_bits, 1.6e6, EPS);
    assert_float_equal(rr.pending_planned_bits, 1.6e6, EPS);
    rate_control_unplan(&rr, &t, &plan);
    assert_float_equal(rr.pending_target_bits, 0, EPS);
    assert_float_equal(rr.pending_planned_bits, 0, EPS);
    /* Given back unused: nothing counted, nothing learnt. */
    assert_int_equal(rr.abr_chunks, 0);
    assert_false(rr.device[3].calibrated);
}

static void test_settled_qp_is_the_median_of_the_second_half(void **state)
{
    (void)state;
    /* The first half is the encoder's search; no report is skipped. */
    const double even[] = { 45, 44, 43, 42, 30, 26, 28, 27 };
    assert_float_equal(settled_qp_of(even, 8), 27.5, EPS);
    const double odd[] = { 50, 50, 22, 24, 23 };
    assert_float_equal(settled_qp_of(odd, 5), 23, EPS);
    const double gaps[] = { 40, 40, 40, -1, 31, -1 };
    assert_float_equal(settled_qp_of(gaps, 6), 31, EPS);
    const double none[] = { 40, 40, -1, -1 };
    assert_true(isnan(settled_qp_of(none, 4)));
    assert_true(isnan(rate_control_settled_qp(NULL, 0)));
}

static void test_abr_chunk_calibrates_the_model(void **state)
{
    (void)state;
    rung_rate rr = { 0 };
    rate_target t = h264_target(800, 0);
    /* 2 s at 800 kb/s, settled at QP 27.5: it behaved like crf 21.5. */
    chunk_rate first = encode(&rr, &t, 0, 1.6e6, 27.5);
    assert_false(first.use_crf);
    assert_int_equal(rr.abr_chunks, 1);
    assert_int_equal(rr.crf_chunks, 0);
    assert_float_equal(rr.target_bits, 1.6e6, EPS);
    assert_float_equal(rr.actual_bits, 1.6e6, EPS);
    assert_true(rr.device[0].calibrated);
    assert_float_equal(rr.device[0].log_complexity, log(800000.0) + H264_SLOPE * (27.5 - H264_QP_OFFSET), EPS);
    assert_int_equal(rr.device[0].crf_chunks, 0);

    /* The next chunk is CRF at the factor the model gives for 800 kb/s. */
    chunk_rate next = rate_control_plan(&rr, &t, 0, false);
    assert_true(next.use_crf);
    assert_int_equal(next.bitrate_bps, 0);
    assert_float_equal(next.crf, 21.5, EPS);
    rate_control_unplan(&rr, &t, &next);
    /* The model is the device's: another device starts with ABR. */
    chunk_rate other = rate_control_plan(&rr, &t, 1, false);
    assert_false(other.use_crf);
    assert_int_equal(other.bitrate_bps, 800000);
    rate_control_unplan(&rr, &t, &other);
    /* An encoder without a rate factor model (NVENC) stays ABR. */
    chunk_rate nvenc = rate_control_plan(&rr, &t, 0, true);
    assert_false(nvenc.use_crf);
    assert_int_equal(nvenc.bitrate_bps, 800000);
}

static void test_abr_chunk_without_qp_calibrates_nothing(void **state)
{
    (void)state;
    rung_rate rr = { 0 };
    rate_target t = h264_target(800, 0);
    encode(&rr, &t, 0, 1.6e6, NAN);
    assert_false(rr.device[0].calibrated);
    /* Its bits still count toward the rung's spending. */
    assert_int_equal(rr.abr_chunks, 1);
    assert_float_equal(rr.actual_bits, 1.6e6, EPS);
    assert_false(rate_control_plan(&rr, &t, 0, false).use_crf);
}

static void test_crf_chunks_refine_the_model_within_the_step_limit(void **state)
{
    (void)state;
    rung_rate rr = { 0 };
    rate_target t = h264_target(800, 0);
    encode(&rr, &t, 0, 1.6e6, 27.5);                       /* ABR: crf 21.5 */
    /* The first CRF chunk spends four times its share: it replaces the
     * quantiser-based guess at once, with no step limit. */
    chunk_rate c1 = encode(&rr, &t, 0, 6.4e6, NAN);
    assert_true(c1.use_crf);
    assert_float_equal(c1.crf, 21.5, EPS);
    assert_int_equal(rr.crf_chunks, 1);
    assert_float_equal(rr.crf_sum, 21.5, EPS);
    assert_int_equal(rr.device[0].crf_chunks, 1);
    assert_float_equal(rr.device[0].last_crf, 21.5, EPS);
    assert_float_equal(rr.device[0].log_complexity, log(3.2e6) + H264_SLOPE * 21.5, EPS);
    /* target 3.2 Mbit, spent 8 Mbit: factor 0.4, bounded to 0.8 (640 kb/s);
     * the model's factor for it is ln(5)/0.13 higher, all of it taken. */
    chunk_rate c2 = rate_control_plan(&rr, &t, 0, false);
    assert_true(c2.use_crf);
    double crf2 = 21.5 + log(5.0) / H264_SLOPE;
    assert_float_equal(c2.crf, crf2, 1e-6);
    assert_float_equal(c2.pending_planned_bits, 640000.0 * 2, 1e-6);
    rate_control_unplan(&rr, &t, &c2);
    rate_control_record(&rr, &t, &c2, 2.0, 1.6e5, NAN);     /* an eighth of its 640 kb/s */
    assert_int_equal(rr.device[0].crf_chunks, 2);
    /* Half weight to history: the raw factor is 8 lower (0.5 ln 8 / 0.13),
     * the step limit moves it 3. */
    double lc = 0.5 * (log(3.2e6) + H264_SLOPE * 21.5) + 0.5 * (log(8e4) + H264_SLOPE * c2.crf);
    assert_float_equal(rr.device[0].log_complexity, lc, 1e-9);
    chunk_rate c3 = rate_control_plan(&rr, &t, 0, false);
    assert_true(c3.use_crf);
    assert_float_equal(c3.crf, c2.crf - 3.0, 1e-9);
    rate_control_unplan(&rr, &t, &c3);
    /* And up: a chunk far over its share raises the factor 3 at most. */
    rate_control_record(&rr, &t, &c3, 2.0, 1.6e8, NAN);
    chunk_rate c4 = rate_control_plan(&rr, &t, 0, false);
    assert_true(c4.use_crf);
    assert_float_equal(c4.crf, c3.crf + 3.0, 1e-9);
    assert_int_equal(rr.crf_chunks, 3);
    assert_float_equal(rr.crf_sum, 21.5 + c2.crf + c3.crf, 1e-9);
}

static void test_crf_stays_in_the_encoders_range(void **state)
{
    (void)state;
    rate_target t = h264_target(800, 0);
    /* Content so simple that 800 kb/s is below crf 1: x264's crf 0 is
     * lossless, which a High rung cannot carry. */
    rung_rate rr = { .target_bits = 1, .actual_bits = 1 };
    rr.device[0] = (rate_device_model){ .calibrated = true, .log_complexity = log(800000.0) - 10 };
    chunk_rate low = rate_control_plan(&rr, &t, 0, false);
    assert_true(low.use_crf);
    assert_float_equal(low.crf, 1, EPS);
    rr.device[0].log_complexity = log(800000.0) + H264_SLOPE * 80;
    chunk_rate high = rate_control_plan(&rr, &t, 0, false);
    assert_float_equal(high.crf, 51, EPS);
}

static void test_correction_factor_is_bounded(void **state)
{
    (void)state;
    rate_target t = h264_target(800, 0);
    /* Spent half the share so far: +25 % at most. */
    rung_rate under = { .target_bits = 2e6, .actual_bits = 1e6 };
    assert_int_equal(rate_control_plan(&under, &t, 0, false).bitrate_bps, 1000000);
    /* Twice the share: -20 % at most. */
    rung_rate over = { .target_bits = 1e6, .actual_bits = 2e6 };
    assert_int_equal(rate_control_plan(&over, &t, 0, false).bitrate_bps, 640000);
    /* Within the bounds: the ratio itself. */
    rung_rate near = { .target_bits = 1.1e6, .actual_bits = 1e6 };
    assert_int_equal(rate_control_plan(&near, &t, 0, false).bitrate_bps, (int64_t)(800000 * (1.1e6 / 1e6)));
    /* Nothing spent yet: no correction, whatever is pending. */
    rung_rate fresh = { .pending_target_bits = 5e6, .pending_planned_bits = 1e6 };
    assert_int_equal(rate_control_plan(&fresh, &t, 0, false).bitrate_bps, 800000);
}

static void test_pending_chunks_count_as_planned(void **state)
{
    (void)state;
    rate_target t = h264_target(800, 0);
    /* The first chunk came in 20 % short. */
    rung_rate rr = { .target_bits = 1.6e6, .actual_bits = 1.28e6 };
    chunk_rate a = rate_control_plan(&rr, &t, 0, false);
    assert_int_equal(a.bitrate_bps, 1000000);               /* 1.25: the correction */
    assert_float_equal(a.pending_planned_bits, 2e6, EPS);
    /* A helper plans the next chunk while a is encoded: a counts as
     * landing where it was planned, so the correction is not made twice. */
    chunk_rate b = rate_control_plan(&rr, &t, 0, false);
    assert_int_equal(b.bitrate_bps, (int64_t)(800000 * (3.2e6 / 3.28e6)));
    assert_float_equal(rr.pending_target_bits, 3.2e6, EPS);
    assert_float_equal(rr.pending_planned_bits, 2e6 + b.pending_planned_bits, EPS);
    rate_control_unplan(&rr, &t, &a);
    rate_control_unplan(&rr, &t, &b);
    assert_float_equal(rr.pending_target_bits, 0, 1e-6);
    assert_float_equal(rr.pending_planned_bits, 0, 1e-6);
}

static void test_deterministic_mode_reads_no_other_chunk(void **state)
{
    (void)state;
    ladder_rung cfg = { .rate_mode = LADDER_RATE_CAPPED_VBR, .bitrate_kbps = 800, .codec = LADDER_CODEC_H264 };
    rate_target t = rate_target_of(&cfg, 2.0, true);
    assert_true(t.deterministic);
    /* However the rung went so far, and however calibrated. */
    rung_rate rr = { .target_bits = 2e6, .actual_bits = 1e6, .pending_target_bits = 7, .pending_planned_bits = 9 };
    rr.device[0] = (rate_device_model){ .calibrated = true, .log_complexity = log(800000.0) + 3, .crf_chunks = 4 };
    for (int i = 0; i < 3; i++) {
        chunk_rate plan = rate_control_plan(&rr, &t, 0, false);
        assert_false(plan.use_crf);
        assert_int_equal(plan.bitrate_bps, 800000);
        assert_float_equal(plan.pending_target_bits, 0, EPS);
        assert_float_equal(plan.pending_planned_bits, 0, EPS);
    }
    /* Nothing pending was added. */
    assert_float_equal(rr.pending_target_bits, 7, EPS);
    assert_float_equal(rr.pending_planned_bits, 9, EPS);
    /* Below maxrate, and AV1 asked for 0.7 of it, as the adaptive loop does. */
    cfg.maxrate_kbps = 700;
    t = rate_target_of(&cfg, 2.0, true);
    assert_int_equal(rate_control_plan(&rr, &t, 0, false).bitrate_bps, 693000);
    cfg.codec = LADDER_CODEC_AV1;
    cfg.maxrate_kbps = 0;
    t = rate_target_of(&cfg, 2.0, true);
    assert_int_equal(rate_control_plan(&rr, &t, 0, false).bitrate_bps, (int64_t)(800000 * 0.7));
}

static void test_av1_is_abr_only_at_0_7(void **state)
{
    (void)state;
    ladder_rung cfg = { .rate_mode = LADDER_RATE_CAPPED_VBR, .bitrate_kbps = 300, .codec = LADDER_CODEC_AV1 };
    rate_target t = rate_target_of(&cfg, 2.0, false);
    rung_rate rr = { 0 };
    /* SVT's fresh encoder overshoots: asked for 0.7 of the rate wanted. */
    chunk_rate first = encode(&rr, &t, 0, 6e5, 30);
    assert_false(first.use_crf);
    assert_int_equal(first.bitrate_bps, (int64_t)(300000 * 0.7));
    assert_true(rr.device[0].calibrated);
    /* Calibrated, and still ABR, with the loop's correction: it spent
     * exactly its share (6e5 bits in 2 s), so 300 kb/s again... */
    chunk_rate second = rate_control_plan(&rr, &t, 0, false);
    assert_false(second.use_crf);
    assert_int_equal(second.bitrate_bps, (int64_t)(300000 * 0.7));
    /* ... the planned (not the scaled) rate is what counts as pending. */
    assert_float_equal(second.pending_planned_bits, 6e5, EPS);
    rate_control_unplan(&rr, &t, &second);
    /* A chunk that came in short raises the next one's rate, bounded. */
    rate_control_record(&rr, &t, &second, 2.0, 3e5, 30);
    chunk_rate third = rate_control_plan(&rr, &t, 0, false);
    assert_int_equal(third.bitrate_bps, (int64_t)(300000 * 1.25 * 0.7));
    assert_int_equal(rr.abr_chunks, 2);
    assert_int_equal(rr.crf_chunks, 0);
}

static void test_maxrate_caps_the_rate(void **state)
{
    (void)state;
    rate_target t = h264_target(3000, 2000);
    rung_rate rr = { 0 };
    chunk_rate first = rate_control_plan(&rr, &t, 0, false);
    assert_int_equal(first.bitrate_bps, 1980000);
    assert_float_equal(first.pending_planned_bits, 1.98e6 * 2, 1e-6);
    /* A correction upward stays below maxrate too. */
    rung_rate under = { .target_bits = 2e6, .actual_bits = 1e6 };
    rate_target loose = h264_target(1800, 2000);
    assert_int_equal(rate_control_plan(&under, &loose, 0, false).bitrate_bps, 1980000);
    /* And the CRF model is asked for the capped rate. */
    rung_rate cal = { .target_bits = 1, .actual_bits = 1 };
    cal.device[0] = (rate_device_model){ .calibrated = true, .log_complexity = log(1.98e6) + H264_SLOPE * 20 };
    chunk_rate crf = rate_control_plan(&cal, &t, 0, false);
    assert_true(crf.use_crf);
    assert_float_equal(crf.crf, 20, 1e-9);
}

static void test_crf_rung_has_no_rate_control(void **state)
{
    (void)state;
    ladder_rung cfg = { .rate_mode = LADDER_RATE_CRF, .crf = 23, .bitrate_kbps = 800, .codec = LADDER_CODEC_H264 };
    rate_target t = rate_target_of(&cfg, 2.0, false);
    assert_false(rate_has_target(&t));
    rung_rate rr = { 0 };
    chunk_rate plan = rate_control_plan(&rr, &t, 2, false);
    assert_int_equal(plan.device, 2);
    assert_false(plan.use_crf);
    assert_int_equal(plan.bitrate_bps, 0);
    rate_control_record(&rr, &t, &plan, 2.0, 1e6, 20);
    rate_control_record_kept(&rr, &t, 2.0, 100000);
    rung_rate zero = { 0 };
    assert_memory_equal(&rr, &zero, sizeof(rr));
}

static void test_kept_segments_count_toward_the_target(void **state)
{
    (void)state;
    rate_target t = h264_target(800, 0);
    rung_rate rr = { 0 };
    rate_control_record_kept(&rr, &t, 2.0, 150000);         /* 1.2 Mbit of 1.6 */
    assert_float_equal(rr.target_bits, 1.6e6, EPS);
    assert_float_equal(rr.actual_bits, 1.2e6, EPS);
    assert_int_equal(rr.abr_chunks, 0);
    assert_false(rr.device[0].calibrated);
    /* The loop makes up for them: 1.6 / 1.2, bounded to 1.25. */
    assert_int_equal(rate_control_plan(&rr, &t, 0, false).bitrate_bps, 1000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_chunk_is_abr_at_the_rung_rate),
        cmocka_unit_test(test_settled_qp_is_the_median_of_the_second_half),
        cmocka_unit_test(test_abr_chunk_calibrates_the_model),
        cmocka_unit_test(test_abr_chunk_without_qp_calibrates_nothing),
        cmocka_unit_test(test_crf_chunks_refine_the_model_within_the_step_limit),
        cmocka_unit_test(test_crf_stays_in_the_encoders_range),
        cmocka_unit_test(test_correction_factor_is_bounded),
        cmocka_unit_test(test_pending_chunks_count_as_planned),
        cmocka_unit_test(test_deterministic_mode_reads_no_other_chunk),
        cmocka_unit_test(test_av1_is_abr_only_at_0_7),
        cmocka_unit_test(test_maxrate_caps_the_rate),
        cmocka_unit_test(test_crf_rung_has_no_rate_control),
        cmocka_unit_test(test_kept_segments_count_toward_the_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
