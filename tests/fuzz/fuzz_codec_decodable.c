/*
 * ladder_codec_string_decodable (mux/codec_string.c), the codec
 * invariant's comparison of CODECS strings, over three strings separated
 * by newlines: no crash on malformed strings, and the relation is
 * transitive (a decoder for a that decodes b's streams, which decode c's,
 * decodes c's), as the in-band parameter-set check relies on.
 */
#include "fuzz.h"

#include "mux/codec_string.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    char *str[3] = { s, "", "" };
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        str[1] = nl + 1;
        nl = strchr(str[1], '\n');
        if (nl) {
            *nl = '\0';
            str[2] = nl + 1;
        }
    }
    bool ab = ladder_codec_string_decodable(str[0], str[1]);
    bool bc = ladder_codec_string_decodable(str[1], str[2]);
    bool ac = ladder_codec_string_decodable(str[0], str[2]);
    if (ab && bc && !ac)
        fprintf(stderr, "'%s' >= '%s' >= '%s' but not '%s' >= '%s'\n", str[0], str[1], str[2],
                str[0], str[2]);
    FUZZ_CHECK(!(ab && bc) || ac);
    FUZZ_CHECK(!ladder_codec_string_decodable(NULL, str[0]));
    free(s);
    return 0;
}
