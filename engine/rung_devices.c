/*
 * Which device may encode which rung: the codec invariant decided before
 * the run, not discovered by failure.
 *
 * Every device names, per codec, an encoder library and a preset (its
 * encoder_choice). Before any chunk exists, each distinct choice is asked
 * once per rung for the decoder configuration it produces (a pre-flight:
 * open the encoder with the rung's settings; AV1 also encodes a few
 * frames). The configuration of the first device that has an encoder for
 * the rung's codec is the rung's canonical one:
 * it goes into the init segment, and a device whose configuration is not
 * byte-identical is kept off the rung. With in-band parameter sets
 * (avc3/hev1) a different configuration is accepted when a decoder set up
 * from the canonical profile and level can decode it, since every segment
 * then carries its own. The decisions and the reasons go to the log and
 * the report.
 */
#include "rung_devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux/codec_string.h"
#include "ladder/error.h"
#include "ladder/ladder_config.h"
#include "encoder_backend.h"
#include "session.h"

int rung_devices_init(ladder_session *s)
{
    const ladder_job *job = &s->job;
    if (job->nb_devices > 0) {
        if (!job->devices || job->nb_devices > LADDER_MAX_DEVICES)
            return LADDER_EINVAL;
        for (int d = 0; d < job->nb_devices; d++) {
            if (job->devices[d].slots < 1 || !job->devices[d].name[0])
                return LADDER_EINVAL;
            s->devices[d].spec = job->devices[d];
            atomic_init(&s->devices[d].encodes, 0);
        }
        s->nb_devices = job->nb_devices;
    } else {
        int slots = job->cpu_slots > 0 ? job->cpu_slots : (int)sysconf(_SC_NPROCESSORS_ONLN);
        ladder_device_spec *cpu = &s->devices[0].spec;
        snprintf(cpu->name, sizeof(cpu->name), "cpu");
        snprintf(cpu->kind, sizeof(cpu->kind), "cpu");
        cpu->gpu = -1;
        cpu->slots = slots > 0 ? slots : 1;
        atomic_init(&s->devices[0].encodes, 0);
        s->nb_devices = 1;
    }
    /* Leases come from the pool's devices, matched by name; without a
     * shared pool the session's own is made in this order. */
    for (int p = 0; p < LADDER_LEASE_POOL_MAX_DEVICES; p++)
        s->device_of_pool[p] = -1;
    for (int d = 0; d < s->nb_devices; d++) {
        int p = d;
        if (job->lease_pool) {
            const ladder_lease_pool *pool = job->lease_pool;
            for (p = 0; p < ladder_lease_pool_device_count(pool); p++)
                if (!strcmp(ladder_lease_pool_device_name(pool, p), s->devices[d].spec.name))
                    break;
            if (p == ladder_lease_pool_device_count(pool) || s->device_of_pool[p] >= 0)
                return LADDER_EINVAL;   /* not in the pool (or named twice) */
            s->devices[d].spec.slots = ladder_lease_pool_device_slots(pool, p);
        }
        s->pool_device[d] = p;
        s->device_of_pool[p] = d;
    }
    if (s->job.device_failure_limit <= 0)
        s->job.device_failure_limit = 3;
    if (!(s->job.device_backoff_seconds > 0))
        s->job.device_backoff_seconds = 1.0;
    /* The list is the session's from here: nothing points at the caller's. */
    s->job.devices = NULL;
    s->job.nb_devices = s->nb_devices;
    return 0;
}

int rung_devices_slots(const ladder_session *s)
{
    int slots = 0;
    for (int d = 0; d < s->nb_devices; d++)
        slots += s->devices[d].spec.slots;
    return slots;
}

/* Choose every device's encoder for every codec the ladder uses, then each
 * rung's canonical device: the first in the list that has an encoder for
 * the rung's codec in the linked FFmpeg (a GPU listed first defines the
 * H.264 rungs, the CPU after it the AV1 ones). A device without one is
 * only kept off those rungs (the pre-flight says why); a rung no device
 * can encode fails the run before anything is written. */
