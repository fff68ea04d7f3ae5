/* The run report as JSON (json-c): OUTDIR/report.json and --progress json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ladder/ladder.h"

/* Per device: chunks this rung had encoded there, and why a device was
 * kept off the rung (null when it was not). */
static json_object *rung_devices_json(const ladder_report *rep, const ladder_rung_report *r)
{
    json_object *a = json_object_new_array();
    for (int d = 0; d < rep->nb_devices; d++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(rep->devices[d].name));
        json_object_object_add(o, "chunks", json_object_new_int(r->chunks_by_device[d]));
        json_object_object_add(o, "excluded", r->device_excluded[d][0]
                                                  ? json_object_new_string(r->device_excluded[d]) : NULL);
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *devices_json(const ladder_report *rep)
{
    static const char *const codec_keys[LADDER_CODEC_SLOTS] = { NULL, "h264", "hevc", "av1" };
    json_object *a = json_object_new_array();
    for (int d = 0; d < rep->nb_devices; d++) {
        const ladder_device_report *dr = &rep->devices[d];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(dr->name));
        json_object_object_add(o, "kind", json_object_new_string(dr->kind));
        json_object_object_add(o, "slots", json_object_new_int(dr->slots));
        json_object_object_add(o, "preset", json_object_new_string(dr->preset));
        json_object *enc = json_object_new_object();
        for (int c = 0; c < LADDER_CODEC_SLOTS; c++)
            if (codec_keys[c] && dr->encoders[c][0])
                json_object_object_add(enc, codec_keys[c], json_object_new_string(dr->encoders[c]));
        json_object_object_add(o, "encoders", enc);
        json_object_object_add(o, "chunks", json_object_new_int(dr->chunks));
        json_object_object_add(o, "state", json_object_new_string(ladder_device_state_name(dr->state)));
        json_object_object_add(o, "failures", json_object_new_int(dr->failures));
        json_object_object_add(o, "quarantines", json_object_new_int(dr->quarantines));
        json_object_object_add(o, "last_error", dr->last_error[0] ? json_object_new_string(dr->last_error) : NULL);
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *rung_json(const ladder_report *rep, const ladder_rung_report *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(r->name));
    json_object_object_add(o, "width", json_object_new_int(r->width));
    json_object_object_add(o, "height", json_object_new_int(r->height));
    /* The pixels' shape and the size a player shows (HLS RESOLUTION): the
     * encoded size unless the job kept the exact shape (exact_shape). */
    char sar[24];
    snprintf(sar, sizeof(sar), "%d:%d", r->sar_num, r->sar_den);
    json_object_object_add(o, "sar", json_object_new_string(sar));
    json_object_object_add(o, "display_width", json_object_new_int(r->display_width));
    json_object_object_add(o, "display_height", json_object_new_int(r->display_height));
    /* The box asked for when the source was smaller (not upscaled); null when not clamped. */
    json_object *clamped = NULL;
    if (r->clamped_from_width > 0 || r->clamped_from_height > 0) {
        clamped = json_object_new_object();
        json_object_object_add(clamped, "width",
                               r->clamped_from_width > 0 ? json_object_new_int(r->clamped_from_width) : NULL);
        json_object_object_add(clamped, "height",
                               r->clamped_from_height > 0 ? json_object_new_int(r->clamped_from_height) : NULL);
    }
    json_object_object_add(o, "clamped_from", clamped);
    /* The rung whose pictures this one was scaled from; null: the source. */
    json_object_object_add(o, "scaled_from", r->scaled_from[0] ? json_object_new_string(r->scaled_from) : NULL);
    json_object_object_add(o, "frame_rate", json_object_new_double(r->frame_rate));
    json_object_object_add(o, "frames", json_object_new_int64(r->frames));
    json_object_object_add(o, "segments", json_object_new_int(r->segments));
    json_object_object_add(o, "bytes", json_object_new_int64(r->bytes));
    json_object_object_add(o, "avg_bitrate", json_object_new_int64((int64_t)(r->avg_bitrate + 0.5)));
    json_object_object_add(o, "peak_bitrate", json_object_new_int64((int64_t)(r->peak_bitrate + 0.5)));
    json_object_object_add(o, "duration", json_object_new_double(r->duration));
    json_object_object_add(o, "encode_seconds", json_object_new_double(r->encode_seconds));
    json_object_object_add(o, "encode_cpu_seconds", json_object_new_double(r->encode_cpu_seconds));
    json_object *rc = json_object_new_object();
    json_object_object_add(rc, "abr_chunks", json_object_new_int(r->abr_chunks));
    json_object_object_add(rc, "crf_chunks", json_object_new_int(r->crf_chunks));
    json_object_object_add(rc, "crf_mean", r->crf_chunks ? json_object_new_double(r->crf_mean) : NULL);
    json_object_object_add(o, "rate_control", rc);
    json_object_object_add(o, "chunks", json_object_new_int(r->chunks));
    json_object_object_add(o, "segments_kept", json_object_new_int(r->segments_kept));
    json_object_object_add(o, "chunks_by_helpers", json_object_new_int(r->chunks_by_helpers));
    json_object_object_add(o, "invariant_requeues", json_object_new_int(r->invariant_requeues));
    json_object_object_add(o, "failure_requeues", json_object_new_int(r->failure_requeues));
    json_object_object_add(o, "devices", rung_devices_json(rep, r));
    json_object_object_add(o, "canonical_device", json_object_new_string(r->canonical_device));
    json_object_object_add(o, "codecs", json_object_new_string(r->codecs));
    json_object_object_add(o, "bit_depth", json_object_new_int(r->bit_depth));
    json_object_object_add(o, "state", json_object_new_string(ladder_rung_state_name(r->state)));
    return o;
}

static json_object *audio_json(const ladder_audio_report *a)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "index", json_object_new_int(a->index));
    json_object_object_add(o, "language", a->language[0] ? json_object_new_string(a->language) : NULL);
    json_object_object_add(o, "name", json_object_new_string(a->name));
    json_object_object_add(o, "dir", json_object_new_string(a->dir));
    json_object_object_add(o, "codecs", json_object_new_string(a->codecs));
    json_object_object_add(o, "channels", json_object_new_int(a->channels));
    json_object_object_add(o, "sample_rate", json_object_new_int(a->sample_rate));
    json_object_object_add(o, "copied", json_object_new_boolean(a->copied));
    json_object_object_add(o, "default", json_object_new_boolean(a->is_default));
    json_object_object_add(o, "bitrate", json_object_new_int64((int64_t)(a->bitrate + 0.5)));
    json_object_object_add(o, "peak_bitrate", json_object_new_int64((int64_t)(a->peak_bitrate + 0.5)));
    json_object_object_add(o, "duration", json_object_new_double(a->duration));
    json_object_object_add(o, "segments", json_object_new_int(a->segments));
    return o;
}

