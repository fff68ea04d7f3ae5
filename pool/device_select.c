/*
 * Device requests to devices: see include/ladder/device_select.h.
 */
#include "pool/device_select.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "device_probe.h"
#include "ladder/error.h"

int device_request_fail(char *why, size_t why_size, int code, const char *fmt, ...)
{
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

bool ladder_device_request_needs_host(const ladder_device_spec *requested, int nb)
{
    for (int i = 0; i < nb; i++)
        if (!strcmp(requested[i].kind, "nvidia") || !strcmp(requested[i].kind, "intel") ||
            !strcmp(requested[i].kind, "auto"))
            return true;
    return false;
}

/* A GPU ladder can encode on: the inventory's role says its encoder
 * (NVENC, QSV) opened, and the linked FFmpeg has its H.264 or HEVC wrapper. */
static bool encode_device(const ladder_device_info *d)
{
    return d->role == LADDER_ROLE_ENCODE &&
           (d->encode[LADDER_VIDEO_H264].usable || d->encode[LADDER_VIDEO_HEVC].usable);
}

static bool name_taken(const ladder_device_spec *out, int nb, const char *name)
{
    for (int i = 0; i < nb; i++)
        if (!strcmp(out[i].name, name))
            return true;
    return false;
}

static int push(ladder_device_spec *out, int max, int *nb, const ladder_device_spec *d, char *why, size_t why_size)
{
    if (*nb == max)
        return device_request_fail(why, why_size, LADDER_ECONFIG, "devices: more than %d after expanding the requests", max);
    out[(*nb)++] = *d;
    return 0;
}

/* Why GPU g does not match request r ("" when it does). */
static void mismatch(const ladder_device_spec *r, const ladder_device_info *g, char *buf, size_t size)
{
    buf[0] = '\0';
    if (r->gpu >= 0 && g->vendor_index != r->gpu)
        snprintf(buf, size, "not GPU %d", r->gpu);
    else if (r->uuid[0] && strcmp(g->uuid, r->uuid))
        snprintf(buf, size, "another UUID");
    else if (!encode_device(g))
        snprintf(buf, size, "%s: %s", g->name, g->reason[0] ? g->reason
                 : g->kind == LADDER_DEVICE_INTEL ? "no usable QSV encoder" : "no usable NVENC encoder");
    else if (r->min_free_bytes > 0 && (g->memory_free < 0 || g->memory_free < r->min_free_bytes))
        snprintf(buf, size, "%s has %.1f GiB free, %.1f GiB asked", g->name,
                 g->memory_free < 0 ? 0.0 : (double)g->memory_free / (1 << 30),
                 (double)r->min_free_bytes / (1 << 30));
}

/* One nvidia or intel request (r->kind): a device per matching GPU of that
 * vendor. vendor_reason: why the host has none ("" = it has some). */
/* What the engine's encoder settings need to know of the chosen GPU
 * (B-frames, 10-bit, generation, where it sits), by ladder_codec. */
static void copy_encode_caps(const ladder_device_info *g, ladder_device_spec *d)
{
    static const struct { int slot; enum ladder_video_codec codec; } codecs[] = {
        { LADDER_CODEC_H264, LADDER_VIDEO_H264 },
        { LADDER_CODEC_HEVC, LADDER_VIDEO_HEVC },
        { LADDER_CODEC_AV1, LADDER_VIDEO_AV1 },
    };
    d->caps_known = true;
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        const ladder_codec_support *e = &g->encode[codecs[i].codec];
        d->max_bframes[codecs[i].slot] = e->max_bframes > 0 ? e->max_bframes : (e->bframes ? 1 : 0);
        d->ten_bit[codecs[i].slot] = e->ten_bit;
    }
    d->compute_major = g->compute_major;
    snprintf(d->bus_id, sizeof(d->bus_id), "%s", g->bus_id);
    snprintf(d->render_node, sizeof(d->render_node), "%s", g->render_node);
}

