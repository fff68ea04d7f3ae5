/*
 * The --devices list: see include/ladder/device_spec.h.
 */
#include "ladder/device_spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/error.h"
#include "pool/spec_words.h"

static int fail(char *why, size_t why_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t why_size, const char *fmt, ...)
{
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return LADDER_ECONFIG;
}

/* Names end up in lease names, logs, report keys and JSON: keep them to
 * characters that need no quoting anywhere. */
static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

static bool name_taken(const ladder_device_spec *specs, int nb, const char *name)
{
    for (int i = 0; i < nb; i++)
        if (!strcmp(specs[i].name, name))
            return true;
    return false;
}

/* Copy [s, s + len) into dst (size dst_size); false when it does not fit. */
static bool copy_field(char *dst, size_t dst_size, const char *s, size_t len)
{
    if (len >= dst_size)
        return false;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return true;
}

/* One KEY=VALUE of a device. */
static int parse_option(ladder_device_spec *d, const char *opt, size_t len, char *why, size_t why_size)
{
    const char *eq = memchr(opt, '=', len);
    if (!eq || eq == opt || eq + 1 == opt + len)
        return fail(why, why_size, "device '%s': option '%.*s' is not KEY=VALUE", d->kind, (int)len, opt);
    char key[16], value[64];
    if (!copy_field(key, sizeof(key), opt, (size_t)(eq - opt)) ||
        !copy_field(value, sizeof(value), eq + 1, len - (size_t)(eq - opt) - 1))
        return fail(why, why_size, "device '%s': option '%.*s' is too long", d->kind, (int)len, opt);

    ladder_codec codec;
    if (ladder_codec_from_name(key, strlen(key), &codec)) {
        if (!valid_name(value) || !copy_field(d->encoder[codec], sizeof(d->encoder[codec]), value, strlen(value)))
            return fail(why, why_size, "device '%s': encoder name '%s' for %s is not valid", d->kind, value, key);
        return 0;
    }
    if (!strcmp(key, "preset")) {
        if (!valid_name(value) || !copy_field(d->preset, sizeof(d->preset), value, strlen(value)))
            return fail(why, why_size, "device '%s': preset '%s' is not valid", d->kind, value);
        return 0;
    }
    if ((!strcmp(key, "fail-after") || !strcmp(key, "fail-for")) && !strcmp(d->kind, "fault")) {
        char *end = NULL;
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno || !end || *end || n < 0 || n > 1000000)
            return fail(why, why_size, "device '%s': %s '%s' is not a number in 0..1000000", d->kind, key, value);
        *(!strcmp(key, "fail-after") ? &d->fail_after : &d->fail_for) = (int)n;
        return 0;
    }
    if (!strcmp(key, "gpu") && (!strcmp(d->kind, "nvidia") || !strcmp(d->kind, "intel"))) {
        char *end = NULL;
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno || !end || *end || n < 0 || n > 63)
            return fail(why, why_size, "device '%s': gpu '%s' is not a device index in 0..63", d->kind, value);
        d->gpu = (int)n;
        return 0;
    }
    if (!strcmp(key, "uuid") && !strcmp(d->kind, "nvidia")) {
        /* nvidia-smi's spelling, GPU-xxxxxxxx-... (MIG-... for a MIG
         * instance); checked against the host when devices are selected. */
        if ((strncmp(value, "GPU-", 4) && strncmp(value, "MIG-", 4)) || strlen(value) >= sizeof(d->uuid))
            return fail(why, why_size, "device '%s': uuid '%s' is not a GPU UUID (GPU-xxxxxxxx-... or MIG-...)",
                        d->kind, value);
        snprintf(d->uuid, sizeof(d->uuid), "%s", value);
        return 0;
    }
    if (!strcmp(key, "min-free") && !strcmp(d->kind, "nvidia")) {
        int64_t bytes = 0;
        if (ladder_size_parse(value, &bytes) || bytes <= 0)
            return fail(why, why_size, "device '%s': min-free '%s' is not a size like 8G or 512M", d->kind, value);
        d->min_free_bytes = bytes;
        return 0;
    }
    if (!strcmp(key, "name")) {
        if (!valid_name(value) || !copy_field(d->name, sizeof(d->name), value, strlen(value)))
            return fail(why, why_size, "device '%s': name '%s' must be 1-%zu letters, digits, '-' or '_'",
                        d->kind, value, sizeof(d->name) - 1);
        return 0;
    }
    return fail(why, why_size, "device '%s': unknown option '%s' (known: h264=, hevc=, av1=, preset=, name=%s)",
                d->kind, key, !strcmp(d->kind, "fault") ? ", fail-after=, fail-for="
                              : !strcmp(d->kind, "nvidia") ? ", gpu=, uuid=, min-free="
                              : !strcmp(d->kind, "intel") ? ", gpu=" : "");
}

