/* See encode_devices.h. */
#include "encode_devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/pixdesc.h>

#include "pool/decode_select.h"
#include "ladder/device_inventory.h"
#include "pool/device_select.h"
#include "ladder/error.h"
#include "policy/media_probe.h"

static bool runs_on_cpu(const ladder_device_spec *d)
{
    return !strcmp(d->kind, "cpu") || !strcmp(d->kind, "fault");
}

int encode_devices_resolve(host_inventory *hosts, ladder_device_spec *devices, int *nb)
{
    if (!ladder_device_request_needs_host(devices, *nb))
        return 0;
    ladder_device_info *host = NULL;
    int n = 0;
    const char *nvidia_reason = "";
    int err = host_inventory_devices(hosts, &host, &n, &nvidia_reason);
    if (err) {
        fprintf(stderr, "ladder: --devices: probing the host's devices: %s\n", ladder_strerror(err));
        return err;
    }
    ladder_device_spec *out = calloc(LADDER_MAX_DEVICES, sizeof(*out));
    if (!out) {
        free(host);
        return LADDER_ENOMEM;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char why[320];
    int nb_out = 0;
    err = ladder_device_select(devices, *nb, host, n, nvidia_reason, cores > 0 ? (int)cores : 1, out,
                               LADDER_MAX_DEVICES, &nb_out, why, sizeof(why));
    if (err) {
        fprintf(stderr, "ladder: %s\n", why);
    } else {
        memcpy(devices, out, (size_t)nb_out * sizeof(*out));
        *nb = nb_out;
    }
    free(host);
    free(out);
    return err;
}

int encode_devices_cpu_slots(const ladder_device_spec *devices, int nb, int *cpu_devices)
{
    int slots = 0;
    *cpu_devices = 0;
    for (int d = 0; d < nb; d++) {
        if (!runs_on_cpu(&devices[d]))
            continue;
        slots += devices[d].slots;
        (*cpu_devices)++;
    }
    return slots;
}

void encode_devices_fit(ladder_device_spec *devices, int *nb, int slots)
{
    int cpu_devices = 0;
    int total = encode_devices_cpu_slots(devices, *nb, &cpu_devices);
    if (total <= slots)
        return;
    int keep_devices = cpu_devices <= slots ? cpu_devices : (slots > 0 ? slots : 1);
    if (keep_devices < cpu_devices)
        fprintf(stderr, "ladder: warning: %d host CPU slot(s) for %d CPU devices: using the first %d\n", slots,
                cpu_devices, keep_devices);
    int left = slots - keep_devices, seen = 0, w = 0;
    for (int d = 0; d < *nb; d++) {
        ladder_device_spec dev = devices[d];
        if (runs_on_cpu(&dev)) {
            if (seen++ >= keep_devices)
                continue;             /* dropped */
            int extra = dev.slots - 1 < left ? dev.slots - 1 : left;
            if (extra < 0)
                extra = 0;
            dev.slots = 1 + extra;
            left -= extra;
        }
        devices[w++] = dev;
    }
    *nb = w;
}

/* The source as a GPU decoder sees it; false when it cannot be probed
 * (the engine then reports the input's problem itself). */
static bool probe_source(const char *input, ladder_decode_source *src, char *codec, size_t codec_size)
{
    ladder_media_probe *p = NULL;
    char err[512];
    if (ladder_media_probe_open(&p, input, 0.1, err, sizeof(err)))
        return false;
    const ladder_probe_stream *v = ladder_media_probe_video(p);
    bool ok = v != NULL;
    if (ok) {
        snprintf(codec, codec_size, "%s", v->codec);
        src->codec = codec;
        src->width = v->width;
        src->height = v->height;
        src->bit_depth = v->bit_depth > 0 ? v->bit_depth : 8;
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(av_get_pix_fmt(v->pix_fmt));
        src->chroma_420 = d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3 &&
                          d->log2_chroma_w == 1 && d->log2_chroma_h == 1;
    }
    ladder_media_probe_free(p);
    return ok;
}

int encode_decode_resolve(host_inventory *hosts, const char *request, const char *input, ladder_decode_device *out)
{
    ladder_decode_request req;
    char why[320];
    int err = ladder_decode_request_parse(request, &req, why, sizeof(why));
    if (err) {
        fprintf(stderr, "ladder: %s\n", why);
        return err;
    }
    ladder_decode_source src = { 0 };
    char codec[32];
    if (ladder_decode_request_needs_host(&req) && !probe_source(input, &src, codec, sizeof(codec))) {
        /* Unreadable or without video: the engine says which, on the CPU. */
        memset(out, 0, sizeof(*out));
        snprintf(out->name, sizeof(out->name), "cpu");
        snprintf(out->requested, sizeof(out->requested), "%s", req.text);
        snprintf(out->reason, sizeof(out->reason), "the input could not be probed");
        return 0;
    }
    ladder_device_info *host = NULL;
    int n = 0;
    const char *nvidia_reason = "";
    if (ladder_decode_request_needs_host(&req)) {
        err = host_inventory_devices(hosts, &host, &n, &nvidia_reason);
        if (err) {
            fprintf(stderr, "ladder: --decode-device: probing the host's devices: %s\n", ladder_strerror(err));
            return err;
        }
    }
    err = ladder_decode_select(&req, host, n, nvidia_reason, &src, out, why, sizeof(why));
    if (err)
        fprintf(stderr, "ladder: input '%s': %s\n", input, why);
    free(host);
    return err;
}
