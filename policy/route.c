/*
 * Routing decision (route.h). Pure: reads its inputs,
 * writes one route. The reason is built as the rules are applied, so it
 * says which rule decided and with which numbers.
 */
#include <stdio.h>
#include <string.h>

#include "policy/route.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

const char *ladder_route_kind_name(ladder_route_kind kind)
{
    switch (kind) {
    case LADDER_ROUTE_CPU:  return "cpu";
    case LADDER_ROUTE_GPU:  return "gpu";
    case LADDER_ROUTE_WAIT: return "wait";
    case LADDER_ROUTE_FAIL: return "fail";
    }
    return "?";
}

static int video_codec(ladder_codec c)
{
    switch (c) {
    case LADDER_CODEC_HEVC: return LADDER_VIDEO_HEVC;
    case LADDER_CODEC_AV1:  return LADDER_VIDEO_AV1;
    default:                return LADDER_VIDEO_H264;
    }
}

/* The codec of the first rung d cannot encode, or NULL when it can encode them all. */
static const char *missing_codec(const ladder_device_info *d, const ladder_estimate *e)
{
    if (!e || e->nb_rungs == 0)
        return d->encode[LADDER_VIDEO_H264].usable ? NULL : "h264";
    for (int r = 0; r < e->nb_rungs; r++) {
        int c = video_codec(e->rungs[r].codec);
        if (!d->encode[c].usable)
            return ladder_video_codec_name((enum ladder_video_codec)c);
    }
    return NULL;
}

static int64_t job_pixels(const ladder_estimate *e)
{
    int64_t most = 0;
    for (int r = 0; e && r < e->nb_rungs; r++) {
        int64_t p = (int64_t)e->rungs[r].width * e->rungs[r].height;
        if (p > most)
            most = p;
    }
    return most;
}

static int free_slots(const ladder_route_input *in, int i)
{
    return in->free_slots ? in->free_slots[i] : -1;
}

/* The vendor's own numbering (CUDA ordinal, Intel adapter), not the
 * inventory position: "gpu:N" must name the GPU --decode-device gpu:N and
 * --devices nvidia:gpu=N would. Intel GPUs have no UUID. */
static void gpu_target(const ladder_device_info *d, char *buf, size_t size)
{
    if (d->kind == LADDER_DEVICE_INTEL)
        snprintf(buf, size, "intel:%d", d->vendor_index);
    else if (d->uuid[0])
        snprintf(buf, size, "gpu:%s", d->uuid);
    else
        snprintf(buf, size, "gpu:%d", d->vendor_index);
}

static void set(ladder_route *out, ladder_route_kind kind, int device, const char *target)
{
    out->kind = kind;
    out->device = device;
    snprintf(out->target, sizeof(out->target), "%s", target);
}

/* Steps 1-2 of a decision: the GPUs that may, can and fit, and one
 * rejection of each sort for the reason. */
typedef struct route_scan {
    int gpus, allowed, encodes, fitting;
    int best, best_busy, cpu;     /* device indices; -1: none */
    int64_t need;
    char why_memory[256], why_codec[160];
} route_scan;

static void scan_gpu(const ladder_route_input *in, int i, route_scan *sc)
{
    const ladder_device_info *d = in->devices[i];
    sc->gpus++;
    if (in->allowed && !in->allowed[i])
        return;
    sc->allowed++;
    const char *codec = missing_codec(d, in->estimate);
    if (codec) {
        if (!sc->why_codec[0])
            snprintf(sc->why_codec, sizeof(sc->why_codec), "%s cannot encode %s", d->uuid[0] ? d->uuid : d->name,
                     codec);
        return;
    }
    sc->encodes++;
    double reserve = (double)in->rules.gpu_memory_reserve;
    if (d->memory_free >= 0 && (double)sc->need > (double)d->memory_free - reserve) {
        if (!sc->why_memory[0])
            snprintf(sc->why_memory, sizeof(sc->why_memory),
                     "estimate %.1f GiB > free %.1f GiB - reserve %.1f GiB on %s", sc->need / GIB,
                     d->memory_free / GIB, reserve / GIB, d->uuid[0] ? d->uuid : d->name);
        return;
    }
    sc->fitting++;
    int64_t mem = d->memory_free;   /* -1 unknown sorts last */
    if (free_slots(in, i) != 0) {
        if (sc->best < 0 || mem > in->devices[sc->best]->memory_free)
            sc->best = i;
    } else if (sc->best_busy < 0 || mem > in->devices[sc->best_busy]->memory_free) {
        sc->best_busy = i;
    }
}

static void scan_devices(const ladder_route_input *in, route_scan *sc)
{
    *sc = (route_scan){ .best = -1, .best_busy = -1, .cpu = -1,
                        .need = in->estimate ? in->estimate->gpu_total_bytes : 0 };
    for (int i = 0; i < in->nb_devices; i++) {
        const ladder_device_info *d = in->devices[i];
        if (d->kind == LADDER_DEVICE_CPU && sc->cpu < 0)
            sc->cpu = i;
        else if (d->kind != LADDER_DEVICE_CPU && d->role == LADDER_ROLE_ENCODE)
            scan_gpu(in, i, sc);
    }
}

