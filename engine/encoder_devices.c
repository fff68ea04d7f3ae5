/*
 * One hardware device context per GPU for the session's encoders.
 *
 * Every chunk is a fresh encoder. Without a device context of its own,
 * FFmpeg 5.1's NVENC wrapper creates a CUDA context per encoder
 * (nvenc_setup_device: cuCtxCreate on the "gpu" option's device), and a
 * Quick Sync encoder opens the adapter's VA display again: tens of
 * milliseconds and a context's worth of GPU memory per 2 s chunk. With
 * avctx->hw_device_ctx set, NVENC pushes and pops that context around
 * each call and Quick Sync makes its own session from its handle, so
 * encoders on several threads can share one.
 *
 * The lock only guards the table: a context is created once per GPU, the
 * first time an encoder there asks, and lives until the session closes.
 */
#include "encoder_devices.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/error.h"
#include "ladder/ladder.h"
#include "qsv_device.h"

#define MAX_ENCODER_DEVICES LADDER_MAX_DEVICES

struct encoder_devices {
    pthread_mutex_t lock;
    struct {
        enum AVHWDeviceType type;
        int gpu;
        char render_node[32];
        AVBufferRef *ref;
    } entry[MAX_ENCODER_DEVICES];
    int nb;
};

int encoder_devices_init(encoder_devices **out)
{
    encoder_devices *d = calloc(1, sizeof(*d));
    if (!d)
        return LADDER_ENOMEM;
    pthread_mutex_init(&d->lock, NULL);
    *out = d;
    return 0;
}

void encoder_devices_close(encoder_devices **d)
{
    if (!*d)
        return;
    for (int i = 0; i < (*d)->nb; i++)
        av_buffer_unref(&(*d)->entry[i].ref);
    pthread_mutex_destroy(&(*d)->lock);
    free(*d);
    *d = NULL;
}

static int create(enum AVHWDeviceType type, int gpu, const char *render_node, AVBufferRef **ref)
{
    if (type == AV_HWDEVICE_TYPE_QSV) {
        char node[32];
        return qsv_device_create(ref, render_node, node, sizeof(node));
    }
    char index[16];
    snprintf(index, sizeof(index), "%d", gpu >= 0 ? gpu : 0);
    (void)render_node;
    return av_hwdevice_ctx_create(ref, type, index, NULL, 0);
}

int encoder_devices_get(encoder_devices *d, enum AVHWDeviceType type, int gpu, const char *render_node,
                        AVBufferRef **out)
{
    *out = NULL;
    if (!d)
        return LADDER_EINVAL;
    const char *node = render_node ? render_node : "";
    int ret = 0;
    pthread_mutex_lock(&d->lock);
    int i = 0;
    while (i < d->nb && !(d->entry[i].type == type && d->entry[i].gpu == gpu &&
                          !strcmp(d->entry[i].render_node, node)))
        i++;
    if (i == d->nb) {
        if (d->nb == MAX_ENCODER_DEVICES) {
            ret = LADDER_EINVAL;
        } else {
            AVBufferRef *ref = NULL;
            ret = create(type, gpu, node, &ref) < 0 ? LADDER_EENCODER : 0;
            if (!ret) {
                d->entry[i].type = type;
                d->entry[i].gpu = gpu;
                snprintf(d->entry[i].render_node, sizeof(d->entry[i].render_node), "%s", node);
                d->entry[i].ref = ref;
                d->nb++;
            }
        }
    }
    if (!ret && !(*out = av_buffer_ref(d->entry[i].ref)))
        ret = LADDER_ENOMEM;
    pthread_mutex_unlock(&d->lock);
    return ret;
}
