/*
 * The fMP4 box reader (mux/fmp4_index.c, ladder_fmp4_first_sample_range)
 * over arbitrary segment bytes: a range it returns lies inside the file.
 */
#include "fuzz.h"

#include "ladder/error.h"
#include "ladder/fmp4_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = fuzz_copy(data, size);
    if (!p)
        return 0;
    int64_t offset = -1, length = -1;
    int ret = ladder_fmp4_first_sample_range(p, size, &offset, &length);
    if (ret == 0) {
        FUZZ_CHECK(offset >= 0 && length > 0);
        FUZZ_CHECK((uint64_t)offset <= size && (uint64_t)length <= size - (uint64_t)offset);
    } else {
        FUZZ_CHECK(ret == LADDER_EINPUT_INVALID);
    }
    free(p);
    return 0;
}
