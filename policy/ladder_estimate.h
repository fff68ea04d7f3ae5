/*
 * What `ladder encode` would cost for a probed source and a job: output
 * bytes per rung, peak RAM of the process, CPU-seconds of encoding, and a
 * GPU memory figure for an NVDEC+NVENC route. The CPU and RAM constants
 * are fitted to measured runs on x86-64 (docs/PROBE_MODEL.md); the GPU
 * figures are not: no GPU was measured.
 */
#ifndef LADDER_LADDER_ESTIMATE_H
#define LADDER_LADDER_ESTIMATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/ladder.h"
#include "policy/media_probe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_estimate_rung {
    char name[LADDER_NAME_MAX];
    int width, height;            /* as ladder encode sizes it */
    ladder_codec codec;           /* resolved: never DEFAULT */
    double frame_rate;            /* source rate, capped by the rung's max_fps */
    int64_t frames;
    int bitrate_kbps;             /* 0 for a CRF rung */
    int64_t bytes;                /* video bytes at the target bitrate; -1 for CRF (unknown) */
    double cpu_seconds;           /* encode CPU time of this rung */
    int64_t gpu_encode_bytes;     /* NVENC session surfaces for this rung (uncalibrated) */
} ladder_estimate_rung;

typedef struct ladder_estimate {
    int nb_rungs;
    ladder_estimate_rung rungs[LADDER_MAX_RUNGS];
    int cpu_slots;                /* the job's slots (0 in the job = cores) */
    int64_t memory_budget;        /* the job's, or the engine's automatic one */
    int64_t audio_bytes;          /* 0 without audio */
    int64_t total_bytes;          /* video + audio; CRF rungs left out */
    int64_t peak_ram_bytes;       /* peak RSS of ladder encode */
    double cpu_seconds;           /* summed encode_cpu_seconds of the report */
    bool cpu_calibrated;          /* false: codec or preset outside the measured table */
    int64_t gpu_decode_bytes;     /* NVDEC surfaces for the source (uncalibrated) */
    /* Scaled pictures of the chunks in flight, which stay in GPU memory when
     * NVDEC and NVENC share the GPU: what the memory budget lets the
     * engine hold, or the whole ladder's frames if fewer. */
    int64_t gpu_frames_bytes;
    int64_t gpu_total_bytes;      /* decode + every rung's encoder session + frames (uncalibrated) */
} ladder_estimate;

/*
 * Resolve job's ladder for the probed source as ladder encode would (its
 * rungs, else the default ladder; sizes, codecs, validation) and estimate.
 * job->input and output_dir are not used. LADDER_ENOVIDEO when the probe
 * has no video; LADDER_ECONFIG with a one-line reason in err for a bad
 * ladder.
 */
int ladder_estimate_job(const ladder_media_probe *probe, const ladder_job *job,
                        ladder_estimate *out, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_LADDER_ESTIMATE_H */
