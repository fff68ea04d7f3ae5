/*
 * Cost estimates for `ladder probe`. The constants come from measured
 * `ladder encode` runs; docs/PROBE_MODEL.md has the inputs, the numbers and
 * the fit. Change them together with that table.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/audio_plan.h"
#include "ladder/ladder_config.h"
#include "policy/ladder_estimate.h"

#define MiB (1024.0 * 1024.0)

/*
 * Peak RSS = RAM_BASE + held raw frames + RAM_PER_RUNG_FRAME x (bytes of
 * one frame of every rung) + slots x (RAM_ENCODER + RAM_ENCODER_PER_MPX x
 * top rung's megapixels). Held raw frames: the whole input's scaled frames
 * while they fit in the memory budget (a short input is decoded ahead of
 * the encoders), else the budget (see the memory bound below).
 */
#define RAM_BASE_BYTES          (26.7 * MiB)
#define RAM_PER_RUNG_FRAME      56.4        /* frames of each rung alive besides the held ones */
#define RAM_ENCODER_BYTES       (24.5 * MiB)
#define RAM_ENCODER_PER_MPX     (31.0 * MiB)

/*
 * CPU-seconds of encoding, one slot, measured for libx264 veryfast: a
 * bitrate rung costs CPU_PER_MBIT per megabit it writes (over the measured
 * ladders that fits better than pixels: the ladder gives more bits per
 * pixel to its middle rungs, and x264's work follows the bits); a CRF rung,
 * whose bits are unknown, costs per frame plus per megapixel-frame. Other
 * presets scale by the relative costs below, which are not measured (the
 * estimate then says uncalibrated). Two or more slots on the same cores
 * cost CPU_CONTENTION more per encoder (shared caches, SMT siblings),
 * measured with --devices cpu:2 on 2 cores.
 */
#define CPU_PER_MBIT            0.111
#define CPU_PER_FRAME           0.00149
#define CPU_PER_MPX_FRAME       0.00859
#define CPU_CONTENTION          0.11

typedef struct preset_cost {
    const char *name;
    double relative;              /* to veryfast */
    bool measured;
} preset_cost;

static const preset_cost x264_presets[] = {
    { "ultrafast", 0.45, false },  { "superfast", 0.7, false }, { "veryfast", 1.0, true },
    { "faster", 1.5, false },     { "fast", 1.9, false },      { "medium", 2.4, false },
    { "slow", 3.6, false },       { "slower", 6.0, false },    { "veryslow", 12.0, false },
    { "placebo", 40.0, false },
};

/* libx265 and SVT-AV1 relative to libx264 at the same preset name: not measured. */
#define CPU_HEVC_FACTOR 4.0
#define CPU_AV1_FACTOR  3.0

/*
 * GPU route, uncalibrated (no GPU measured): NVDEC keeps GPU_DECODE_SURFACES
 * NV12 surfaces of the source (a full H.264/HEVC DPB of 16 plus the
 * decoder's spare ones), and each NVENC session GPU_ENCODE_SURFACES of its
 * rung (input queue, reference and reconstructed frames), plus a fixed
 * per-session overhead. Sizes are aligned to 32 x 32.
 */
#define GPU_DECODE_SURFACES      24
#define GPU_ENCODE_SURFACES      16
#define GPU_SESSION_OVERHEAD     (32.0 * MiB)

static double nv12_bytes(int w, int h)
{
    return ((w + 31) & ~31) * (double)((h + 31) & ~31) * 1.5;
}

static double preset_factor(const char *preset, bool *measured)
{
    for (size_t i = 0; i < sizeof(x264_presets) / sizeof(x264_presets[0]); i++) {
        if (!strcmp(preset, x264_presets[i].name)) {
            *measured = x264_presets[i].measured;
            return x264_presets[i].relative;
        }
    }
    *measured = false;
    return 1.0;
}

