/*
 * The command line's small languages (engine/ladder_config.c): --rung
 * specs, --format lists, codec, parameter-set and audio option values.
 * A rung that parses keeps its fields in range; the others either succeed
 * with a known value or leave their output untouched.
 */
#include "fuzz.h"

#include "ladder/error.h"
#include "ladder/ladder_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    char err[256];

    ladder_rung r;
    if (ladder_config_parse_rung(s, &r, err, sizeof(err)) == 0) {
        FUZZ_CHECK(memchr(r.name, '\0', sizeof(r.name)));
        FUZZ_CHECK(memchr(r.profile, '\0', sizeof(r.profile)));
        FUZZ_CHECK(r.width >= 0 && r.height >= 0);
        FUZZ_CHECK(r.bitrate_kbps >= 0 && r.maxrate_kbps >= 0 && r.bufsize_kbps >= 0);
        FUZZ_CHECK(r.max_fps >= 0);
        ladder_config_validate(&r, 1, err, sizeof(err));
        int w, h;
        if (ladder_config_output_size(&r, 1920, 1080, &w, &h) == 0)
            FUZZ_CHECK(w >= 2 && h >= 2 && w % 2 == 0 && h % 2 == 0 && w <= 1920 && h <= 1080);
    }

    unsigned formats = 0xdead;
    if (ladder_config_parse_formats(s, &formats, err, sizeof(err)) == 0)
        FUZZ_CHECK(formats && !(formats & ~(unsigned)(LADDER_FORMAT_HLS | LADDER_FORMAT_DASH | LADDER_FORMAT_MP4)));
    else
        FUZZ_CHECK(formats == 0xdead);

    ladder_codec codec = (ladder_codec)99;
    if (ladder_config_parse_codec(s, &codec, err, sizeof(err)) == 0)
        FUZZ_CHECK(!strcmp(ladder_config_codec_name(codec), s));
    else
        FUZZ_CHECK(codec == (ladder_codec)99);
    FUZZ_CHECK(ladder_config_svt_preset(s) != NULL);

    ladder_parameter_sets ps;
    ladder_config_parse_parameter_sets(s, &ps, err, sizeof(err));
    ladder_audio_mode mode;
    ladder_config_parse_audio_mode(s, &mode, err, sizeof(err));
    ladder_audio_codec acodec;
    ladder_config_parse_audio_codec(s, &acodec, err, sizeof(err));
    int channels = -1;
    if (ladder_config_parse_audio_channels(s, &channels, err, sizeof(err)) == 0)
        FUZZ_CHECK(channels == 1 || channels == 2 || channels == 6);
    free(s);
    return 0;
}
