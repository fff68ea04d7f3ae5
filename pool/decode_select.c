/*
 * Decode requests to a decode device: see include/ladder/decode_select.h.
 */
#include "pool/decode_select.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_probe.h"
#include "ladder/error.h"

static bool parse_count(const char *text, int min, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > 1000000000L)
        return false;
    *out = (int)v;
    return true;
}

int ladder_decode_request_parse(const char *text, ladder_decode_request *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof(*out));
    out->gpu = -1;
    if (!text || !*text || strlen(text) >= sizeof(out->text))
        return device_request_fail(why, why_size, LADDER_ECONFIG, "--decode-device: expected cpu, gpu[:N|:uuid=UUID], "
                                                   "intel[:N], auto or fault:fail-after=N");
    snprintf(out->text, sizeof(out->text), "%s", text);
    if (!strcmp(text, "cpu")) {
        out->kind = LADDER_DECODE_REQUEST_CPU;
        return 0;
    }
    if (!strcmp(text, "auto")) {
        out->kind = LADDER_DECODE_REQUEST_AUTO;
        return 0;
    }
    if (!strcmp(text, "intel")) {
        out->kind = LADDER_DECODE_REQUEST_INTEL;
        return 0;
    }
    if (!strncmp(text, "intel:", 6)) {
        out->kind = LADDER_DECODE_REQUEST_INTEL;
        const char *index = !strncmp(text + 6, "gpu=", 4) ? text + 10 : text + 6;
        if (parse_count(index, 0, &out->gpu))
            return 0;
        return device_request_fail(why, why_size, LADDER_ECONFIG,
                                   "--decode-device '%s': after intel: an adapter index", text);
    }
    if (!strcmp(text, "gpu") || !strcmp(text, "nvidia")) {
        out->kind = LADDER_DECODE_REQUEST_GPU;
        return 0;
    }
    if (!strncmp(text, "gpu:", 4) || !strncmp(text, "nvidia:", 7)) {
        const char *arg = strchr(text, ':') + 1;
        out->kind = LADDER_DECODE_REQUEST_GPU;
        if (!strncmp(arg, "uuid=", 5) && arg[5] && strlen(arg + 5) < sizeof(out->uuid)) {
            snprintf(out->uuid, sizeof(out->uuid), "%s", arg + 5);
            return 0;
        }
        const char *index = !strncmp(arg, "gpu=", 4) ? arg + 4 : arg;
        if (parse_count(index, 0, &out->gpu))
            return 0;
        return device_request_fail(why, why_size, LADDER_ECONFIG, "--decode-device '%s': after gpu: a GPU index or uuid=UUID",
                    text);
    }
    if (!strncmp(text, "fault:fail-after=", 17)) {
        out->kind = LADDER_DECODE_REQUEST_FAULT;
        if (parse_count(text + 17, 0, &out->fail_after))
            return 0;
        return device_request_fail(why, why_size, LADDER_ECONFIG, "--decode-device '%s': fail-after= wants a frame count", text);
    }
    return device_request_fail(why, why_size, LADDER_ECONFIG,
                "--decode-device '%s': expected cpu, gpu[:N|:uuid=UUID], intel[:N], auto or fault:fail-after=N",
                text);
}

bool ladder_decode_request_needs_host(const ladder_decode_request *r)
{
    return r->kind == LADDER_DECODE_REQUEST_GPU || r->kind == LADDER_DECODE_REQUEST_INTEL ||
           r->kind == LADDER_DECODE_REQUEST_AUTO;
}

static int inventory_codec(const char *name)
{
    static const struct {
        const char *name;
        enum ladder_video_codec codec;
    } map[] = {
        { "h264", LADDER_VIDEO_H264 },
        { "hevc", LADDER_VIDEO_HEVC },
        { "av1", LADDER_VIDEO_AV1 },
        { "vp9", LADDER_VIDEO_VP9 },
    };
    for (size_t i = 0; name && i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i].name, name))
            return (int)map[i].codec;
    return -1;
}

