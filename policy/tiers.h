/*
 * Tiers: which device classes may run which job types.
 *
 * A tier file is JSON:
 *
 *   {"tiers": [
 *      {"name": "heavy",
 *       "match": {"kind": "nvidia", "nvenc": true, "min_memory_gib": 16},
 *       "jobs": ["proxy", "conform", "trim", "ladder"]},
 *      {"name": "light", "match": {"kind": ["cpu", "nvidia"]},
 *       "jobs": ["thumbnail", "filmstrip"]}]}
 *
 * Each device of the inventory gets the FIRST tier whose every match
 * condition holds (none: no tier, and the device runs nothing while a tier
 * file is in force). Match keys, all optional (an empty match takes any
 * device):
 *   kind            "cpu" | "nvidia" | "intel", or an array of them
 *   nvenc           true: an NVIDIA device that can encode some codec here;
 *                   false: a device that cannot
 *   encode          array of codecs ("h264", "hevc", "av1", "vp9") the device
 *                   must be able to encode here
 *   min_memory_gib  total memory (GPU memory; RAM for the CPU) at least this
 *   min_cores       CPU cores at least this (GPUs have none: never match)
 *   name_contains   substring of the device name
 * jobs: the job types the tier may run, from ladder_tiers_job_types().
 * Unknown keys, kinds, codecs and job types are errors naming the tier.
 */
#ifndef LADDER_TIERS_H
#define LADDER_TIERS_H

#include <stdbool.h>
#include <stddef.h>

#include "ladder/device_inventory.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_tiers ladder_tiers;

#define LADDER_TIER_NAME_MAX 32

/* Parse tier JSON text; origin names it in errors ("tier file PATH").
 * LADDER_ECONFIG with one line in err, LADDER_ENOMEM. */
int ladder_tiers_parse(ladder_tiers **out, const char *text, const char *origin, char *err, size_t err_size);
/* Read and parse a tier file (unreadable: LADDER_ECONFIG). */
int ladder_tiers_load(ladder_tiers **out, const char *path, char *err, size_t err_size);
void ladder_tiers_close(ladder_tiers *t);

int ladder_tiers_count(const ladder_tiers *t);
const char *ladder_tiers_name(const ladder_tiers *t, int tier);

/* The known job types, NULL-terminated: proxy, conform, trim, ladder,
 * thumbnail, filmstrip. `ladder encode` is a "ladder" job. */
const char *const *ladder_tiers_job_types(void);

/* The tier device d falls in (first match), or -1 for none. */
int ladder_tiers_match(const ladder_tiers *t, const ladder_device_info *d);

/* Whether tier may run job_type (false for tier -1 or an unknown type). */
bool ladder_tiers_allows(const ladder_tiers *t, int tier, const char *job_type);

/*
 * For each of the nb devices, allowed[i] = whether it may run job_type;
 * returns how many may. t NULL (no tier file): every device may.
 */
int ladder_tiers_devices_for(const ladder_tiers *t, const char *job_type,
                             const ladder_device_info *const *devices, int nb, bool *allowed);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_TIERS_H */