int rung_devices_resolve(ladder_session *s)
{
    for (int d = 0; d < s->nb_devices; d++) {
        device_ctx *dev = &s->devices[d];
        for (int i = 0; i < s->nb_rungs; i++) {
            ladder_codec codec = s->rungs[i].cfg.codec;
            encoder_choice *choice = &dev->choice[codec];
            if (choice->backend || choice->preset)
                continue;             /* decided for an earlier rung */
            const char *wanted = dev->spec.encoder[codec];
            choice->preset = dev->spec.preset[0] ? dev->spec.preset : s->preset;
            choice->gpu = dev->spec.gpu;
            choice->caps_known = dev->spec.caps_known;
            choice->max_bframes = dev->spec.max_bframes[codec];
            choice->ten_bit = dev->spec.ten_bit[codec];
            /* Both 32 bytes, both NUL-terminated; snprintf between two fields
             * of the session trips -Wrestrict at -O0. */
            _Static_assert(sizeof(choice->render_node) == sizeof(dev->spec.render_node), "render node sizes");
            memcpy(choice->render_node, dev->spec.render_node, sizeof(choice->render_node));
            /* "none": the operator keeps this codec off the device. */
            if (!strcmp(wanted, "none"))
                continue;
            choice->backend = encoder_backend_for(codec, wanted, dev->spec.kind);
            char known[96];
            encoder_backend_list(codec, known, sizeof(known));
            if (wanted[0] && !choice->backend) {
                session_fail(s, LADDER_ECONFIG, "device %s: ladder has no %s encoder '%s' (known: %s, or none)",
                             dev->spec.name, ladder_config_codec_name(codec), wanted, known);
                return LADDER_ECONFIG;
            }
            if (choice->backend && !encoder_backend_runs_on(choice->backend, dev->spec.kind)) {
                session_fail(s, LADDER_ECONFIG, "device %s: a %s device cannot run %s", dev->spec.name,
                             dev->spec.kind, encoder_backend_name(choice->backend));
                return LADDER_ECONFIG;
            }
        }
    }
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        ladder_codec codec = r->cfg.codec;
        r->canonical_device = -1;
        const char *missing = NULL;
        for (int d = 0; d < s->nb_devices && r->canonical_device < 0; d++) {
            const encoder_backend *b = s->devices[d].choice[codec].backend;
            if (b && avcodec_find_encoder_by_name(encoder_backend_name(b)))
                r->canonical_device = d;
            else if (b && !missing)
                missing = encoder_backend_name(b);
        }
        if (r->canonical_device >= 0)
            continue;
        if (missing)
            session_fail(s, LADDER_ECODEC, "rung %s: codec '%s' is not supported by this build "
                         "(the linked FFmpeg has no %s)", r->cfg.name, ladder_config_codec_name(codec), missing);
        else
            session_fail(s, LADDER_ECODEC, "rung %s: codec '%s' is not supported by this build "
                         "(no device in the list has an %s encoder)", r->cfg.name, ladder_config_codec_name(codec),
                         ladder_config_codec_name(codec));
        return LADDER_ECODEC;
    }
    return 0;
}

static bool same_choice(const encoder_choice *a, const encoder_choice *b)
{
    return a->backend == b->backend && !strcmp(a->preset, b->preset) && a->gpu == b->gpu;
}

static int copy_config(rung_device *dst, const uint8_t *config, int size)
{
    dst->config = malloc((size_t)size + 1);
    if (!dst->config)
        return LADDER_ENOMEM;
    memcpy(dst->config, config, (size_t)size);
    dst->config_size = size;
    return 0;
}

/* The codec string a configuration declares (for comparisons and reasons). */
static int config_codec_string(ladder_codec codec, const uint8_t *config, int size, char *buf, size_t buf_size)
{
    switch (codec) {
    case LADDER_CODEC_H264: return ladder_codec_string_h264(config, (size_t)size, buf, buf_size);
    case LADDER_CODEC_HEVC: return ladder_codec_string_hevc(config, (size_t)size, buf, buf_size);
    case LADDER_CODEC_AV1:  return ladder_codec_string_av1(config, (size_t)size, buf, buf_size);
    default:                return LADDER_EINVAL;
    }
}

