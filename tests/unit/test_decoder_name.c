/*
 * Which decoder ladder opens for the source (engine/decoder_name.c): on
 * NVDEC the native decoders, which carry the CUDA hwaccel, by name (FFmpeg
 * 5.1 finds libdav1d first for AV1, and it has none); on the CPU, and for
 * the switch from a device to it, AV1 is libdav1d (the native av1 decodes
 * nothing without a hwaccel), the rest whatever avcodec_find_decoder()
 * gives, as always.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <libavcodec/avcodec.h>

#include "decoder_name.h"

static void test_nvdec_opens_the_native_decoders(void **state)
{
    (void)state;
    assert_string_equal(decoder_name(AV_CODEC_ID_H264, LADDER_DECODE_NVDEC), "h264");
    assert_string_equal(decoder_name(AV_CODEC_ID_HEVC, LADDER_DECODE_NVDEC), "hevc");
    assert_string_equal(decoder_name(AV_CODEC_ID_AV1, LADDER_DECODE_NVDEC), "av1");
    assert_string_equal(decoder_name(AV_CODEC_ID_VP9, LADDER_DECODE_NVDEC), "vp9");
    assert_null(decoder_name(AV_CODEC_ID_MPEG2VIDEO, LADDER_DECODE_NVDEC));
}

static void test_cpu_and_fallbacks(void **state)
{
    (void)state;
    const ladder_decode_kind cpu_like[] = { LADDER_DECODE_CPU, LADDER_DECODE_FAULT, LADDER_DECODE_QSV };
    for (size_t i = 0; i < sizeof(cpu_like) / sizeof(cpu_like[0]); i++) {
        assert_string_equal(decoder_name(AV_CODEC_ID_AV1, cpu_like[i]), "libdav1d");
        assert_null(decoder_name(AV_CODEC_ID_H264, cpu_like[i]));
        assert_null(decoder_name(AV_CODEC_ID_HEVC, cpu_like[i]));
        assert_null(decoder_name(AV_CODEC_ID_VP9, cpu_like[i]));
    }
}

static bool has_cuda(const AVCodec *codec)
{
    for (int i = 0;; i++) {
        const AVCodecHWConfig *cfg = avcodec_get_hw_config(codec, i);
        if (!cfg)
            return false;
        if (cfg->device_type == AV_HWDEVICE_TYPE_CUDA)
            return true;
    }
}

/* Against the linked libavcodec: every name it has is a decoder of that
 * codec, and where the native AV1 decoder has the CUDA hwaccel the default
 * one (libdav1d in Debian's build) does not: the reason for the names. */
static void test_against_this_libavcodec(void **state)
{
    (void)state;
    const enum AVCodecID ids[] = { AV_CODEC_ID_H264, AV_CODEC_ID_HEVC, AV_CODEC_ID_AV1, AV_CODEC_ID_VP9 };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const ladder_decode_kind kinds[] = { LADDER_DECODE_NVDEC, LADDER_DECODE_CPU };
        for (size_t k = 0; k < 2; k++) {
            const char *name = decoder_name(ids[i], kinds[k]);
            const AVCodec *codec = name ? avcodec_find_decoder_by_name(name) : NULL;
            if (codec)
                assert_int_equal(codec->id, ids[i]);
        }
    }
    const AVCodec *native = avcodec_find_decoder_by_name("av1");
    const AVCodec *first = avcodec_find_decoder(AV_CODEC_ID_AV1);
    if (native && has_cuda(native) && first && first != native)
        assert_false(has_cuda(first));
    const AVCodec *dav1d = avcodec_find_decoder_by_name("libdav1d");
    if (dav1d)
        assert_false(has_cuda(dav1d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nvdec_opens_the_native_decoders),
        cmocka_unit_test(test_cpu_and_fallbacks),
        cmocka_unit_test(test_against_this_libavcodec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
