/*
 * Ladder files (engine/ladder_config.c, ladder_config_load_file_options):
 * user-written JSON. A file that loads must describe a ladder that
 * validates, and every rung must size to even dimensions of at least 2
 * inside the source for any source size.
 */
#include "fuzz.h"

#include "ladder/error.h"
#include "ladder/ladder_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_temp(data, size);
    if (!path)
        return 0;
    ladder_rung *rungs = NULL;
    int nb = 0;
    ladder_file_options opts;
    memset(&opts, 0, sizeof(opts));
    char err[256];
    err[0] = '\0';
    int ret = ladder_config_load_file_options(path, &rungs, &nb, &opts, err, sizeof(err));
    FUZZ_CHECK(memchr(err, '\0', sizeof(err)));
    if (ret) {
        FUZZ_CHECK(rungs == NULL && nb == 0);
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(rungs && nb >= 1);
    if (opts.has_segment_seconds)
        FUZZ_CHECK(opts.segment_seconds > 0);
    if (opts.has_audio_channels)
        FUZZ_CHECK(opts.audio_channels == 1 || opts.audio_channels == 2 || opts.audio_channels == 6);
    if (ladder_config_validate(rungs, nb, err, sizeof(err)) == 0) {
        static const int sources[][2] = { { 1920, 1080 }, { 640, 480 }, { 2, 2 }, { 7680, 4320 }, { 1, 1 } };
        for (int i = 0; i < nb; i++) {
            FUZZ_CHECK(rungs[i].name[0] != '\0');
            for (size_t s = 0; s < sizeof(sources) / sizeof(sources[0]); s++) {
                int w = 0, h = 0;
                if (ladder_config_output_size(&rungs[i], sources[s][0], sources[s][1], &w, &h))
                    continue;
                FUZZ_CHECK(w >= 2 && h >= 2 && w % 2 == 0 && h % 2 == 0);
                FUZZ_CHECK(w <= (sources[s][0] < 2 ? 2 : sources[s][0]) + 1);
                FUZZ_CHECK(h <= (sources[s][1] < 2 ? 2 : sources[s][1]) + 1);
            }
        }
    }
    free(rungs);
    return 0;
}
