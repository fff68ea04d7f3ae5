/*
 * NVDEC's surface arithmetic (engine/nvdec_surfaces.c): how many decoded
 * pictures ladder holds when libavcodec may decode, and the
 * extra_hw_frames that make room for them in FFmpeg 5.1's fixed pool
 * (dpb + 2 + 3 + extra) beside the decoder's own dpb + 2, within NVDEC's
 * 32 surfaces. No GPU here: this is the part a mistake turns into "No
 * decoder surfaces left" and a silent switch to the CPU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libavutil/frame.h>

#include "nvdec_surfaces.h"

/* The session's FIFO depth (FRAME_FIFO_CAPACITY in engine/session.h). */
#define FIFO 4

/* dpb as each codec's frame_params passes it (libavcodec/nvdec_*.c). */
#define DPB_H264_IPPP_1REF 1   /* ref_frame_count 1 + num_reorder_frames 0 */
#define DPB_H264_BFRAMES 5     /* x264 medium: 3 references + 2 reordered (B-pyramid) */
#define DPB_HEVC_X265 6        /* max_dec_pic_buffering 5 + 1 */
#define DPB_HEVC_MAX 17        /* max_dec_pic_buffering 16 + 1 */
#define DPB_AV1 16             /* 8 references, twice for film grain */
#define DPB_VP9 8

static int held_by(int fifo, int rungs, bool hold)
{
    nvdec_holders h = { .fifo_capacity = fifo, .nb_rungs = rungs, .pump_keeps_last = hold };
    return nvdec_surfaces_held(&h);
}

/* Every rung's pictures lie in the window [P - fifo, P]: the number of
 * rungs does not multiply them, the pump's last picture adds none. */
static void test_held_is_the_fifo_window(void **state)
{
    (void)state;
    for (int rungs = 1; rungs <= 16; rungs++) {
        assert_int_equal(held_by(FIFO, rungs, true), FIFO + 1);
        assert_int_equal(held_by(FIFO, rungs, false), FIFO + 1);
    }
    for (int fifo = 1; fifo <= 8; fifo++)
        assert_int_equal(held_by(fifo, 5, true), fifo + 1);
    /* No rung: only the pump's picture. */
    assert_int_equal(held_by(FIFO, 0, true), 1);
    assert_int_equal(held_by(FIFO, 0, false), 0);
}

/* scale_cuda's default passthrough would let a chunk keep a surface for a
 * whole chunk and its encode: no bound at all (why gpu_scale.c turns it off). */
static void test_an_aliasing_output_is_unbounded(void **state)
{
    (void)state;
    nvdec_holders h = { .fifo_capacity = FIFO, .nb_rungs = 3, .pump_keeps_last = true,
                        .output_aliases_input = true };
    assert_int_equal(nvdec_surfaces_held(&h), -1);
    nvdec_surface_plan p;
    nvdec_surfaces_plan(DPB_H264_IPPP_1REF, -1, &p);
    assert_true(p.limited);
    assert_int_equal(p.pool, NVDEC_MAX_SURFACES);
}

/* The issue: IPPP with one reference. FFmpeg's pool without extra frames is
 * 1 + 2 + 3 = 6, the decoder keeps 3 of them, ladder can hold 5. */
static void test_ippp_one_reference(void **state)
{
    (void)state;
    int held = held_by(FIFO, 5, true);
    nvdec_surface_plan none;
    nvdec_surfaces_plan(DPB_H264_IPPP_1REF, 0, &none);
    assert_int_equal(none.pool, 6);
    assert_true(none.allowed < held);   /* what ran out before */

    nvdec_surface_plan p;
    nvdec_surfaces_plan(DPB_H264_IPPP_1REF, held, &p);
    assert_int_equal(p.extra, 2);
    assert_int_equal(p.pool, 8);
    assert_int_equal(p.allowed, held);
    assert_int_equal(p.pool - p.allowed, DPB_H264_IPPP_1REF + 2);
    assert_false(p.limited);
    assert_false(p.over_limit);
}

static void expect_plan(int dpb, int held, int extra, int pool, int allowed, bool limited, bool over)
{
    nvdec_surface_plan p;
    nvdec_surfaces_plan(dpb, held, &p);
    assert_int_equal(p.extra, extra);
    assert_int_equal(p.pool, pool);
    assert_int_equal(p.allowed, allowed);
    assert_int_equal(p.limited, limited);
    assert_int_equal(p.over_limit, over);
}