/* Why GPU g cannot decode src ("" when it can); engine: "NVDEC" or "QSV". */
static void decoder_mismatch(const ladder_decode_request *r, const ladder_device_info *g,
                             const ladder_decode_source *src, const char *engine, char *buf, size_t size)
{
    buf[0] = '\0';
    int codec = inventory_codec(src->codec);
    if (r->gpu >= 0 && g->vendor_index != r->gpu) {
        snprintf(buf, size, "not GPU %d", r->gpu);
        return;
    }
    if (r->uuid[0] && strcmp(g->uuid, r->uuid)) {
        snprintf(buf, size, "another UUID");
        return;
    }
    if (codec < 0) {
        snprintf(buf, size, "%s: %s decoding of %s is not supported by ladder", g->name, engine,
                 src->codec ? src->codec : "this codec");
        return;
    }
    const ladder_codec_support *d = &g->decode[codec];
    if (!d->usable) {
        snprintf(buf, size, "%s: %s", g->name, d->note[0] ? d->note : "no hardware decoder for this codec");
    } else if (!src->chroma_420) {
        snprintf(buf, size, "%s: %s is used for 4:2:0 sources only", g->name, engine);
    } else if (src->bit_depth > 8 && (!d->ten_bit || src->bit_depth > 10)) {
        snprintf(buf, size, "%s: %s cannot decode %d-bit %s", g->name, engine, src->bit_depth, src->codec);
    } else if (d->max_width > 0 && d->max_height > 0 &&
               (src->width > d->max_width || src->height > d->max_height)) {
        snprintf(buf, size, "%s: %dx%d is over %s's %dx%d for %s", g->name, src->width, src->height, engine,
                 d->max_width, d->max_height, src->codec);
    }
}

/*
 * The first device of kind (NVIDIA: NVDEC, Intel: QSV) that decodes src,
 * into out; else 0 with *found 0 and last[] the most telling reason.
 * Returns how many devices of that kind the host has.
 */
static int select_kind(const ladder_decode_request *r, const ladder_device_info *host, int nb_host,
                       enum ladder_device_kind kind, const ladder_decode_source *src, ladder_decode_device *out,
                       bool *found, char *last, size_t last_size)
{
    const char *engine = kind == LADDER_DEVICE_NVIDIA ? "NVDEC" : "QSV";
    int gpus = 0;
    *found = false;
    for (int i = 0; i < nb_host; i++) {
        const ladder_device_info *g = &host[i];
        if (g->kind != kind)
            continue;
        gpus++;
        char miss[192];
        decoder_mismatch(r, g, src, engine, miss, sizeof(miss));
        if (miss[0]) {
            /* "not GPU 1" says nothing a user needs when another GPU is the answer. */
            if (strcmp(miss, "another UUID") && strncmp(miss, "not GPU", 7))
                snprintf(last, last_size, "%s", miss);
            continue;
        }
        memset(out, 0, sizeof(*out));
        out->kind = kind == LADDER_DEVICE_NVIDIA ? LADDER_DECODE_NVDEC : LADDER_DECODE_QSV;
        out->gpu = g->vendor_index;
        snprintf(out->render_node, sizeof(out->render_node), "%s", g->render_node);
        snprintf(out->name, sizeof(out->name), "%s%d", kind == LADDER_DEVICE_NVIDIA ? "nvidia" : "intel",
                 g->vendor_index);
        snprintf(out->requested, sizeof(out->requested), "%s", r->text);
        if (kind == LADDER_DEVICE_NVIDIA)
            snprintf(out->reason, sizeof(out->reason), "%.64s decodes %.16s %dx%d %d-bit (%.48s)", g->name,
                     src->codec, src->width, src->height, src->bit_depth, g->uuid[0] ? g->uuid : "no UUID");
        else
            snprintf(out->reason, sizeof(out->reason), "%.64s decodes %.16s %dx%d %d-bit (QSV, adapter %d)%s%.31s",
                     g->name, src->codec, src->width, src->height, src->bit_depth, g->vendor_index,
                     g->render_node[0] ? " on " : "", g->render_node);
        *found = true;
        return gpus;
    }
    return gpus;
}