/* The input's timeline: each discontinuity found and what was done. */
static json_object *timeline_json(const ladder_report *r)
{
    json_object *o = json_object_new_object();
    json_object *events = json_object_new_array();
    for (int i = 0; i < r->nb_timeline_events; i++) {
        const ladder_timeline_event *e = &r->timeline_events[i];
        json_object *ev = json_object_new_object();
        json_object_object_add(ev, "kind", json_object_new_string(e->kind));
        json_object_object_add(ev, "stream", json_object_new_int(e->stream));
        json_object_object_add(ev, "at", json_object_new_double(e->at));
        json_object_object_add(ev, "size", json_object_new_double(e->size));
        json_object_object_add(ev, "action", json_object_new_string(e->action));
        json_object_array_add(events, ev);
    }
    json_object_object_add(o, "events", events);
    json_object_object_add(o, "events_total", json_object_new_int64(r->timeline_events_total));
    json_object_object_add(o, "frames_held", json_object_new_int64(r->frames_held));
    return o;
}

char *ladder_report_json(const ladder_report *r, const char *input)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "version", json_object_new_string(LADDER_VERSION_STRING));
    json_object_object_add(o, "input", json_object_new_string(input ? input : ""));
    json_object_object_add(o, "wall_seconds", json_object_new_double(r->wall_seconds));
    json_object_object_add(o, "cpu_slots", json_object_new_int(r->cpu_slots));
    json_object_object_add(o, "helpers", json_object_new_boolean(r->helpers));
    json_object_object_add(o, "frames_in", json_object_new_int64(r->frames_in));
    json_object_object_add(o, "source_duration", json_object_new_double(r->source_duration));
    json_object_object_add(o, "timeline", timeline_json(r));
    /* Where the source was decoded, and a switch to the CPU if one happened. */
    json_object *dec = json_object_new_object();
    json_object_object_add(dec, "requested", json_object_new_string(r->decode.requested[0] ? r->decode.requested
                                                                                           : "cpu"));
    json_object_object_add(dec, "device", json_object_new_string(r->decode.name[0] ? r->decode.name : "cpu"));
    json_object_object_add(dec, "reason", json_object_new_string(r->decode.reason));
    json_object_object_add(dec, "frames_on_device", json_object_new_int64(r->decode_frames_device));
    json_object_object_add(dec, "frames_on_cpu", json_object_new_int64(r->decode_frames_cpu));
    json_object *fb = NULL;
    if (r->decode_fallback[0]) {
        fb = json_object_new_object();
        json_object_object_add(fb, "reason", json_object_new_string(r->decode_fallback));
        json_object_object_add(fb, "at_frame", json_object_new_int64(r->decode_frames_device));
        json_object_object_add(fb, "replayed_packets", json_object_new_int64(r->decode_replayed_packets));
    }
    json_object_object_add(dec, "fallback", fb);
    json_object_object_add(o, "decode", dec);
    json_object *mem = json_object_new_object();
    json_object_object_add(mem, "budget_bytes", json_object_new_int64(r->memory_budget));
    json_object_object_add(mem, "queue_peak_bytes", json_object_new_int64(r->queue_peak_bytes));
    json_object_object_add(mem, "frame_pool_bytes", json_object_new_int64(r->frame_pool_bytes));
    json_object_object_add(o, "memory", mem);
    json_object *prio = json_object_new_object();
    json_object_object_add(prio, "class", json_object_new_string(r->realtime ? "realtime" : "batch"));
    json_object_object_add(prio, "yields", json_object_new_int(r->yields));
    json_object_object_add(prio, "yield_seconds", json_object_new_double(r->yield_seconds));
    json_object_object_add(o, "priority", prio);
    /* Whether this run continued an interrupted one (--resume) and what it
     * kept of it; each rung says its own share. */
    json_object *resume = json_object_new_object();
    json_object_object_add(resume, "resumed", json_object_new_boolean(r->resumed));
    json_object_object_add(resume, "segments_kept", json_object_new_int(r->segments_kept));
    json_object_object_add(o, "resume", resume);
    json_object_object_add(o, "deterministic", json_object_new_boolean(r->deterministic));
    json_object_object_add(o, "exact_shape", json_object_new_boolean(r->exact_shape));
    json_object *rungs = json_object_new_array();
    for (int i = 0; i < r->nb_rungs; i++)
        json_object_array_add(rungs, rung_json(r, &r->rungs[i]));
    json_object_object_add(o, "rungs", rungs);
    json_object_object_add(o, "devices", devices_json(r));
    json_object_object_add(o, "parameter_sets", json_object_new_string(
        r->parameter_sets == LADDER_PARAMETER_SETS_IN_BAND ? "in-band" : "out-of-band"));
    json_object *audio = json_object_new_array();
    for (int i = 0; i < r->nb_audio; i++)
        json_object_array_add(audio, audio_json(&r->audio[i]));
    json_object_object_add(o, "audio", audio);
    /* The route the caller decided (cli/host_config.c), null when none. */
    json_object *route = NULL;
    if (r->route[0]) {
        route = json_object_new_object();
        json_object_object_add(route, "decision", json_object_new_string(r->route));
        json_object_object_add(route, "reason", json_object_new_string(r->route_reason));
    }
    json_object_object_add(o, "route", route);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    char *copy = text ? strdup(text) : NULL;
    json_object_put(o);
    return copy;
}
