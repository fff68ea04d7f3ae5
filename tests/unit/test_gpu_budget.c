/*
 * The GPU budget of chunks kept in GPU memory (engine/gpu_budget.c): the
 * bytes of a rung's CUDA frame as FFmpeg 5.1's scale_cuda and
 * hwcontext_cuda allocate it, and how many chunks' worth fit on the
 * decoding GPU after the decoder, the NVENC sessions and a reserve: a
 * 2 GB Quadro P400 and an 80 GB H100. No GPU here: arithmetic only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include <libavutil/imgutils.h>

#include "gpu_budget.h"

#define MIB ((int64_t)1 << 20)
#define GIB ((int64_t)1 << 30)
#define ALIGN 512                 /* CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT */
#define CHUNK 60                  /* 2 s at 30 fps */

static void test_frame_bytes(void **state)
{
    (void)state;
    /* 1920x1088 (height aligned to 32); yuv420p pitches at twice the
     * texture alignment: luma 1920 -> 2048, chroma 960 -> 1024. */
    assert_int_equal(gpu_frame_bytes(1920, 1080, AV_PIX_FMT_YUV420P, ALIGN), 2048 * 1088 + 2 * 1024 * 544);
    /* p010: luma 3840 bytes -> 4096, interleaved chroma 3840 -> 4096. */
    assert_int_equal(gpu_frame_bytes(1920, 1080, AV_PIX_FMT_P010, ALIGN), 4096 * 1088 + 4096 * 544);
    /* 1280x736: luma 1280 -> 2048, chroma 640 -> 1024. */
    assert_int_equal(gpu_frame_bytes(1280, 720, AV_PIX_FMT_YUV420P, ALIGN), 2048 * 736 + 2 * 1024 * 368);
    /* 640x384: a small rung pays for the pitch: 786432 bytes for 345600 of picture. */
    assert_int_equal(gpu_frame_bytes(640, 360, AV_PIX_FMT_YUV420P, ALIGN), 1024 * 384 + 2 * 1024 * 192);
    assert_int_equal(gpu_frame_bytes(0, 360, AV_PIX_FMT_YUV420P, ALIGN), 0);
    assert_int_equal(gpu_frame_bytes(640, 360, AV_PIX_FMT_YUV420P, 0), 0);
}

static gpu_budget_rung rung_of(int w, int h, bool keeps)
{
    return (gpu_budget_rung){
        .frame_bytes = gpu_frame_bytes(w, h, AV_PIX_FMT_YUV420P, ALIGN),
        .chunk_frames = CHUNK,
        .gpu_scaled = true,
        .keeps_frames = keeps,
    };
}

/* A 1080p H.264 source: NVDEC's 8 surfaces (dpb 1 + 5 + extra 2) of NV12
 * 1920x1088, allowed for once more as output surfaces. */
static int64_t decoder_1080p(void)
{
    return 8 * (int64_t)av_image_get_buffer_size(AV_PIX_FMT_NV12, 1920, 1088, 1);
}

/* What the plan lets the GPU hold never passes what was free. */
static void assert_fits(const gpu_budget_in *in, const gpu_budget *b)
{
    int64_t used = in->decoder_bytes + in->nvenc_sessions * GPU_NVENC_SESSION_BYTES + GPU_RESERVE_BYTES;
    for (int i = 0; i < in->nb_rungs; i++) {
        int frames = b->max_frames[i] + (in->rungs[i].gpu_scaled ? GPU_GRAPH_FRAMES : 0);
        used += (int64_t)frames * (int64_t)in->rungs[i].frame_bytes;
        if (!in->rungs[i].keeps_frames)
            assert_int_equal(b->max_frames[i], 0);
    }
    assert_true(b->chunk_bytes == 0 || used <= b->free_bytes);
}

static const gpu_budget_rung *ladder_1080_720_360(void)
{
    static gpu_budget_rung rungs[3];
    rungs[0] = rung_of(1920, 1080, true);
    rungs[1] = rung_of(1280, 720, true);
    rungs[2] = rung_of(640, 360, true);
    return rungs;
}

/* Quadro P400: 2 GB, about 1.85 GiB free once the decoder is made. Every
 * rung keeps a few chunks on the GPU, fewer with more NVENC sessions. */
