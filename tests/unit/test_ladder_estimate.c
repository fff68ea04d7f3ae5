/*
 * ladder_estimate_job on hand-made probes: the ladder resolved as ladder
 * encode resolves it, the engine's memory budget rule, CRF and frame-rate
 * caps, the RAM model's parts, and its errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ladder/error.h"
#include "ladder/ladder.h"
#include "ladder/ladder_config.h"
#include "policy/ladder_estimate.h"
#include "policy/media_probe.h"

/* A 10 s 1920x1080 29.97 fps source with one audio stream. */
static void make_probe(ladder_media_probe *p, ladder_probe_stream streams[2])
{
    memset(p, 0, sizeof(*p));
    memset(streams, 0, 2 * sizeof(*streams));
    strcpy(p->path, "in.mp4");
    p->duration = 10;
    p->nb_streams = 2;
    p->streams = streams;
    p->video_stream = 0;
    strcpy(streams[0].type, "video");
    streams[0].width = 1920;
    streams[0].height = 1080;
    streams[0].sar_num = streams[0].sar_den = 1;
    streams[0].measured_frame_rate = 30000.0 / 1001;
    streams[0].header_frame_rate = 30000.0 / 1001;
    strcpy(streams[1].type, "audio");
    streams[1].index = 1;
}

static void test_default_ladder_and_budget(void **state)
{
    (void)state;
    ladder_media_probe p;
    ladder_probe_stream streams[2];
    make_probe(&p, streams);
    ladder_job job;
    ladder_job_defaults(&job);
    job.cpu_slots = 3;
    ladder_estimate e;
    char err[256];
    assert_int_equal(ladder_estimate_job(&p, &job, &e, err, sizeof(err)), 0);
    /* The default ladder on 1080p: five rungs, 1080p first. */
    assert_int_equal(e.nb_rungs, 5);
    assert_string_equal(e.rungs[0].name, "1080p");
    assert_int_equal(e.rungs[0].width, 1920);
    assert_int_equal(e.rungs[4].height, 240);
    assert_int_equal(e.rungs[0].codec, LADDER_CODEC_H264);
    assert_int_equal(e.rungs[0].frames, 300);
    /* 5000 kb/s for 10 s. */
    assert_int_equal(e.rungs[0].bytes, 6250000);
    assert_int_equal(e.audio_bytes, 160000);
    int64_t sum = e.audio_bytes;
    for (int i = 0; i < e.nb_rungs; i++)
        sum += e.rungs[i].bytes;
    assert_int_equal(e.total_bytes, sum);
    /* engine/session.c: (slots + 1) chunks of the largest rung: 2 s at
     * 29.97 fps = ceil(59.94) = 60 frames of 1920x1080 yuv420p, x 4. */
    assert_int_equal(e.cpu_slots, 3);
    assert_int_equal(e.memory_budget, (int64_t)60 * 1920 * 1080 * 3 / 2 * 4);
    assert_true(e.cpu_calibrated);
    assert_true(e.cpu_seconds > 0);
    /* The input holds more frames than the budget: RAM is the budget plus
     * the rest of the model, and grows with slots. */
    assert_true(e.peak_ram_bytes > e.memory_budget);
    int64_t three = e.peak_ram_bytes;
    job.cpu_slots = 1;
    job.memory_budget = (size_t)e.memory_budget; /* same budget, fewer encoders */
    assert_int_equal(ladder_estimate_job(&p, &job, &e, err, sizeof(err)), 0);
    assert_true(e.peak_ram_bytes < three);
    /* GPU figures exist (uncalibrated) and add up; the frames in flight
     * on the GPU are bounded by the budget, as in RAM. */
    assert_true(e.gpu_frames_bytes > 0 && e.gpu_frames_bytes <= e.memory_budget);
    int64_t gpu = e.gpu_decode_bytes + e.gpu_frames_bytes;
    for (int i = 0; i < e.nb_rungs; i++)
        gpu += e.rungs[i].gpu_encode_bytes;
    assert_int_equal(e.gpu_total_bytes, gpu);
}

static void test_rungs_crf_fps_codec(void **state)
{
    (void)state;
    ladder_media_probe p;
    ladder_probe_stream streams[2];
    make_probe(&p, streams);
    ladder_rung rungs[2];
    char err[256];
    assert_int_equal(ladder_config_parse_rung("x720:crf23:fps=15", &rungs[0], err, sizeof(err)), 0);
    assert_int_equal(ladder_config_parse_rung("640x:800k", &rungs[1], err, sizeof(err)), 0);
    rungs[1].codec = LADDER_CODEC_HEVC;
    ladder_job job;
    ladder_job_defaults(&job);
    job.rungs = rungs;
    job.nb_rungs = 2;
    job.audio_mode = LADDER_AUDIO_NONE;
    job.cpu_slots = 1;
    ladder_estimate e;
    assert_int_equal(ladder_estimate_job(&p, &job, &e, err, sizeof(err)), 0);
    assert_int_equal(e.rungs[0].width, 1280);
    assert_int_equal(e.rungs[0].height, 720);
    assert_int_equal(e.rungs[0].bytes, -1);          /* CRF: unknown */
    assert_true(e.rungs[0].cpu_seconds > 0);         /* still costed, by pixels */
    assert_true(e.rungs[0].frame_rate == 15);
    assert_int_equal(e.rungs[0].frames, 150);
    assert_int_equal(e.rungs[1].height, 360);
    assert_int_equal(e.rungs[1].codec, LADDER_CODEC_HEVC);
    assert_false(e.cpu_calibrated);                  /* HEVC was not measured */
    assert_int_equal(e.audio_bytes, 0);
    assert_int_equal(e.total_bytes, e.rungs[1].bytes);
    /* engine/session.c with one slot: a chunk of every rung plus one of the
     * largest (60 frames at 29.97 fps, the source's rate) is more than
     * (slots + 1) chunks of the largest. */
    int64_t chunk720 = (int64_t)60 * 1280 * 720 * 3 / 2, chunk360 = (int64_t)60 * 640 * 360 * 3 / 2;
    assert_int_equal(e.memory_budget, 2 * chunk720 + chunk360);
}

static void test_errors(void **state)
{
    (void)state;
    ladder_media_probe p;
    ladder_probe_stream streams[2];
    make_probe(&p, streams);
    ladder_job job;
    ladder_job_defaults(&job);
    ladder_estimate e;
    char err[256];
    ladder_rung bad;
    memset(&bad, 0, sizeof(bad));
    bad.height = 720;
    bad.bitrate_kbps = 0;                            /* no rate */
    job.rungs = &bad;
    job.nb_rungs = 1;
    assert_int_equal(ladder_estimate_job(&p, &job, &e, err, sizeof(err)), LADDER_ECONFIG);
    assert_true(strlen(err) > 0);
    p.video_stream = -1;
    assert_int_equal(ladder_estimate_job(&p, &job, &e, err, sizeof(err)), LADDER_ENOVIDEO);
    assert_non_null(strstr(err, "in.mp4"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_ladder_and_budget),
        cmocka_unit_test(test_rungs_crf_fps_codec),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
