/*
 * The bitstream readers behind CODECS strings (mux/codec_string.c): H.264
 * SPS in avcC or Annex B, HEVC VPS/SPS in hvcC or Annex B (with emulation
 * prevention), AV1 sequence headers in OBUs or av1C, AAC
 * AudioSpecificConfig. The first byte picks the reader. A string that is
 * produced is printable, fits, and declares a stream its own decoder can
 * decode (ladder_codec_string_decodable is reflexive on our output).
 */
#include "fuzz.h"

#include <ctype.h>

#include "mux/codec_string.h"
#include "ladder/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] & 3;
    size_t n = size - 1;
    uint8_t *p = fuzz_copy(data + 1, n);
    if (!p)
        return 0;
    char buf[128];
    memset(buf, 'x', sizeof(buf));
    int ret;
    switch (which) {
    case 0: ret = ladder_codec_string_h264(p, n, buf, sizeof(buf)); break;
    case 1: ret = ladder_codec_string_hevc(p, n, buf, sizeof(buf)); break;
    case 2: ret = ladder_codec_string_av1(p, n, buf, sizeof(buf)); break;
    default: ret = ladder_codec_string_aac(p, n, buf, sizeof(buf)); break;
    }
    if (ret == 0) {
        size_t len = strnlen(buf, sizeof(buf));
        FUZZ_CHECK(len > 5 && len < sizeof(buf));
        for (size_t i = 0; i < len; i++)
            FUZZ_CHECK(isalnum((unsigned char)buf[i]) || buf[i] == '.');
        static const char *const prefix[] = { "avc1.", "hvc1.", "av01.", "mp4a." };
        FUZZ_CHECK(!strncmp(buf, prefix[which], 5));
        if (!ladder_codec_string_decodable(buf, buf))
            fprintf(stderr, "'%s' is not decodable by its own decoder\n", buf);
        FUZZ_CHECK(ladder_codec_string_decodable(buf, buf));
        /* A buffer one byte too small must be refused, not overrun. */
        char small[128];
        memset(small, 'x', sizeof(small));
        int again;
        switch (which) {
        case 0: again = ladder_codec_string_h264(p, n, small, len); break;
        case 1: again = ladder_codec_string_hevc(p, n, small, len); break;
        case 2: again = ladder_codec_string_av1(p, n, small, len); break;
        default: again = ladder_codec_string_aac(p, n, small, len); break;
        }
        FUZZ_CHECK(again != 0);
        for (size_t i = len; i < sizeof(small); i++)
            FUZZ_CHECK(small[i] == 'x');
    } else {
        FUZZ_CHECK(ret == LADDER_EINVAL);
    }
    free(p);
    return 0;
}