static void test_p400(void **state)
{
    (void)state;
    gpu_budget_in in = {
        .free_bytes = GIB * 185 / 100,
        .decoder_bytes = decoder_1080p(),
        .nvenc_sessions = 1,
        .rungs = ladder_1080_720_360(),
        .nb_rungs = 3,
    };
    gpu_budget b;
    gpu_budget_plan(&in, &b);
    assert_true(b.chunks > 3.9 && b.chunks < 4.2);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(b.max_frames[i], (int)floor(b.chunks * CHUNK));
        assert_true(b.max_frames[i] >= CHUNK);
    }
    assert_fits(&in, &b);

    in.nvenc_sessions = 3;
    gpu_budget_plan(&in, &b);
    assert_true(b.chunks > 2.5 && b.chunks < 2.8);
    assert_fits(&in, &b);
}

/* 4K HEVC 10-bit on the P400 with three sessions: under one chunk of the
 * 2160p rung fits, so that rung keeps nothing on the GPU (its chunks are
 * downloaded); the budget still holds. */
static void test_p400_short_of_a_chunk(void **state)
{
    (void)state;
    gpu_budget_rung rungs[2] = { rung_of(3840, 2160, true), rung_of(1920, 1080, false) };
    gpu_budget_in in = {
        .free_bytes = GIB * 185 / 100,
        .decoder_bytes = 13 * (int64_t)av_image_get_buffer_size(AV_PIX_FMT_P010, 3840, 2160, 1),
        .nvenc_sessions = 3,
        .rungs = rungs,
        .nb_rungs = 2,
    };
    gpu_budget b;
    gpu_budget_plan(&in, &b);
    assert_true(b.chunks < 1);
    assert_true(b.max_frames[0] < CHUNK);
    assert_int_equal(b.max_frames[1], 0);
    assert_fits(&in, &b);
}

/* Free memory unknown: planned as 1 GiB. */
static void test_unknown_free(void **state)
{
    (void)state;
    gpu_budget_in in = {
        .free_bytes = -1,
        .decoder_bytes = decoder_1080p(),
        .nvenc_sessions = 1,
        .rungs = ladder_1080_720_360(),
        .nb_rungs = 3,
    };
    gpu_budget b;
    gpu_budget_plan(&in, &b);
    assert_int_equal(b.free_bytes, GPU_FREE_UNKNOWN_BYTES);
    assert_true(b.chunks > 1.5 && b.chunks < 1.8);
    assert_fits(&in, &b);
}

/* H100, 80 GB (no NVENC, so no rung keeps frames there in a real run;
 * the arithmetic still holds): hundreds of chunks. */
static void test_h100(void **state)
{
    (void)state;
    gpu_budget_in in = {
        .free_bytes = GIB * 79,
        .decoder_bytes = decoder_1080p(),
        .nvenc_sessions = 0,
        .rungs = ladder_1080_720_360(),
        .nb_rungs = 3,
    };
    gpu_budget b;
    gpu_budget_plan(&in, &b);
    assert_true(b.chunks > 200 && b.chunks < 230);
    assert_true(b.max_frames[0] > 200 * CHUNK);
    assert_fits(&in, &b);
}

/* More taken than free, or no rung that keeps frames: nothing to share. */
static void test_nothing_left(void **state)
{
    (void)state;
    gpu_budget_in in = {
        .free_bytes = 200 * MIB,
        .decoder_bytes = decoder_1080p(),
        .nvenc_sessions = 1,
        .rungs = ladder_1080_720_360(),
        .nb_rungs = 3,
    };
    gpu_budget b;
    gpu_budget_plan(&in, &b);
    assert_int_equal(b.chunk_bytes, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(b.max_frames[i], 0);

    gpu_budget_rung none[2] = { rung_of(1920, 1080, false), rung_of(640, 360, false) };
    in = (gpu_budget_in){ .free_bytes = 8 * GIB, .rungs = none, .nb_rungs = 2 };
    gpu_budget_plan(&in, &b);
    assert_true(b.chunk_bytes > 0);
    assert_true(b.chunks == 0);
    assert_int_equal(b.max_frames[0], 0);
    assert_int_equal(b.max_frames[1], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_bytes),
        cmocka_unit_test(test_p400),
        cmocka_unit_test(test_p400_short_of_a_chunk),
        cmocka_unit_test(test_unknown_free),
        cmocka_unit_test(test_h100),
        cmocka_unit_test(test_nothing_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