static void set_cpu(ladder_decode_device *out, const ladder_decode_request *r, const char *reason)
{
    memset(out, 0, sizeof(*out));
    out->kind = LADDER_DECODE_CPU;
    snprintf(out->name, sizeof(out->name), "cpu");
    snprintf(out->requested, sizeof(out->requested), "%s", r->text);
    snprintf(out->reason, sizeof(out->reason), "%.*s", (int)sizeof(out->reason) - 1, reason);
}

int ladder_decode_select(const ladder_decode_request *r, const ladder_device_info *host, int nb_host,
                         const char *nvidia_reason, const ladder_decode_source *src,
                         ladder_decode_device *out, char *why, size_t why_size)
{
    if (r->kind == LADDER_DECODE_REQUEST_CPU) {
        set_cpu(out, r, "asked for");
        return 0;
    }
    if (r->kind == LADDER_DECODE_REQUEST_FAULT) {
        memset(out, 0, sizeof(*out));
        out->kind = LADDER_DECODE_FAULT;
        out->fail_after = r->fail_after;
        snprintf(out->name, sizeof(out->name), "fault");
        snprintf(out->requested, sizeof(out->requested), "%s", r->text);
        snprintf(out->reason, sizeof(out->reason), "drill: fails after %d frames", r->fail_after);
        return 0;
    }

    char last[192] = "";
    bool found = false;
    char reason[256] = "";
    if (r->kind == LADDER_DECODE_REQUEST_GPU || r->kind == LADDER_DECODE_REQUEST_AUTO) {
        int gpus = select_kind(r, host, nb_host, LADDER_DEVICE_NVIDIA, src, out, &found, last, sizeof(last));
        if (found)
            return 0;
        if (!gpus)
            snprintf(reason, sizeof(reason), "no NVIDIA GPU (%s)",
                     nvidia_reason && nvidia_reason[0] ? nvidia_reason : "none found");
        else if (last[0])
            snprintf(reason, sizeof(reason), "%s", last);
        else if (r->uuid[0])
            snprintf(reason, sizeof(reason), "no GPU has UUID %s", r->uuid);
        else
            snprintf(reason, sizeof(reason), "no GPU %d", r->gpu);
    }
    if (r->kind == LADDER_DECODE_REQUEST_INTEL || r->kind == LADDER_DECODE_REQUEST_AUTO) {
        last[0] = '\0';
        int gpus = select_kind(r, host, nb_host, LADDER_DEVICE_INTEL, src, out, &found, last, sizeof(last));
        if (found) {
            if (r->kind == LADDER_DECODE_REQUEST_AUTO && reason[0]) {
                /* Say why not NVIDIA too: the first choice of auto. */
                char qsv[sizeof(out->reason)];
                snprintf(qsv, sizeof(qsv), "%s", out->reason);
                snprintf(out->reason, sizeof(out->reason), "%.96s; %.90s", qsv, reason);
            }
            return 0;
        }
        char intel[192];
        if (!gpus)
            snprintf(intel, sizeof(intel), "no Intel GPU");
        else if (last[0])
            snprintf(intel, sizeof(intel), "%s", last);
        else
            snprintf(intel, sizeof(intel), "no Intel GPU %d", r->gpu);
        if (reason[0]) {
            size_t used = strlen(reason);
            snprintf(reason + used, sizeof(reason) - used, "; %s", intel);
        } else {
            snprintf(reason, sizeof(reason), "%s", intel);
        }
    }
    if (r->kind == LADDER_DECODE_REQUEST_AUTO) {
        set_cpu(out, r, reason);
        return 0;
    }
    return device_request_fail(why, why_size, LADDER_ENODEVICE, "--decode-device %s: %s", r->text, reason);
}
