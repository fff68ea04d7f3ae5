/*
 * Tier files (policy/tiers.c, ladder_tiers_parse): operator JSON. A file
 * that parses names each tier within bounds, and matching it against a
 * few device shapes gives a tier index in range.
 */
#include "fuzz.h"

#include "ladder/error.h"
#include "policy/tiers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    ladder_tiers *t = NULL;
    char err[512];
    err[0] = '\0';
    if (ladder_tiers_parse(&t, s, "tier file fuzz.json", err, sizeof(err))) {
        FUZZ_CHECK(t == NULL && err[0] != '\0');
        free(s);
        return 0;
    }
    int n = ladder_tiers_count(t);
    FUZZ_CHECK(n >= 0);
    for (int i = 0; i < n; i++) {
        const char *name = ladder_tiers_name(t, i);
        FUZZ_CHECK(name && strlen(name) < LADDER_TIER_NAME_MAX);
    }
    ladder_device_info devs[3];
    memset(devs, 0, sizeof(devs));
    devs[0].kind = LADDER_DEVICE_CPU;
    snprintf(devs[0].name, sizeof(devs[0].name), "AMD EPYC");
    devs[0].memory_total = (int64_t)64 << 30;
    devs[0].cores = 16;
    devs[0].encode[LADDER_VIDEO_H264].usable = true;
    devs[1].kind = LADDER_DEVICE_NVIDIA;
    snprintf(devs[1].name, sizeof(devs[1].name), "NVIDIA H100 80GB HBM3");
    devs[1].memory_total = (int64_t)80 << 30;
    devs[1].encode[LADDER_VIDEO_HEVC].usable = true;
    devs[2].kind = LADDER_DEVICE_INTEL;
    devs[2].memory_total = -1;
    const ladder_device_info *ptrs[3] = { &devs[0], &devs[1], &devs[2] };
    for (int d = 0; d < 3; d++) {
        int tier = ladder_tiers_match(t, &devs[d]);
        FUZZ_CHECK(tier >= -1 && tier < n);
    }
    for (const char *const *job = ladder_tiers_job_types(); *job; job++) {
        bool allowed[3];
        int count = ladder_tiers_devices_for(t, *job, ptrs, 3, allowed);
        FUZZ_CHECK(count >= 0 && count <= 3);
    }
    ladder_tiers_devices_for(t, s, ptrs, 3, (bool[3]){ 0 });
    ladder_tiers_close(t);
    free(s);
    return 0;
}