/* One KIND[:SLOTS][:KEY=VALUE...] item of the list, [item, item + len). */
static int parse_device(const char *item, size_t len, int default_slots, ladder_device_spec *d,
                        char *why, size_t why_size)
{
    memset(d, 0, sizeof(*d));
    const char *end = item + len;
    const char *colon = memchr(item, ':', len);
    const char *field_end = colon ? colon : end;
    if (!copy_field(d->kind, sizeof(d->kind), item, (size_t)(field_end - item)) ||
        (strcmp(d->kind, "cpu") && strcmp(d->kind, "fault") && strcmp(d->kind, "nvidia") &&
         strcmp(d->kind, "intel") && strcmp(d->kind, "auto")))
        return fail(why, why_size, "device '%.*s': unknown kind (known: cpu, nvidia, intel, auto, fault)",
                    (int)(field_end - item), item);
    /* A GPU's slots are encode sessions. Without SLOTS the GPU's own count
     * applies, chosen when the request meets the inventory
     * (ladder_device_select(): one per NVENC engine, one for a QSV
     * adapter); 1 stands in until then. Several NVENC sessions on one GPU
     * are safe: FFmpeg 5.1's nvenc makes a CUDA context per encoder, or
     * shares the CUDA frames' context and pushes and pops it around each
     * call into the driver (nvenc_push_context()). */
    bool gpu_kind = !strcmp(d->kind, "nvidia") || !strcmp(d->kind, "intel");
    d->slots = gpu_kind ? 1 : default_slots;
    d->slots_default = gpu_kind;
    d->gpu = -1;
    bool first_field = true;
    for (const char *p = colon ? colon + 1 : end; p < end; first_field = false) {
        const char *next = memchr(p, ':', (size_t)(end - p));
        size_t flen = (size_t)((next ? next : end) - p);
        if (flen == 0)
            return fail(why, why_size, "device '%.*s': empty field", (int)len, item);
        if (first_field && !memchr(p, '=', flen)) {
            char digits[16];
            char *num_end = NULL;
            errno = 0;
            long n = copy_field(digits, sizeof(digits), p, flen) ? strtol(digits, &num_end, 10) : -1;
            if (errno || !num_end || *num_end || n < 1 || n > 1024)
                return fail(why, why_size, "device '%s': slot count '%.*s' is not a number in 1..1024",
                            d->kind, (int)flen, p);
            d->slots = (int)n;
            d->slots_default = false;
        } else {
            int err = parse_option(d, p, flen, why, why_size);
            if (err)
                return err;
        }
        p = next ? next + 1 : end;
    }
    if (d->slots < 1)
        return fail(why, why_size, "device '%s': needs at least one slot", d->kind);
    return 0;
}

int ladder_device_spec_parse(const char *text, int default_slots, ladder_device_spec *out,
                             int max, int *nb, char *why, size_t why_size)
{
    if (!text || !out || !nb || max < 1)
        return LADDER_EINVAL;
    *nb = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0)
            return fail(why, why_size, "devices '%s': empty item", text);
        if (*nb == max)
            return fail(why, why_size, "devices '%s': more than %d devices", text, max);
        ladder_device_spec *d = &out[*nb];
        int err = parse_device(p, len, default_slots, d, why, why_size);
        if (err)
            return err;
        if (!d->name[0]) {
            /* "cpu", then "cpu2", "cpu3": the first keeps the plain kind, so
             * a job with one device names its leases as before ("cpu:0"). */
            snprintf(d->name, sizeof(d->name), "%s", d->kind);
            for (int k = 2; name_taken(out, *nb, d->name); k++)
                snprintf(d->name, sizeof(d->name), "%s%d", d->kind, k);
        } else if (name_taken(out, *nb, d->name)) {
            return fail(why, why_size, "devices '%s': name '%s' is used twice", text, d->name);
        }
        (*nb)++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

void ladder_device_spec_format(const ladder_device_spec *specs, int nb, char *buf, size_t size)
{
    if (!size)
        return;
    size_t used = 0;
    buf[0] = '\0';
#define APPEND(...)                                                             \
    do {                                                                        \
        int n_ = snprintf(buf + used, used < size ? size - used : 0, __VA_ARGS__); \
        if (n_ > 0)                                                             \
            used += (size_t)n_;                                                 \
    } while (0)
    for (int i = 0; i < nb; i++) {
        const ladder_device_spec *d = &specs[i];
        APPEND("%s%s:%d", i ? "," : "", d->kind, d->slots);
        for (int c = 0; c < LADDER_CODEC_SLOTS; c++)
            if (d->encoder[c][0])
                APPEND(":%s=%s", ladder_codec_name((ladder_codec)c), d->encoder[c]);
        if (d->preset[0])
            APPEND(":preset=%s", d->preset);
        if (!strcmp(d->kind, "fault"))
            APPEND(":fail-after=%d:fail-for=%d", d->fail_after, d->fail_for);
        if (d->gpu >= 0)
            APPEND(":gpu=%d", d->gpu);
        if (d->uuid[0])
            APPEND(":uuid=%s", d->uuid);
        /* In MiB when that is exact, else in bytes: the text must parse
         * back to the same size ("min-free=1000" once became "0M", which
         * is refused, and 1.5M became "1M"). */
        if (d->min_free_bytes > 0 && d->min_free_bytes % (1 << 20) == 0)
            APPEND(":min-free=%lldM", (long long)(d->min_free_bytes >> 20));
        else if (d->min_free_bytes > 0)
            APPEND(":min-free=%lld", (long long)d->min_free_bytes);
        if (strcmp(d->name, d->kind))
            APPEND(":name=%s", d->name);
    }
#undef APPEND
    if (used >= size)
        buf[size - 1] = '\0';
}
