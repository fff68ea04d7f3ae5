/*
 * The audio rules (see audio_plan.h): pure decisions, no
 * media, so that cmocka checks every case and audio_track.c only carries
 * them out.
 */
#include <stdio.h>
#include <string.h>

#include "engine/audio_plan.h"
#include "ladder/error.h"

const char *ladder_audio_codec_name(ladder_audio_codec codec)
{
    return codec == LADDER_AUDIO_OPUS ? "opus" : "aac";
}

int ladder_audio_default_kbps(ladder_audio_codec codec, int channels)
{
    if (channels < 1)
        channels = 2;
    if (channels > LADDER_AUDIO_MAX_CHANNELS)
        channels = LADDER_AUDIO_MAX_CHANNELS;
    if (codec == LADDER_AUDIO_OPUS) {
        /* 1..6 channels: a coupled pair costs 96k, a lone channel 48k, and
         * the sixth is the LFE (16k). */
        static const int opus_kbps[] = { 0, 48, 96, 144, 192, 240, 256 };
        return opus_kbps[channels];
    }
    return 64 * channels;
}

int ladder_audio_plan_make(const ladder_audio_source *src, const ladder_audio_request *request,
                           ladder_audio_plan *out)
{
    if (!src || !request || !out || src->channels < 1 || src->sample_rate <= 0)
        return LADDER_EINVAL;
    int limit = request->max_channels > 0 ? request->max_channels : LADDER_AUDIO_MAX_CHANNELS;
    if (limit > LADDER_AUDIO_MAX_CHANNELS)
        limit = LADDER_AUDIO_MAX_CHANNELS;
    int channels = src->channels < limit ? src->channels : limit;

    int rate;
    if (request->codec == LADDER_AUDIO_OPUS)
        rate = 48000;             /* Opus codes 48 kHz, whatever it is fed */
    else
        rate = src->sample_rate == 44100 || src->sample_rate == 48000 ? src->sample_rate : 48000;

    int kbps = request->bitrate_kbps > 0 ? request->bitrate_kbps
                                         : ladder_audio_default_kbps(request->codec, channels);
    ladder_audio_source_codec wanted = request->codec == LADDER_AUDIO_OPUS
                                           ? LADDER_AUDIO_SOURCE_OPUS : LADDER_AUDIO_SOURCE_AAC_LC;
    /* Copy only what needs no change at all: a different codec, a downmix
     * or a resample means decoding anyway. A much richer source than asked
     * for is re-encoded to save bytes. A stream that may change format or
     * splice mid-stream is decoded so that the rendition can follow. */
    bool copy = !request->source_may_change && src->codec == wanted && src->has_config &&
                channels == src->channels &&
                rate == src->sample_rate &&
                (src->bit_rate <= 0 || src->bit_rate <= (int64_t)kbps * 1000 * 3 / 2);
    *out = (ladder_audio_plan){
        .copy = copy, .codec = request->codec, .channels = channels,
        .sample_rate = rate, .bitrate_kbps = kbps,
    };
    return 0;
}

int ladder_audio_default_rendition(const bool *marked_default, int n)
{
    if (!marked_default || n < 1)
        return -1;
    for (int i = 0; i < n; i++)
        if (marked_default[i])
            return i;
    return 0;
}

/*
 * ISO 639-2 codes (what MP4 and Matroska tag streams with) that have an
 * ISO 639-1 code: RFC 5646 wants the two-letter form where one exists.
 * Both bibliographic and terminology codes are listed where they differ.
 */
static const char *const iso639_2_to_1[][2] = {
    { "ara", "ar" }, { "ben", "bn" }, { "bul", "bg" }, { "cat", "ca" }, { "ces", "cs" },
    { "cze", "cs" }, { "chi", "zh" }, { "zho", "zh" }, { "dan", "da" }, { "deu", "de" },
    { "ger", "de" }, { "dut", "nl" }, { "nld", "nl" }, { "ell", "el" }, { "gre", "el" },
    { "eng", "en" }, { "est", "et" }, { "fas", "fa" }, { "per", "fa" }, { "fin", "fi" },
    { "fra", "fr" }, { "fre", "fr" }, { "heb", "he" }, { "hin", "hi" }, { "hrv", "hr" },
    { "hun", "hu" }, { "ind", "id" }, { "ita", "it" }, { "jpn", "ja" }, { "kor", "ko" },
    { "lav", "lv" }, { "lit", "lt" }, { "msa", "ms" }, { "may", "ms" }, { "nor", "no" },
    { "pol", "pl" }, { "por", "pt" }, { "ron", "ro" }, { "rum", "ro" }, { "rus", "ru" },
    { "slk", "sk" }, { "slo", "sk" }, { "slv", "sl" }, { "spa", "es" }, { "srp", "sr" },
    { "swe", "sv" }, { "tam", "ta" }, { "tha", "th" }, { "tur", "tr" }, { "ukr", "uk" },
    { "urd", "ur" }, { "vie", "vi" },
};

const char *ladder_audio_language(const char *tag, char *buf, size_t size)
{
    size_t len = tag ? strlen(tag) : 0;
    if (!buf || size < 4 || len < 2 || len > 3)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = tag[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return NULL;
        buf[i] = (char)(c | 0x20);
    }
    buf[len] = '\0';
    if (!strcmp(buf, "und"))
        return NULL;
    for (size_t i = 0; i < sizeof(iso639_2_to_1) / sizeof(iso639_2_to_1[0]); i++)
        if (!strcmp(buf, iso639_2_to_1[i][0]))
            return iso639_2_to_1[i][1];
    return buf;
}

int ladder_audio_rendition_dir(int stream_index, const char *language, ladder_audio_codec codec,
                               char *buf, size_t size)
{
    char lang_buf[4];
    const char *lang = ladder_audio_language(language, lang_buf, sizeof(lang_buf));
    if (!buf || stream_index < 0)
        return LADDER_EINVAL;
    int n = snprintf(buf, size, "audio/%d-%s-%s", stream_index, lang ? lang : "und",
                     ladder_audio_codec_name(codec));
    return n < 0 || (size_t)n >= size ? LADDER_EINVAL : 0;
}
