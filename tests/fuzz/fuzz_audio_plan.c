/*
 * The audio plan's text and number handling (engine/audio_plan.c): a
 * source's language tag (from the container, i.e. from whoever made the
 * file) becomes an HLS LANGUAGE / DASH lang and part of a directory name,
 * and arbitrary source parameters become a plan. The language, when
 * there is one, is 2-3 lower-case letters; the directory holds only
 * [a-z0-9/-]; a plan has 1..6 channels and a positive rate and bit rate.
 */
#include "fuzz.h"

#include "engine/audio_plan.h"
#include "ladder/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = { data, size };
    ladder_audio_source src = {
        .codec = (ladder_audio_source_codec)(fuzz_u8(&r) % 3),
        .channels = (int)fuzz_u32(&r),
        .sample_rate = (int)fuzz_u32(&r),
        .bit_rate = (int64_t)fuzz_u64(&r),
    };
    src.has_config = src.channels & 1;
    ladder_audio_request req = {
        .codec = (ladder_audio_codec)(fuzz_u8(&r) & 1),
        .max_channels = (int)(int8_t)fuzz_u8(&r),
        .bitrate_kbps = (int)(int16_t)(fuzz_u8(&r) << 8 | fuzz_u8(&r)),
    };
    ladder_audio_plan plan;
    if (ladder_audio_plan_make(&src, &req, &plan) == 0) {
        FUZZ_CHECK(plan.channels >= 1 && plan.channels <= LADDER_AUDIO_MAX_CHANNELS);
        FUZZ_CHECK(plan.sample_rate > 0);
    }
    int stream_index = (int)(int16_t)(fuzz_u8(&r) << 8 | fuzz_u8(&r));
    char *tag = fuzz_cstring(r.p, r.left);
    if (!tag)
        return 0;
    char buf[8];
    const char *lang = ladder_audio_language(tag, buf, sizeof(buf));
    if (lang) {
        size_t n = strlen(lang);
        FUZZ_CHECK(n == 2 || n == 3);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(lang[i] >= 'a' && lang[i] <= 'z');
    }
    char dir[64];
    if (ladder_audio_rendition_dir(stream_index, lang, req.codec, dir, sizeof(dir)) == 0) {
        FUZZ_CHECK(!strncmp(dir, "audio/", 6));
        for (const char *p = dir + 6; *p; p++)
            FUZZ_CHECK((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-');
    }
    free(tag);
    return 0;
}