static int expand_gpus(const ladder_device_spec *r, const ladder_device_info *host, int nb_host,
                       const char *vendor_reason, ladder_device_spec *out, int max, int *nb, bool required,
                       char *why, size_t why_size)
{
    int matched = 0, gpus = 0;
    char last_why[192] = "";
    bool intel = !strcmp(r->kind, "intel");
    enum ladder_device_kind vendor = intel ? LADDER_DEVICE_INTEL : LADDER_DEVICE_NVIDIA;
    for (int i = 0; i < nb_host; i++) {
        const ladder_device_info *g = &host[i];
        if (g->kind != vendor)
            continue;
        gpus++;
        char no[192];
        mismatch(r, g, no, sizeof(no));
        if (no[0]) {
            /* The reason that speaks of this GPU, not of another index. */
            if (strncmp(no, "not GPU", 7) && strcmp(no, "another UUID"))
                snprintf(last_why, sizeof(last_why), "%s", no);
            continue;
        }
        ladder_device_spec d = *r;
        snprintf(d.kind, sizeof(d.kind), "%s", intel ? "intel" : "nvidia");
        d.gpu = g->vendor_index;
        /* No SLOTS: the sessions the probe planned for this GPU (one per
         * NVENC engine, within a GeForce system's cap); SLOTS wins. */
        if (r->slots_default)
            d.slots = g->encoder_sessions > 0 ? g->encoder_sessions : 1;
        d.slots_default = false;
        snprintf(d.uuid, sizeof(d.uuid), "%s", g->uuid);
        copy_encode_caps(g, &d);
        /* The user's name for a request that means one GPU; otherwise the
         * CUDA index, stable for the run and shown next to the UUID. */
        bool one = r->gpu >= 0 || r->uuid[0];
        if (!one || !r->name[0] || !strcmp(r->name, d.kind) || name_taken(out, *nb, r->name))
            snprintf(d.name, sizeof(d.name), "%s%d", d.kind, g->vendor_index);
        if (name_taken(out, *nb, d.name))
            continue;             /* the same GPU asked for twice */
        int err = push(out, max, nb, &d, why, why_size);
        if (err)
            return err;
        matched++;
    }
    if (matched || !required)
        return 0;
    char request[96];
    ladder_device_spec_format(r, 1, request, sizeof(request));
    if (last_why[0])
        return device_request_fail(why, why_size, LADDER_ENODEVICE, "devices '%s': no GPU matches (%s)", request, last_why);
    const char *vendor_name = intel ? "Intel" : "NVIDIA";
    if (gpus)
        return device_request_fail(why, why_size, LADDER_ENODEVICE, "devices '%s': no GPU matches (%d %s GPU(s), none with that %s)",
                    request, gpus, vendor_name, r->uuid[0] ? "UUID" : "index");
    return device_request_fail(why, why_size, LADDER_ENODEVICE, "devices '%s': no %s GPU on this host%s%s%s", request, vendor_name,
                vendor_reason && vendor_reason[0] ? " (" : "", vendor_reason ? vendor_reason : "",
                vendor_reason && vendor_reason[0] ? ")" : "");
}

int ladder_device_select(const ladder_device_spec *requested, int nb, const ladder_device_info *host,
                         int nb_host, const char *nvidia_reason, int cpu_slots, ladder_device_spec *out,
                         int max, int *nb_out, char *why, size_t why_size)
{
    if (!requested || !out || !nb_out || nb < 1 || max < 1 || (nb_host > 0 && !host))
        return LADDER_EINVAL;
    *nb_out = 0;
    for (int i = 0; i < nb; i++) {
        const ladder_device_spec *r = &requested[i];
        int err = 0;
        if (!strcmp(r->kind, "nvidia")) {
            err = expand_gpus(r, host, nb_host, nvidia_reason, out, max, nb_out, true, why, why_size);
        } else if (!strcmp(r->kind, "intel")) {
            err = expand_gpus(r, host, nb_host, "oneVPL lists no hardware implementation", out, max, nb_out, true,
                              why, why_size);
        } else if (!strcmp(r->kind, "auto")) {
            /* Everything this host can encode on, the CPU first: it can
             * encode every codec, so it defines every rung. */
            ladder_device_spec cpu = *r;
            snprintf(cpu.kind, sizeof(cpu.kind), "cpu");
            snprintf(cpu.name, sizeof(cpu.name), "%s", name_taken(out, *nb_out, "cpu") ? "cpu-auto" : "cpu");
            cpu.slots = r->slots > 0 ? r->slots : cpu_slots > 0 ? cpu_slots : 1;
            cpu.gpu = -1;
            err = push(out, max, nb_out, &cpu, why, why_size);
            ladder_device_spec gpus = { .slots = 1, .slots_default = true, .gpu = -1 };
            snprintf(gpus.kind, sizeof(gpus.kind), "nvidia");
            memcpy(gpus.preset, r->preset, sizeof(gpus.preset));
            if (!err)
                err = expand_gpus(&gpus, host, nb_host, nvidia_reason, out, max, nb_out, false, why, why_size);
            snprintf(gpus.kind, sizeof(gpus.kind), "intel");
            if (!err)
                err = expand_gpus(&gpus, host, nb_host, "", out, max, nb_out, false, why, why_size);
        } else {
            err = name_taken(out, *nb_out, r->name)
                      ? device_request_fail(why, why_size, LADDER_ECONFIG, "devices: name '%s' is used twice", r->name)
                      : push(out, max, nb_out, r, why, why_size);
        }
        if (err)
            return err;
    }
    return 0;
}