/* Decide whether device d may encode rung r, from its pre-flight config. */
static void judge_device(ladder_session *s, rung_ctx *r, int d)
{
    rung_device *rd = &r->on_device[d];
    const rung_device *canon = &r->on_device[r->canonical_device];
    if (rd->config_size == canon->config_size && !memcmp(rd->config, canon->config, (size_t)canon->config_size)) {
        rd->usable = true;
        return;
    }
    char declared[64] = "?", candidate[64] = "?";
    config_codec_string(r->cfg.codec, canon->config, canon->config_size, declared, sizeof(declared));
    config_codec_string(r->cfg.codec, rd->config, rd->config_size, candidate, sizeof(candidate));
    bool in_band = s->job.parameter_sets == LADDER_PARAMETER_SETS_IN_BAND && r->cfg.codec != LADDER_CODEC_AV1;
    if (in_band && ladder_codec_string_decodable(declared, candidate)) {
        rd->usable = true;
        session_log(s, LADDER_LOG_INFO,
                    "rung=%s device=%s event=device_accepted reason=other parameter sets (%s), "
                    "carried in band; decodable as %s",
                    r->cfg.name, s->devices[d].spec.name, candidate, declared);
        return;
    }
    const encoder_choice *choice = &s->devices[d].choice[r->cfg.codec];
    snprintf(rd->why, sizeof(rd->why), "%.20s preset %.12s makes another decoder configuration (%.24s, canonical %.24s)%s",
             encoder_backend_name(choice->backend), choice->preset, candidate, declared,
             in_band ? ": not decodable as the canonical" : "");
}

int rung_devices_preflight(ladder_session *s, rung_ctx *r)
{
    ladder_codec codec = r->cfg.codec;
    /*
     * The canonical device first: the others are judged against it. It is
     * the first device in the list whose encoder opens; one that does not
     * (a GPU whose driver or NVENC is gone) is kept off the rung with the
     * reason and the next one defines the rung, rather than the run failing
     * while another listed device could encode it.
     */
    int canonical = -1, first_failed = -1, first_err = 0;
    bool tried[LADDER_MAX_DEVICES] = { false };
    for (int d = r->canonical_device; d >= 0 && d < s->nb_devices && canonical < 0; d++) {
        const encoder_choice *choice = &s->devices[d].choice[codec];
        if (!choice->backend || !avcodec_find_encoder_by_name(encoder_backend_name(choice->backend)))
            continue;
        rung_device *rd = &r->on_device[d];
        tried[d] = true;
        char refusal[160];
        bool refused = encoder_refuses(s, r, choice, refusal, sizeof(refusal));
        int err = refused ? LADDER_EENCODER
                          : encoder_probe_config(s, r, choice, r->codecpar, &rd->config, &rd->config_size);
        if (err == LADDER_ENOMEM)
            return err;
        if (!err) {
            canonical = d;
            rd->usable = true;
            break;
        }
        if (refused)
            snprintf(rd->why, sizeof(rd->why), "%s", refusal);
        else
            snprintf(rd->why, sizeof(rd->why), "%s (preset %s) cannot encode %dx%d: it does not open",
                     encoder_backend_name(choice->backend), choice->preset, r->width, r->height);
        if (first_failed < 0) {
            first_failed = d;
            first_err = err;
        }
    }
    if (canonical < 0) {
        const encoder_choice *choice = &s->devices[first_failed].choice[codec];
        session_fail(s, first_err, "rung %s: cannot open the %s encoder (%s, preset %s) for %dx%d: %s",
                     r->cfg.name, ladder_config_codec_name(codec), encoder_backend_name(choice->backend),
                     choice->preset, r->width, r->height, r->on_device[first_failed].why);
        return first_err;
    }
    r->canonical_device = canonical;
    for (int k = 0; k < s->nb_devices; k++) {
        int d = k;
        if (d == canonical || tried[d])
            continue;
        const encoder_choice *choice = &s->devices[d].choice[codec];
        rung_device *rd = &r->on_device[d];
        /* Same encoder, preset and GPU as a device probed already (the
         * canonical one, or an earlier one): the same answer. */
        int twin = -1;
        for (int e = 0; e < s->nb_devices && twin < 0; e++) {
            bool probed = e == canonical || tried[e] || e < d;
            if (e != d && probed && choice->backend && same_choice(&s->devices[e].choice[codec], choice))
                twin = e;
        }
        if (twin >= 0) {
            const rung_device *t = &r->on_device[twin];
            rd->usable = t->usable;
            memcpy(rd->why, t->why, sizeof(rd->why));
            if (t->config && copy_config(rd, t->config, t->config_size))
                return LADDER_ENOMEM;
            continue;
        }
        if (!choice->backend) {
            snprintf(rd->why, sizeof(rd->why), "%s has no %s encoder here%s", s->devices[d].spec.name,
                     ladder_config_codec_name(codec),
                     !strcmp(s->devices[d].spec.encoder[codec], "none") ? " (none asked)" : "");
            continue;
        }
        const char *encoder = encoder_backend_name(choice->backend);
        int err = avcodec_find_encoder_by_name(encoder) ? 0 : LADDER_ECODEC;
        if (!err && encoder_refuses(s, r, choice, rd->why, sizeof(rd->why)))
            continue;
        if (!err)
            err = encoder_probe_config(s, r, choice, NULL, &rd->config, &rd->config_size);
        if (err == LADDER_ENOMEM)
            return err;
        if (err)
            snprintf(rd->why, sizeof(rd->why), "%s (preset %s) cannot encode %dx%d%s", encoder, choice->preset,
                     r->width, r->height, err == LADDER_ECODEC ? ": not in the linked FFmpeg" : "");
        else
            judge_device(s, r, d);
    }
    for (int d = 0; d < s->nb_devices; d++)
        if (d != canonical && !r->on_device[d].usable)
            session_log(s, LADDER_LOG_WARNING, "rung=%s device=%s event=device_excluded reason=%s",
                        r->cfg.name, s->devices[d].spec.name, r->on_device[d].why);
    return 0;
}

