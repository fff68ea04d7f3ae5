/*
 * Filmstrip geometry and WebVTT (jobs/job_filmstrip.c's pure part), from
 * a job spec's numbers and a source's duration: tiles stay inside their
 * sheet, cues cover the duration in order, and the VTT has one cue per
 * tile. Then the thumbnail score (jobs/job_thumbnail.c) over a luma plane
 * made of the remaining bytes: its statistics stay within 0..255.
 */
#include "fuzz.h"

#include <math.h>

#include "ladder/error.h"
#include "ladder/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = { data, size };
    int count_in = (int)(int16_t)(fuzz_u8(&r) << 8 | fuzz_u8(&r));
    double interval = (double)fuzz_u32(&r) / 1000.0;
    double duration;
    uint32_t d = fuzz_u32(&r);
    switch (d >> 30) {
    case 0: duration = (double)(d & 0xffffff) / 1000.0; break;
    case 1: duration = (d & 1) ? NAN : 0.0; break;
    case 2: duration = -(double)(d & 0xff); break;
    default: duration = (double)d; break;
    }
    int columns = (int)(int8_t)fuzz_u8(&r);
    int rows = (int)(int8_t)fuzz_u8(&r);
    int tile_w = (int)(int16_t)(fuzz_u8(&r) << 8 | fuzz_u8(&r));
    int tile_h = (int)(int16_t)(fuzz_u8(&r) << 8 | fuzz_u8(&r));

    int count = ladder_filmstrip_count(count_in, interval, duration);
    FUZZ_CHECK(count >= 1 && count <= 1000);
    ladder_filmstrip_tile *tiles = calloc((size_t)count, sizeof(*tiles));
    if (!tiles)
        return 0;
    if (ladder_filmstrip_layout(count, columns, rows, tile_w, tile_h, duration, tiles) == 0) {
        int sheets = 0;
        for (int i = 0; i < count; i++) {
            const ladder_filmstrip_tile *t = &tiles[i];
            FUZZ_CHECK(t->sheet >= 0 && t->sheet <= i);
            if (t->sheet + 1 > sheets)
                sheets = t->sheet + 1;
            int sw = 0, sh = 0;
            ladder_filmstrip_sheet_size(count, columns, rows, tile_w, tile_h, t->sheet, &sw, &sh);
            FUZZ_CHECK(t->x >= 0 && t->y >= 0 && t->w == tile_w && t->h == tile_h);
            FUZZ_CHECK((int64_t)t->x + t->w <= sw && (int64_t)t->y + t->h <= sh);
            FUZZ_CHECK(t->start <= t->sample_time && t->sample_time <= t->end);
            if (i)
                FUZZ_CHECK(t->start == tiles[i - 1].end);
        }
        const char *names[1000];
        for (int i = 0; i < sheets; i++)
            names[i] = "sheet.jpg";
        char *vtt = ladder_filmstrip_vtt(tiles, count, names);
        if (vtt) {
            FUZZ_CHECK(!strncmp(vtt, "WEBVTT", 6));
            int cues = 0;
            for (const char *p = vtt; (p = strstr(p, " --> ")); p += 5)
                cues++;
            FUZZ_CHECK(cues == count);
            free(vtt);
        }
    }
    free(tiles);

    int plane_w = 1 + fuzz_u8(&r), plane_h = 1 + fuzz_u8(&r);
    int linesize = plane_w + fuzz_u8(&r) % 16;
    if ((size_t)linesize * (size_t)(plane_h - 1) + (size_t)plane_w <= r.left) {
        ladder_luma_stats st = ladder_luma_measure(r.p, linesize, plane_w, plane_h);
        FUZZ_CHECK(st.mean >= 0 && st.mean <= 255 && st.stddev >= 0 && st.stddev <= 128);
        ladder_luma_usable(st);
    }
    return 0;
}
