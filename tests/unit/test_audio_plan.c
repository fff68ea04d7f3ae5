/* The audio rules: copy or encode, channels, sample rate, bit rate,
 * default rendition, language and directory names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/audio_plan.h"
#include "ladder/error.h"

static ladder_audio_plan plan_of(ladder_audio_source_codec codec, int channels, int rate,
                                 int64_t bit_rate, ladder_audio_codec want, int max_channels,
                                 int kbps)
{
    ladder_audio_source src = {
        .codec = codec, .channels = channels, .sample_rate = rate,
        .bit_rate = bit_rate, .has_config = true,
    };
    ladder_audio_request req = { .codec = want, .max_channels = max_channels, .bitrate_kbps = kbps };
    ladder_audio_plan p;
    assert_int_equal(ladder_audio_plan_make(&src, &req, &p), 0);
    return p;
}

static void test_aac_copy_by_channels(void **state)
{
    (void)state;
    /* AAC-LC mono, stereo and 5.1 at their default rates are copied. */
    ladder_audio_plan p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 2, 48000, 128000, LADDER_AUDIO_AAC, 0, 0);
    assert_true(p.copy);
    assert_int_equal(p.channels, 2);
    assert_int_equal(p.bitrate_kbps, 128);
    p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 1, 44100, 64000, LADDER_AUDIO_AAC, 0, 0);
    assert_true(p.copy);
    assert_int_equal(p.channels, 1);
    assert_int_equal(p.sample_rate, 44100);
    p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 6, 48000, 384000, LADDER_AUDIO_AAC, 0, 0);
    assert_true(p.copy);
    assert_int_equal(p.channels, 6);
    assert_int_equal(p.bitrate_kbps, 384);
    /* ... but not when the job wants stereo: the downmix needs a decode. */
    p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 6, 48000, 384000, LADDER_AUDIO_AAC, 2, 0);
    assert_false(p.copy);
    assert_int_equal(p.channels, 2);
    assert_int_equal(p.bitrate_kbps, 128);
    /* A much richer source than asked for is re-encoded; unknown rate copies. */
    p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 2, 48000, 320000, LADDER_AUDIO_AAC, 0, 0);
    assert_false(p.copy);
    p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 2, 48000, 320000, LADDER_AUDIO_AAC, 0, 256);
    assert_true(p.copy);
    p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 2, 48000, 0, LADDER_AUDIO_AAC, 0, 0);
    assert_true(p.copy);
    /* An odd sample rate means a resample, hence an encode. */
    p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 2, 32000, 96000, LADDER_AUDIO_AAC, 0, 0);
    assert_false(p.copy);
    assert_int_equal(p.sample_rate, 48000);
    /* Without its AudioSpecificConfig there is no sample entry to write. */
    ladder_audio_source src = { .codec = LADDER_AUDIO_SOURCE_AAC_LC, .channels = 2,
                                .sample_rate = 48000, .has_config = false };
    ladder_audio_request req = { .codec = LADDER_AUDIO_AAC };
    assert_int_equal(ladder_audio_plan_make(&src, &req, &p), 0);
    assert_false(p.copy);
}

static void test_opus(void **state)
{
    (void)state;
    /* Opus is copied only when Opus is asked for, and the reverse. */
    ladder_audio_plan p = plan_of(LADDER_AUDIO_SOURCE_OPUS, 2, 48000, 96000, LADDER_AUDIO_OPUS, 0, 0);
    assert_true(p.copy);
    assert_int_equal(p.codec, LADDER_AUDIO_OPUS);
    p = plan_of(LADDER_AUDIO_SOURCE_OPUS, 2, 48000, 96000, LADDER_AUDIO_AAC, 0, 0);
    assert_false(p.copy);
    assert_int_equal(p.codec, LADDER_AUDIO_AAC);
    p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 2, 48000, 128000, LADDER_AUDIO_OPUS, 0, 0);
    assert_false(p.copy);
    assert_int_equal(p.codec, LADDER_AUDIO_OPUS);
    assert_int_equal(p.bitrate_kbps, 96);
    /* Opus always codes 48 kHz. */
    p = plan_of(LADDER_AUDIO_SOURCE_OTHER, 2, 44100, 0, LADDER_AUDIO_OPUS, 0, 0);
    assert_int_equal(p.sample_rate, 48000);
    p = plan_of(LADDER_AUDIO_SOURCE_OTHER, 6, 48000, 0, LADDER_AUDIO_OPUS, 0, 0);
    assert_int_equal(p.channels, 6);
    assert_int_equal(p.bitrate_kbps, 256);
    p = plan_of(LADDER_AUDIO_SOURCE_OTHER, 1, 48000, 0, LADDER_AUDIO_OPUS, 0, 0);
    assert_int_equal(p.bitrate_kbps, 48);
}

