/*
 * The fMP4 box readers (mux/fmp4_index.c) over arbitrary segment bytes: a
 * range ladder_fmp4_first_sample_range() returns lies inside the file, and
 * ladder_fmp4_decode_times() (which the resume journal's writer reads from
 * its own fragments) either answers or says the boxes do not, with no
 * out-of-bounds read or overflow (the sanitizers judge those).
 */
#include "fuzz.h"

#include "ladder/error.h"
#include "fmp4_index.h"

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
    uint64_t tfdt = 0, duration = 0;
    ret = ladder_fmp4_decode_times(p, size, &tfdt, &duration);
    FUZZ_CHECK(ret == 0 || ret == LADDER_EINPUT_INVALID);
    free(p);
    return 0;
}
