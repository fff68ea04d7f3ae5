/*
 * When a rung's pictures stay in GPU memory (engine/gpu_scale.c): only
 * when the source decodes on NVDEC and the encoder is NVENC on that same
 * GPU. Anything else (CPU decode, x264, another GPU, an Intel device, a
 * GPU index left open) downloads, as before. The encode itself needs an
 * NVENC GPU, which no test machine here has: this is the decision, the
 * part a mistake would silently turn into a slow path or a wrong device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gpu_scale.h"
#include "session.h"

static ladder_session *session_with(ladder_decode_kind decode, int decode_gpu, const char *kind, int gpu)
{
    ladder_session *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->job.decode.kind = decode;
    s->job.decode.gpu = decode_gpu;
    snprintf(s->devices[0].spec.kind, sizeof(s->devices[0].spec.kind), "%s", kind);
    snprintf(s->devices[0].spec.name, sizeof(s->devices[0].spec.name), "%s0", kind);
    s->devices[0].spec.gpu = gpu;
    s->nb_devices = 1;
    return s;
}

static encoder_choice choice_of(const char *encoder, const char *kind, int gpu)
{
    encoder_choice c = { .backend = encoder_backend_for(LADDER_CODEC_H264, encoder, kind), .gpu = gpu };
    assert_non_null(c.backend);
    return c;
}

static void test_nvenc_on_the_decoding_gpu_reads_gpu_memory(void **state)
{
    (void)state;
    ladder_session *s = session_with(LADDER_DECODE_NVDEC, 1, "nvidia", 1);
    encoder_choice nvenc = choice_of("h264_nvenc", "nvidia", 1);
    assert_true(gpu_frames_encodable(s, 0, &nvenc));
    encoder_choice hevc = { .backend = encoder_backend_for(LADDER_CODEC_HEVC, "hevc_nvenc", "nvidia"), .gpu = 1 };
    assert_true(gpu_frames_encodable(s, 0, &hevc));
    free(s);
}

static void test_everything_else_downloads(void **state)
{
    (void)state;
    encoder_choice nvenc = choice_of("h264_nvenc", "nvidia", 0);
    /* Decoded on the CPU (or the fault drill, which is the CPU). */
    ladder_session *s = session_with(LADDER_DECODE_CPU, 0, "nvidia", 0);
    assert_false(gpu_frames_encodable(s, 0, &nvenc));
    s->job.decode.kind = LADDER_DECODE_FAULT;
    assert_false(gpu_frames_encodable(s, 0, &nvenc));
    free(s);
    /* NVENC on another GPU than the decoder's: its CUDA context is not
     * the frames'. */
    s = session_with(LADDER_DECODE_NVDEC, 0, "nvidia", 1);
    assert_false(gpu_frames_encodable(s, 0, &nvenc));
    free(s);
    /* A GPU index left open (-1) is not known to be the decoder's. */
    s = session_with(LADDER_DECODE_NVDEC, 0, "nvidia", -1);
    assert_false(gpu_frames_encodable(s, 0, &nvenc));
    free(s);
    /* A CPU encoder, or QSV, on the decoding host. */
    s = session_with(LADDER_DECODE_NVDEC, 0, "cpu", -1);
    encoder_choice x264 = choice_of("libx264", "cpu", -1);
    assert_false(gpu_frames_encodable(s, 0, &x264));
    free(s);
    s = session_with(LADDER_DECODE_NVDEC, 0, "intel", 0);
    encoder_choice qsv = choice_of("h264_qsv", "intel", 0);
    assert_false(gpu_frames_encodable(s, 0, &qsv));
    /* No encoder chosen (none for the codec on that device). */
    encoder_choice none = { .backend = NULL, .gpu = 0 };
    assert_false(gpu_frames_encodable(s, 0, &none));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nvenc_on_the_decoding_gpu_reads_gpu_memory),
        cmocka_unit_test(test_everything_else_downloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