static void test_other_sources(void **state)
{
    (void)state;
    /* AC-3 5.1 stays 5.1, encoded; PCM mono stays mono; 7.1 becomes 5.1. */
    ladder_audio_plan p = plan_of(LADDER_AUDIO_SOURCE_OTHER, 6, 48000, 448000, LADDER_AUDIO_AAC, 0, 0);
    assert_false(p.copy);
    assert_int_equal(p.channels, 6);
    assert_int_equal(p.bitrate_kbps, 384);
    p = plan_of(LADDER_AUDIO_SOURCE_OTHER, 1, 44100, 705600, LADDER_AUDIO_AAC, 0, 0);
    assert_false(p.copy);
    assert_int_equal(p.channels, 1);
    assert_int_equal(p.sample_rate, 44100);
    assert_int_equal(p.bitrate_kbps, 64);
    p = plan_of(LADDER_AUDIO_SOURCE_OTHER, 8, 96000, 0, LADDER_AUDIO_AAC, 0, 0);
    assert_int_equal(p.channels, 6);
    assert_int_equal(p.sample_rate, 48000);
    /* AAC-LC 7.1 is not copied: it has to be downmixed. */
    p = plan_of(LADDER_AUDIO_SOURCE_AAC_LC, 8, 48000, 0, LADDER_AUDIO_AAC, 0, 0);
    assert_false(p.copy);
    assert_int_equal(p.channels, 6);
    /* --audio-channels 2: everything stereo, mono stays mono. */
    p = plan_of(LADDER_AUDIO_SOURCE_OTHER, 8, 48000, 0, LADDER_AUDIO_AAC, 2, 0);
    assert_int_equal(p.channels, 2);
    p = plan_of(LADDER_AUDIO_SOURCE_OTHER, 1, 48000, 0, LADDER_AUDIO_AAC, 2, 0);
    assert_int_equal(p.channels, 1);
    /* --audio-bitrate overrides the per-channel default. */
    p = plan_of(LADDER_AUDIO_SOURCE_OTHER, 6, 22050, 0, LADDER_AUDIO_AAC, 0, 192);
    assert_int_equal(p.bitrate_kbps, 192);
    assert_int_equal(p.sample_rate, 48000);
}

static void test_invalid(void **state)
{
    (void)state;
    ladder_audio_source src = { .codec = LADDER_AUDIO_SOURCE_OTHER, .channels = 0, .sample_rate = 48000 };
    ladder_audio_request req = { 0 };
    ladder_audio_plan p;
    assert_int_equal(ladder_audio_plan_make(&src, &req, &p), LADDER_EINVAL);
    src.channels = 2;
    src.sample_rate = 0;
    assert_int_equal(ladder_audio_plan_make(&src, &req, &p), LADDER_EINVAL);
}

static void test_default_rendition(void **state)
{
    (void)state;
    bool none[3] = { false, false, false };
    bool second[3] = { false, true, true };
    assert_int_equal(ladder_audio_default_rendition(none, 3), 0);
    assert_int_equal(ladder_audio_default_rendition(second, 3), 1);
    assert_int_equal(ladder_audio_default_rendition(none, 0), -1);
}

static void test_names(void **state)
{
    (void)state;
    char buf[8], dir[64];
    assert_string_equal(ladder_audio_language("eng", buf, sizeof(buf)), "en");
    assert_string_equal(ladder_audio_language("FRE", buf, sizeof(buf)), "fr");
    assert_string_equal(ladder_audio_language("gsw", buf, sizeof(buf)), "gsw");
    assert_null(ladder_audio_language("und", buf, sizeof(buf)));
    assert_null(ladder_audio_language("en-US", buf, sizeof(buf)));
    assert_null(ladder_audio_language("e1", buf, sizeof(buf)));
    assert_null(ladder_audio_language(NULL, buf, sizeof(buf)));
    assert_int_equal(ladder_audio_rendition_dir(1, "eng", LADDER_AUDIO_AAC, dir, sizeof(dir)), 0);
    assert_string_equal(dir, "audio/1-en-aac");
    assert_int_equal(ladder_audio_rendition_dir(3, "../x", LADDER_AUDIO_OPUS, dir, sizeof(dir)), 0);
    assert_string_equal(dir, "audio/3-und-opus");
    assert_int_equal(ladder_audio_rendition_dir(3, NULL, LADDER_AUDIO_OPUS, dir, 8), LADDER_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aac_copy_by_channels),
        cmocka_unit_test(test_opus),
        cmocka_unit_test(test_other_sources),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_default_rendition),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
