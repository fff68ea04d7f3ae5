/*
 * Fake inventory entries for the tier and route tests: ladder_device_info
 * is a plain public struct, so a test builds the devices it needs directly
 * (what pool/ would have probed), with no driver and no inventory handle.
 */
#ifndef LADDER_TEST_FAKE_DEVICES_H
#define LADDER_TEST_FAKE_DEVICES_H

#include <stdio.h>
#include <string.h>

#include "ladder/device_inventory.h"

#define GiB (1024LL * 1024 * 1024)

static inline ladder_device_info fake_cpu(int index, int cores, long long ram)
{
    ladder_device_info d;
    memset(&d, 0, sizeof(d));
    d.index = index;
    d.kind = LADDER_DEVICE_CPU;
    snprintf(d.name, sizeof(d.name), "Fake CPU");
    d.memory_total = ram;
    d.memory_free = ram;
    d.cores = cores;
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        d.encode[c].usable = d.encode[c].device = d.encode[c].library = c != LADDER_VIDEO_VP9;
    d.encoder_sessions = cores;
    d.role = LADDER_ROLE_ENCODE;
    return d;
}

/* An NVIDIA GPU; nvenc: it encodes H.264 and HEVC (and AV1 when av1). */
static inline ladder_device_info fake_gpu(int index, const char *uuid, long long total, long long free_bytes,
                                          bool nvenc, bool av1)
{
    ladder_device_info d;
    memset(&d, 0, sizeof(d));
    d.index = index;
    d.kind = LADDER_DEVICE_NVIDIA;
    snprintf(d.name, sizeof(d.name), "Fake GPU %lld GiB", total / GiB);
    snprintf(d.uuid, sizeof(d.uuid), "%s", uuid);
    d.memory_total = total;
    d.memory_free = free_bytes;
    d.encode[LADDER_VIDEO_H264].usable = nvenc;
    d.encode[LADDER_VIDEO_HEVC].usable = nvenc;
    d.encode[LADDER_VIDEO_AV1].usable = nvenc && av1;
    d.decode[LADDER_VIDEO_H264].usable = true;
    d.encoder_sessions = nvenc ? 8 : 0;
    d.role = nvenc ? LADDER_ROLE_ENCODE : LADDER_ROLE_DECODE_ONLY;
    return d;
}

#endif
