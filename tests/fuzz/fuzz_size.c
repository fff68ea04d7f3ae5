/*
 * Size strings (ladder_config_parse_size: --memory-budget, the host
 * config's size keys, --devices min-free=). A size that parses is within
 * 0..10^15 bytes, and its plain byte count parses back to itself.
 */
#include "fuzz.h"

#include <inttypes.h>

#include "ladder/error.h"
#include "ladder/ladder_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    int64_t bytes = -12345;
    int ret = ladder_config_parse_size(s, &bytes);
    if (ret) {
        FUZZ_CHECK(ret == LADDER_ECONFIG);
        FUZZ_CHECK(bytes == -12345);
    } else {
        FUZZ_CHECK(bytes >= 0 && bytes <= INT64_C(1000000000000000));
        char text[32];
        snprintf(text, sizeof(text), "%" PRId64, bytes);
        int64_t again = -1;
        FUZZ_CHECK(ladder_config_parse_size(text, &again) == 0);
        FUZZ_CHECK(again == bytes);
    }
    free(s);
    return 0;
}
