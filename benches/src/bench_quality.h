/*
 * Picture quality of an encoded rung against the source, in-process with
 * libavfilter:
 *
 *   movie=DISTORTED -> setpts=PTS-STARTPTS -> format=yuv420p ----------> psnr -> ssim -> sink
 *   movie=SOURCE -> scale=W:H:flags=bicubic -> format=yuv420p
 *                -> setpts=PTS-STARTPTS -> split -> (psnr ref, ssim ref)
 *
 * Both sides start at 0 (ladder's fMP4 starts at 0, FFmpeg's mov demuxer
 * shifts B-frame offsets, the source may start anywhere), so the filters'
 * timestamp sync pairs frame n with frame n. PSNR comes from the mean of
 * the per-frame MSE (lavfi.psnr.mse_avg), not the mean of per-frame PSNR,
 * which would overweight easy frames; SSIM is the mean of lavfi.ssim.All.
 */
#ifndef LADDER_CLI_BENCH_QUALITY_H
#define LADDER_CLI_BENCH_QUALITY_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_quality {
    double psnr;        /* dB, all planes (the psnr filter's weighting), capped at BENCH_PSNR_MAX */
    double psnr_y;      /* dB, luma only */
    double ssim;        /* 0..1, the ssim filter's "All" */
    int64_t frames;     /* distorted frames compared */
} bench_quality;

/*
 * Compare distorted (a file FFmpeg can read; its first video stream) with
 * source scaled to width x height. Returns 0, or a negative LADDER_E* code
 * with a one-line reason in err.
 */
int bench_quality_measure(const char *distorted, const char *source, int width, int height,
                          bench_quality *out, char *err, size_t err_size);

/* Whether the linked libavfilter has libvmaf (Debian's FFmpeg 5.1 does not). */
int bench_quality_has_vmaf(void);

#endif
