/* Decode times for the packets of one chunk: see chunk_dts.h. */
#include "chunk_dts.h"

#include <stdlib.h>
#include <string.h>

#include "ladder/error.h"

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Decode times led by depth frames: the (i - depth)th picture shown, the
 * first depth stepping up to the first picture from depth steps before. */
static void led_times(const int64_t *sorted, int n, int depth, int64_t step, int64_t *dts)
{
    for (int i = 0; i < n; i++)
        dts[i] = i >= depth ? sorted[i - depth] : sorted[0] - (int64_t)(depth - i) * step;
}

int chunk_dts_make(const int64_t *pts, int n, const chunk_dts_params *params, int64_t *dts,
                   chunk_dts_result *res)
{
    *res = (chunk_dts_result){ .late_packet = -1, .last_duration = params->last_duration };
    if (n <= 0 || params->depth < 0 || params->step < 1 || params->last_duration < 1)
        return LADDER_EINVAL;
    int64_t *sorted = malloc((size_t)n * sizeof(*sorted));
    if (!sorted)
        return LADDER_ENOMEM;
    memcpy(sorted, pts, (size_t)n * sizeof(*sorted));
    qsort(sorted, (size_t)n, sizeof(*sorted), compare_i64);
    int64_t lead = (int64_t)params->depth * params->step;
    int64_t first = sorted[0] - lead;
    led_times(sorted, n, params->depth, params->step, dts);
    free(sorted);

    /* The decode times end where the next chunk's begin. The last packet
     * may not decode after it is shown: then it decodes at its pts, for
     * as long as it takes to get there. */
    int64_t last = params->end - lead - params->last_duration;
    if (last > pts[n - 1]) {
        last = pts[n - 1];
        res->last_duration = params->end - lead - last;
    }
    dts[n - 1] = last;
    for (int i = n - 2; i >= 0; i--)
        if (dts[i] >= dts[i + 1])
            dts[i] = dts[i + 1] - 1;
    /* Each picture lasts a tick at least, so the steps back above cannot
     * reach the first packet unless the end or a duration is wrong. */
    if (dts[0] != first)
        return LADDER_EINVAL;
    for (int i = 0; i < n; i++) {
        if (dts[i] > pts[i]) {
            res->late_packet = i;
            return LADDER_EINVAL;
        }
    }
    return 0;
}