void rung_devices_report(ladder_session *s)
{
    ladder_report *rep = &s->report;
    rep->nb_devices = s->nb_devices;
    rep->parameter_sets = s->job.parameter_sets;
    rep->realtime = s->job.realtime;
    pthread_mutex_lock(&s->progress_lock);
    for (int d = 0; d < s->nb_devices; d++) {
        const device_ctx *dev = &s->devices[d];
        ladder_device_report *dr = &rep->devices[d];
        snprintf(dr->name, sizeof(dr->name), "%s", dev->spec.name);
        snprintf(dr->kind, sizeof(dr->kind), "%s", dev->spec.kind);
        snprintf(dr->preset, sizeof(dr->preset), "%s", dev->spec.preset[0] ? dev->spec.preset : s->preset);
        dr->slots = dev->spec.slots;
        dr->chunks = dev->health.chunks;
        dr->state = device_health_state(&dev->health);
        dr->failures = dev->health.failures;
        dr->quarantines = dev->health.quarantines;
        snprintf(dr->last_error, sizeof(dr->last_error), "%s", dev->health.last_error);
        for (int c = 0; c < LADDER_CODEC_SLOTS; c++)
            snprintf(dr->encoders[c], sizeof(dr->encoders[c]), "%s",
                     dev->choice[c].backend ? encoder_backend_name(dev->choice[c].backend) : "");
    }
    for (int i = 0; i < s->nb_rungs && i < LADDER_MAX_RUNGS; i++) {
        const rung_ctx *r = &s->rungs[i];
        ladder_rung_report *rr = &rep->rungs[i];
        snprintf(rr->canonical_device, sizeof(rr->canonical_device), "%s",
                 r->canonical_device >= 0 ? s->devices[r->canonical_device].spec.name : "");
        for (int d = 0; d < s->nb_devices; d++) {
            rr->chunks_by_device[d] = r->on_device[d].chunks;
            snprintf(rr->device_excluded[d], sizeof(rr->device_excluded[d]), "%s",
                     r->on_device[d].usable ? "" : r->on_device[d].why);
        }
    }
    pthread_mutex_unlock(&s->progress_lock);
}

void rung_devices_close(rung_ctx *r)
{
    for (int d = 0; d < LADDER_MAX_DEVICES; d++) {
        free(r->on_device[d].config);
        r->on_device[d].config = NULL;
    }
}