/*
 * The engine's default memory budget (engine/session.c,
 * auto_memory_budget(), reimplemented here rather than reaching into the
 * engine): (slots + 1) chunks of the largest rung's raw frames, or a chunk
 * of every rung plus one of the largest if that is more.
 */
static double engine_memory_budget(const ladder_estimate *e, double segment_seconds, double fps)
{
    double frames_per_chunk = ceil(segment_seconds * (fps > 0 ? fps : 30));
    double largest = 0, window = 0;
    for (int i = 0; i < e->nb_rungs; i++) {
        double chunk = (double)e->rungs[i].width * e->rungs[i].height * 1.5 * frames_per_chunk;
        window += chunk;
        if (chunk > largest)
            largest = chunk;
    }
    return fmax(largest * (e->cpu_slots + 1), window + largest);
}

int ladder_estimate_job(const ladder_media_probe *probe, const ladder_job *job,
                        ladder_estimate *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof(*out));
    const ladder_probe_stream *v = ladder_media_probe_video(probe);
    if (!v) {
        snprintf(err, err_size, "input '%s': no video stream", probe->path);
        return LADDER_ENOVIDEO;
    }
    int disp_w, disp_h;
    ladder_media_probe_display_size(probe, &disp_w, &disp_h);
    ladder_rung *rungs = NULL;
    int nb = 0;
    if (job->nb_rungs > 0) {
        rungs = malloc((size_t)job->nb_rungs * sizeof(*rungs));
        if (!rungs)
            return LADDER_ENOMEM;
        memcpy(rungs, job->rungs, (size_t)job->nb_rungs * sizeof(*rungs));
        nb = job->nb_rungs;
    } else if (ladder_config_default_ladder(disp_w, disp_h, &rungs, &nb)) {
        return LADDER_ENOMEM;
    }
    /* As engine/session.c resolves them: codec, size, then validation. */
    int ret = 0;
    for (int i = 0; i < nb && !ret; i++) {
        if (rungs[i].codec == LADDER_CODEC_DEFAULT)
            rungs[i].codec = job->codec != LADDER_CODEC_DEFAULT ? job->codec : LADDER_CODEC_H264;
        if (ladder_config_output_size(&rungs[i], disp_w, disp_h, &rungs[i].width, &rungs[i].height)) {
            snprintf(err, err_size, "rung %d has no size", i + 1);
            ret = LADDER_ECONFIG;
        }
    }
    if (!ret && ladder_config_validate(rungs, nb, err, err_size))
        ret = LADDER_ECONFIG;
    if (ret) {
        free(rungs);
        return ret;
    }

    /* Measured rate first: a VFR header can claim anything. */
    double src_fps = v->measured_frame_rate > 0 ? v->measured_frame_rate
                     : v->avg_frame_rate > 0 ? v->avg_frame_rate : v->header_frame_rate > 0 ? v->header_frame_rate : 25;
    double duration = probe->duration;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    out->cpu_slots = job->cpu_slots > 0 ? job->cpu_slots : (int)(cores > 0 ? cores : 1);
    out->nb_rungs = nb;
    bool measured = true;
    double factor = preset_factor(job->preset ? job->preset : "veryfast", &measured);
    double contention = 1 + CPU_CONTENTION * (out->cpu_slots > 1 ? 1 : 0);
    double held_all = 0, one_frame_each = 0;
    int top = 0;
    for (int i = 0; i < nb; i++) {
        ladder_estimate_rung *r = &out->rungs[i];
        snprintf(r->name, sizeof(r->name), "%s", rungs[i].name);
        r->width = rungs[i].width;
        r->height = rungs[i].height;
        r->codec = rungs[i].codec;
        r->frame_rate = rungs[i].max_fps > 0 && rungs[i].max_fps < src_fps ? rungs[i].max_fps : src_fps;
        /* The source's own count where the probe has one (a rate times a
         * container duration is off by the audio's overhang). */
        r->frames = v->frames > 0 ? (int64_t)llround((double)v->frames * r->frame_rate / src_fps)
                                  : (int64_t)llround(duration * r->frame_rate);
        if (rungs[i].rate_mode == LADDER_RATE_CAPPED_VBR) {
            r->bitrate_kbps = rungs[i].bitrate_kbps;
            r->bytes = (int64_t)llround(r->bitrate_kbps * 1000.0 / 8 * duration);
            out->total_bytes += r->bytes;
        } else {
            r->bytes = -1;
        }
        double mpx = (double)r->width * r->height / 1e6;
        double codec_factor = r->codec == LADDER_CODEC_HEVC ? CPU_HEVC_FACTOR
                              : r->codec == LADDER_CODEC_AV1 ? CPU_AV1_FACTOR : 1.0;
        if (r->codec != LADDER_CODEC_H264)
            measured = false;
        double work = r->bytes >= 0 ? CPU_PER_MBIT * (double)r->bytes * 8 / 1e6
                                    : (CPU_PER_FRAME + CPU_PER_MPX_FRAME * mpx) * (double)r->frames;
        r->cpu_seconds = work * factor * codec_factor * contention;
        out->cpu_seconds += r->cpu_seconds;
        r->gpu_encode_bytes = (int64_t)(GPU_ENCODE_SURFACES * nv12_bytes(r->width, r->height) + GPU_SESSION_OVERHEAD);
        out->gpu_total_bytes += r->gpu_encode_bytes;
        double frame_bytes = (double)r->width * r->height * 1.5;
        held_all += frame_bytes * (double)r->frames;
        one_frame_each += frame_bytes;
        if ((int64_t)r->width * r->height > (int64_t)rungs[top].width * rungs[top].height)
            top = i;
    }
    out->cpu_calibrated = measured;
    /* One rendition per audio stream (--audio all) or the first; each at
     * the asked rate, else the engine's default for its codec and channels
     * (at most 5.1, or --audio-channels). */
    for (int i = 0; job->audio_mode != LADDER_AUDIO_NONE && i < probe->nb_streams; i++) {
        if (strcmp(probe->streams[i].type, "audio"))
            continue;
        int channels = probe->streams[i].channels > 0 ? probe->streams[i].channels : 2;
        int max_channels = job->audio_channels > 0 ? job->audio_channels : 6;
        if (channels > max_channels)
            channels = max_channels;
        int kbps = job->audio_bitrate_kbps > 0 ? job->audio_bitrate_kbps
                                               : ladder_audio_default_kbps(job->audio_codec, channels);
        out->audio_bytes += (int64_t)llround(kbps * 1000.0 / 8 * duration);
        if (job->audio_mode == LADDER_AUDIO_FIRST)
            break;
    }
    out->total_bytes += out->audio_bytes;
    double budget = job->memory_budget > 0 ? (double)job->memory_budget
                    : engine_memory_budget(out, job->segment_seconds > 0 ? job->segment_seconds : 2, src_fps);
    out->memory_budget = (int64_t)budget;
    double top_mpx = (double)out->rungs[top].width * out->rungs[top].height / 1e6;
    out->peak_ram_bytes = (int64_t)(RAM_BASE_BYTES + fmin(held_all, budget) + RAM_PER_RUNG_FRAME * one_frame_each +
                                    out->cpu_slots * (RAM_ENCODER_BYTES + RAM_ENCODER_PER_MPX * top_mpx));
    out->gpu_decode_bytes = (int64_t)(GPU_DECODE_SURFACES * nv12_bytes(v->width, v->height));
    /* On the GPU route the chunks' pictures stay on the GPU (zero copy to
     * NVENC), bounded by the same budget as the CPU route's RAM. */
    out->gpu_frames_bytes = (int64_t)fmin(held_all, budget);
    out->gpu_total_bytes += out->gpu_decode_bytes + out->gpu_frames_bytes;
    free(rungs);
    return 0;
}
