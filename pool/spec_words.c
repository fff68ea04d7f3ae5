/* Codec names and sizes: see include/ladder/spec_words.h. */
#include "pool/spec_words.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/error.h"

static const struct { const char *name; ladder_codec codec; } codec_names[] = {
    { "h264", LADDER_CODEC_H264 },
    { "hevc", LADDER_CODEC_HEVC },
    { "av1", LADDER_CODEC_AV1 },
};
#define NB_CODEC_NAMES (sizeof(codec_names) / sizeof(codec_names[0]))

bool ladder_codec_from_name(const char *s, size_t len, ladder_codec *codec)
{
    for (size_t i = 0; i < NB_CODEC_NAMES; i++) {
        if (strlen(codec_names[i].name) != len || memcmp(s, codec_names[i].name, len) != 0)
            continue;
        *codec = codec_names[i].codec;
        return true;
    }
    return false;
}

const char *ladder_codec_name(ladder_codec codec)
{
    for (size_t i = 0; i < NB_CODEC_NAMES; i++)
        if (codec_names[i].codec == codec)
            return codec_names[i].name;
    return codec == LADDER_CODEC_DEFAULT ? "h264" : "unknown";
}

int ladder_size_parse(const char *text, int64_t *bytes)
{
    if (!text || !bytes)
        return LADDER_EINVAL;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || !(v >= 0))
        return LADDER_ECONFIG;
    double mult = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mult = 1024.0; break;
        case 'm': case 'M': mult = 1024.0 * 1024; break;
        case 'g': case 'G': mult = 1024.0 * 1024 * 1024; break;
        case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; break;
        default: return LADDER_ECONFIG;
        }
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end)
            return LADDER_ECONFIG;
    }
    double v_bytes = v * mult;
    if (v_bytes > 1e15)
        return LADDER_ECONFIG;
    *bytes = (int64_t)v_bytes;
    return 0;
}