static void test_codecs(void **state)
{
    (void)state;
    int held = held_by(FIFO, 4, true);
    expect_plan(DPB_H264_BFRAMES, held, 2, 12, 5, false, false);
    expect_plan(DPB_HEVC_X265, held, 2, 13, 5, false, false);
    expect_plan(DPB_HEVC_MAX, held, 2, 24, 5, false, false);
    expect_plan(DPB_AV1, held, 2, 23, 5, false, false);
    expect_plan(DPB_VP9, held, 2, 15, 5, false, false);
    /* A deeper FIFO asks for more: AV1 still fits. */
    expect_plan(DPB_AV1, held_by(8, 4, true), 6, 27, 9, false, false);
}

/* Where 32 surfaces cannot cover the FIFOs: what is left, and ladder holds
 * no more than that (the pump waits). Past 27 the stream alone is over. */
static void test_limit(void **state)
{
    (void)state;
    int held = held_by(FIFO, 4, true);
    expect_plan(25, held, 2, 32, 5, false, false);
    expect_plan(26, held, 1, 32, 4, true, false);
    expect_plan(27, held, 0, 32, 3, true, false);
    expect_plan(28, held, 0, 33, 3, true, true);
    expect_plan(32, held, 0, 37, 3, true, true);
}

/* Whatever the stream and the FIFOs: the pool never passes the limit when
 * it can be met, ladder's share plus the decoder's own is the pool, and
 * ladder gets all it holds unless the plan says it is limited. */
static void test_invariants(void **state)
{
    (void)state;
    for (int dpb = 0; dpb <= 40; dpb++) {
        for (int held = 0; held <= 16; held++) {
            nvdec_surface_plan p;
            nvdec_surfaces_plan(dpb, held, &p);
            assert_true(p.extra >= 0);
            assert_int_equal(p.pool, dpb + 5 + p.extra);
            assert_int_equal(p.allowed, p.pool - (dpb + 2));
            assert_int_equal(p.over_limit, dpb + 5 > NVDEC_MAX_SURFACES);
            if (!p.over_limit)
                assert_true(p.pool <= NVDEC_MAX_SURFACES);
            else
                assert_int_equal(p.extra, 0);
            assert_int_equal(p.limited, p.allowed < held);
            if (!p.limited)
                assert_true(p.allowed >= held);
            /* Nothing asked beyond need. */
            assert_true(p.extra == 0 || p.allowed <= (held > 3 ? held : 3));
        }
    }
}

static int released;

static void count_release(void *opaque, uint8_t *data)
{
    (void)opaque;
    (void)data;
    released++;
}

/* What video_decoder.c's count of held pictures rests on (FFmpeg 5.1,
 * libavutil/frame.c): a frame's opaque_ref goes to every reference made
 * of it (av_frame_clone, av_frame_ref) and to frames made from it
 * (av_frame_copy_props: a scaled output, which gpu_scale.c drops it
 * from), and is released once, with the last of them. */
static void test_counted_reference_follows_the_picture(void **state)
{
    (void)state;
    released = 0;
    AVFrame *picture = av_frame_alloc();
    assert_non_null(picture);
    picture->format = AV_PIX_FMT_YUV420P;   /* a software stand-in for a surface */
    picture->width = 64;
    picture->height = 64;
    assert_int_equal(av_frame_get_buffer(picture, 0), 0);
    picture->opaque_ref = av_buffer_create(NULL, 0, count_release, NULL, 0);
    assert_non_null(picture->opaque_ref);
    AVFrame *fifo_a = av_frame_clone(picture);
    AVFrame *fifo_b = av_frame_clone(picture);
    AVFrame *held = av_frame_alloc();
    assert_non_null(fifo_a);
    assert_non_null(fifo_b);
    assert_non_null(held);
    assert_int_equal(av_frame_ref(held, picture), 0);
    AVFrame *scaled = av_frame_alloc();
    assert_non_null(scaled);
    assert_int_equal(av_frame_copy_props(scaled, picture), 0);
    assert_ptr_equal(scaled->opaque_ref->data, picture->opaque_ref->data);
    av_buffer_unref(&scaled->opaque_ref);
    av_frame_free(&picture);
    av_frame_free(&fifo_a);
    av_frame_free(&held);
    av_frame_free(&scaled);
    assert_int_equal(released, 0);
    av_frame_free(&fifo_b);
    assert_int_equal(released, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_held_is_the_fifo_window),
        cmocka_unit_test(test_an_aliasing_output_is_unbounded),
        cmocka_unit_test(test_ippp_one_reference),
        cmocka_unit_test(test_codecs),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_counted_reference_follows_the_picture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