/* No GPU is a candidate: the CPU, and why. True when that decided it. */
static bool no_candidate(const route_scan *sc, ladder_route *out)
{
    if (sc->gpus == 0)
        snprintf(out->reason, sizeof(out->reason), "no GPU encode device: CPU");
    else if (sc->allowed == 0)
        snprintf(out->reason, sizeof(out->reason), "no GPU encode device allowed by the tiers (%d excluded): CPU",
                 sc->gpus);
    else if (sc->encodes == 0)
        snprintf(out->reason, sizeof(out->reason), "no GPU encode device for the job's codecs (%s): CPU",
                 sc->why_codec);
    else if (sc->fitting == 0)
        snprintf(out->reason, sizeof(out->reason), "%s; CPU", sc->why_memory);
    else
        return false;
    return true;
}

/* Small job with every fitting GPU busy (CPU free or not), or a large job
 * with the CPU and the GPUs busy: when_busy decides. */
static void route_busy(const ladder_route_input *in, const route_scan *sc, bool small, const char *size,
                       ladder_route *out)
{
    const char *busy = small ? "every fitting GPU is busy" : "no CPU slot and every fitting GPU is busy";
    char target[96];
    switch (in->rules.when_busy) {
    case LADDER_WHEN_BUSY_WAIT:
        if (small && sc->best_busy >= 0) {
            gpu_target(in->devices[sc->best_busy], target, sizeof(target));
            set(out, LADDER_ROUTE_WAIT, sc->best_busy, "wait");
            snprintf(out->reason, sizeof(out->reason), "%s prefers GPU; %s: when_busy wait for %s", size, busy,
                     target);
        } else {
            set(out, LADDER_ROUTE_WAIT, -1, "wait");
            snprintf(out->reason, sizeof(out->reason), "%s; %s: when_busy wait", size, busy);
        }
        return;
    case LADDER_WHEN_BUSY_CPU:
        snprintf(out->reason, sizeof(out->reason), "%s; %s: when_busy cpu: CPU", size, busy);
        return;
    case LADDER_WHEN_BUSY_FAIL:
        set(out, LADDER_ROUTE_FAIL, -1, "fail");
        snprintf(out->reason, sizeof(out->reason), "%s; %s: when_busy fail", size, busy);
        return;
    }
}

void ladder_route_decide(const ladder_route_input *in, ladder_route *out)
{
    memset(out, 0, sizeof(*out));
    set(out, LADDER_ROUTE_CPU, -1, "cpu");
    const ladder_estimate *e = in->estimate;
    const ladder_route_rules *rules = &in->rules;
    route_scan sc;
    scan_devices(in, &sc);
    if (no_candidate(&sc, out))
        return;

    /* 3-4: preference, then availability. */
    int64_t pixels = job_pixels(e);
    /* 0: no size rule. A job that fits a GPU's memory goes there ("small
     * jobs on the GPU for speed, jobs that would exhaust its memory on the
     * CPU"); a site may also send big ladders to the CPU by size. */
    bool small = rules->small_job_max_pixels <= 0 || pixels <= rules->small_job_max_pixels;
    bool cpu_has_slot = sc.cpu >= 0 && free_slots(in, sc.cpu) != 0;
    char target[96], size[96];
    if (rules->small_job_max_pixels <= 0)
        snprintf(size, sizeof(size), "job (%lld px, no size rule)", (long long)pixels);
    else
        snprintf(size, sizeof(size), "%s job (%lld px %s %lld)", small ? "small" : "large", (long long)pixels,
                 small ? "<=" : ">", (long long)rules->small_job_max_pixels);

    if (sc.best >= 0 && (small || !cpu_has_slot)) {
        const ladder_device_info *d = in->devices[sc.best];
        gpu_target(d, target, sizeof(target));
        set(out, LADDER_ROUTE_GPU, sc.best, target);
        if (small)
            snprintf(out->reason, sizeof(out->reason), "%s prefers GPU: estimate %.1f GiB <= free %.1f GiB - reserve "
                     "%.1f GiB on %s", size, sc.need / GIB, d->memory_free / GIB, rules->gpu_memory_reserve / GIB,
                     d->uuid[0] ? d->uuid : d->name);
        else
            snprintf(out->reason, sizeof(out->reason), "%s prefers CPU but no CPU slot is free; estimate %.1f GiB "
                     "fits on %s", size, sc.need / GIB, d->uuid[0] ? d->uuid : d->name);
        return;
    }
    if (!small && cpu_has_slot) {
        snprintf(out->reason, sizeof(out->reason), "%s prefers CPU: CPU", size);
        return;
    }
    route_busy(in, &sc, small, size, out);
}
