/*
 * The CPU as a device: the cores this process may run on (its affinity
 * mask, which containers and taskset narrow, not the machine's count), the
 * model, the widest SIMD level, RAM, and the software codecs libavcodec has.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "device_probe.h"
#include "ladder/error.h"

static int usable_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}

/* The first "model name" of /proc/cpuinfo (x86; other CPUs lack it). */
static void cpu_model(char *name, size_t size)
{
    snprintf(name, size, "CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "model name", 10))
            continue;
        const char *colon = strchr(line, ':');
        if (!colon)
            break;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        snprintf(name, size, "%s", colon);
        name[strcspn(name, "\n")] = '\0';
        break;
    }
    fclose(f);
}

static const char *simd_level(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return "avx512f";
    if (__builtin_cpu_supports("avx2"))
        return "avx2";
    if (__builtin_cpu_supports("avx"))
        return "avx";
    if (__builtin_cpu_supports("sse4.2"))
        return "sse4.2";
    if (__builtin_cpu_supports("sse4.1"))
        return "sse4.1";
    if (__builtin_cpu_supports("ssse3"))
        return "ssse3";
    return "sse2";
#elif defined(__aarch64__)
    return "neon";
#else
    return "none";
#endif
}

/* MemTotal and MemAvailable (what can be allocated without swapping). */
static void ram(int64_t *total, int64_t *available)
{
    *total = *available = -1;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return;
    char line[256];
    long long kib;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "MemTotal: %lld kB", &kib) == 1)
            *total = kib * 1024;
        else if (sscanf(line, "MemAvailable: %lld kB", &kib) == 1)
            *available = kib * 1024;
    }
    fclose(f);
}

/* libavcodec's software encoder and decoder for each codec ("" = none
 * ladder uses: ladder does not encode VP9). */
static const char *const cpu_encoders[LADDER_VIDEO_CODEC_COUNT] = {
    "libx264", "libx265", "libsvtav1", "",
};
static const char *const cpu_decoders[LADDER_VIDEO_CODEC_COUNT] = {
    "h264", "hevc", "libdav1d", "vp9",
};

int cpu_probe(ladder_device_inventory *inventory, const ladder_device_drivers *drivers)
{
    ladder_device_info info = { .kind = LADDER_DEVICE_CPU };
    info.cores = usable_cores();
    cpu_model(info.name, sizeof(info.name));
    snprintf(info.simd, sizeof(info.simd), "%s", simd_level());
    ram(&info.memory_total, &info.memory_free);
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        /* Software: the CPU can whatever the library offers, so only the
         * library decides (and the note names what it lacks). */
        ladder_codec_support *enc = &info.encode[c];
        if (cpu_encoders[c][0]) {
            snprintf(enc->library_name, sizeof(enc->library_name), "%s", cpu_encoders[c]);
            enc->device = true;
            enc->bframes = c == LADDER_VIDEO_H264 || c == LADDER_VIDEO_HEVC;
            enc->library = enc->usable = drivers->has_encoder(cpu_encoders[c]);
            if (!enc->library)
                snprintf(enc->note, sizeof(enc->note), "this FFmpeg build has no %s",
                         cpu_encoders[c]);
        }
        ladder_codec_support *dec = &info.decode[c];
        snprintf(dec->library_name, sizeof(dec->library_name), "%s", cpu_decoders[c]);
        dec->device = true;
        dec->library = dec->usable = drivers->has_decoder(cpu_decoders[c]);
        if (!dec->library)
            snprintf(dec->note, sizeof(dec->note), "this FFmpeg build has no %s",
                     cpu_decoders[c]);
    }
    /* One encoder per core: each chunk's encoder is single-threaded. */
    device_assign_role(&info, info.cores, "no software encoder in this FFmpeg build");
    return device_inventory_add(inventory, &info);
}
