/*
 * `ladder probe INPUT [--json] [ladder options]`: what the source is, and
 * what `ladder encode` with the same ladder options would produce and cost.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libavutil/log.h>

#include "commands.h"
#include "encode_options.h"
#include "host_config.h"
#include "ladder/device_spec.h"
#include "ladder/ladder.h"
#include "ladder/ladder_config.h"
#include "policy/ladder_estimate.h"
#include "policy/media_probe.h"
#include "engine/timeline_scan.h"

static void probe_usage(FILE *out)
{
    fprintf(out,
        "Usage: ladder probe INPUT [--json] [--timeline-scan SECONDS|all]\n"
        "                          [ladder options]\n"
        "\n"
        "Print the source's container, duration and streams (codec, profile, bit depth,\n"
        "pixel format, HDR transfer, primaries, size, SAR/DAR, frame rate measured from\n"
        "packet timestamps and VFR, rotation; audio rate, channels, layout, language,\n"
        "title, default), and estimates for `ladder encode` with the same ladder:\n"
        "output bytes per rung, peak RAM, encode CPU-seconds, and GPU memory for an\n"
        "NVDEC+NVENC route (uncalibrated: no GPU measured). See docs/PROBE_MODEL.md.\n"
        "The timeline: the gaps, jumps, packets out of line, audio rate/layout changes\n"
        "and frame-rate decisions ladder encode will meet, at their output times, and\n"
        "what it does about each (docs/encoding.md, \"Timelines\").\n"
        "\n"
        "  --json             one JSON document on stdout (schema in docs/probe.md)\n"
        "  --scan SECONDS     video seconds read to measure the frame rate (default 10)\n"
        "  --timeline-scan SECONDS|all\n"
        "                     how much of the input the timeline scan reads (default\n"
        "                     all: the whole file; 0: no timeline)\n"
        "Ladder options: every option of ladder encode (ladder encode --help-all):\n"
        "  --rung, --ladder, --segment, --codec, --preset, --gaps, --devices, ...\n"
        "  --route            also the route ladder encode would decide (cpu, gpu:UUID,\n"
        "                     wait, fail) and its reason (\"route\" in JSON)\n"
        "  --config FILE      host configuration (routing rules, tier file, preset...)\n"
        "  -h, --help         this help\n");
}

static bool parse_number(const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static json_object *ratio(int num, int den)
{
    char text[32];
    snprintf(text, sizeof(text), "%d:%d", num, den);
    return json_object_new_string(text);
}

static json_object *stream_json(const ladder_probe_stream *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "index", json_object_new_int(s->index));
    json_object_object_add(o, "type", json_object_new_string(s->type));
    json_object_object_add(o, "codec", json_object_new_string(s->codec));
    json_object_object_add(o, "profile", s->profile[0] ? json_object_new_string(s->profile) : NULL);
    json_object_object_add(o, "bit_rate", s->bit_rate > 0 ? json_object_new_int64(s->bit_rate) : NULL);
    if (!strcmp(s->type, "video")) {
        json_object_object_add(o, "width", json_object_new_int(s->width));
        json_object_object_add(o, "height", json_object_new_int(s->height));
        json_object_object_add(o, "pix_fmt", s->pix_fmt[0] ? json_object_new_string(s->pix_fmt) : NULL);
        json_object_object_add(o, "bit_depth", s->bit_depth ? json_object_new_int(s->bit_depth) : NULL);
        json_object_object_add(o, "hdr", json_object_new_string(s->hdr));
        json_object_object_add(o, "color_transfer", json_object_new_string(s->color_transfer));
        json_object_object_add(o, "color_primaries", json_object_new_string(s->color_primaries));
        json_object_object_add(o, "sar", ratio(s->sar_num, s->sar_den));
        json_object_object_add(o, "dar", s->dar_den ? ratio(s->dar_num, s->dar_den) : NULL);
        json_object_object_add(o, "header_frame_rate", json_object_new_double(s->header_frame_rate));
        json_object_object_add(o, "avg_frame_rate", json_object_new_double(s->avg_frame_rate));
        json_object_object_add(o, "measured_frame_rate", json_object_new_double(s->measured_frame_rate));
        json_object_object_add(o, "measured_frames", json_object_new_int(s->measured_frames));
        json_object_object_add(o, "vfr", json_object_new_boolean(s->vfr));
        json_object_object_add(o, "frames", s->frames > 0 ? json_object_new_int64(s->frames) : NULL);
        json_object_object_add(o, "frames_counted", json_object_new_boolean(s->frames_counted));
        json_object_object_add(o, "rotation", json_object_new_double(s->rotation));
        json_object_object_add(o, "attached_pic", json_object_new_boolean(s->attached_pic));
    } else if (!strcmp(s->type, "audio")) {
        json_object_object_add(o, "sample_rate", json_object_new_int(s->sample_rate));
        json_object_object_add(o, "channels", json_object_new_int(s->channels));
        json_object_object_add(o, "channel_layout",
                               s->channel_layout[0] ? json_object_new_string(s->channel_layout) : NULL);
        json_object_object_add(o, "bit_depth", s->bit_depth ? json_object_new_int(s->bit_depth) : NULL);
    }
    json_object_object_add(o, "language", s->language[0] ? json_object_new_string(s->language) : NULL);
    json_object_object_add(o, "title", s->title[0] ? json_object_new_string(s->title) : NULL);
    json_object_object_add(o, "default", json_object_new_boolean(s->is_default));
    return o;
}

static json_object *estimate_json(const ladder_estimate *e, const ladder_job *job)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "preset", json_object_new_string(job->preset));
    json_object_object_add(o, "cpu_slots", json_object_new_int(e->cpu_slots));
    json_object_object_add(o, "memory_budget_bytes", json_object_new_int64(e->memory_budget));
    json_object *rungs = json_object_new_array();
    for (int i = 0; i < e->nb_rungs; i++) {
        const ladder_estimate_rung *r = &e->rungs[i];
        json_object *x = json_object_new_object();
        json_object_object_add(x, "name", json_object_new_string(r->name));
        json_object_object_add(x, "width", json_object_new_int(r->width));
        json_object_object_add(x, "height", json_object_new_int(r->height));
        json_object_object_add(x, "codec", json_object_new_string(ladder_config_codec_name(r->codec)));
        json_object_object_add(x, "frame_rate", json_object_new_double(r->frame_rate));
        json_object_object_add(x, "frames", json_object_new_int64(r->frames));
        json_object_object_add(x, "bitrate_kbps", r->bitrate_kbps ? json_object_new_int(r->bitrate_kbps) : NULL);
        json_object_object_add(x, "bytes", r->bytes >= 0 ? json_object_new_int64(r->bytes) : NULL);
        json_object_object_add(x, "cpu_seconds", json_object_new_double(r->cpu_seconds));
        json_object_object_add(x, "gpu_encode_bytes", json_object_new_int64(r->gpu_encode_bytes));
        json_object_array_add(rungs, x);
    }
    json_object_object_add(o, "rungs", rungs);
    json_object_object_add(o, "audio_bytes", json_object_new_int64(e->audio_bytes));
    json_object_object_add(o, "total_bytes", json_object_new_int64(e->total_bytes));
    json_object_object_add(o, "peak_ram_bytes", json_object_new_int64(e->peak_ram_bytes));
    json_object_object_add(o, "cpu_seconds", json_object_new_double(e->cpu_seconds));
    json_object_object_add(o, "cpu_calibrated", json_object_new_boolean(e->cpu_calibrated));
    json_object *gpu = json_object_new_object();
    json_object_object_add(gpu, "calibrated", json_object_new_boolean(false));
    json_object_object_add(gpu, "note", json_object_new_string("uncalibrated: no GPU measured"));
    json_object_object_add(gpu, "decode_bytes", json_object_new_int64(e->gpu_decode_bytes));
    json_object_object_add(gpu, "frames_bytes", json_object_new_int64(e->gpu_frames_bytes));
    json_object_object_add(gpu, "total_bytes", json_object_new_int64(e->gpu_total_bytes));
    json_object_object_add(o, "gpu", gpu);
    return o;
}

static json_object *audio_format_json(int rate, const char *layout)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "sample_rate", json_object_new_int(rate));
    json_object_object_add(o, "channel_layout", json_object_new_string(layout));
    return o;
}

/* The timeline scan: "timeline" in the document (schema in README.md). */
static json_object *timeline_json(const ladder_timeline_scan *t, double limit)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "scan", limit > 0 ? json_object_new_double(limit) : json_object_new_string("all"));
    json_object_object_add(o, "complete", json_object_new_boolean(t->complete));
    json_object_object_add(o, "truncated", json_object_new_boolean(t->truncated));
    json_object_object_add(o, "seconds", json_object_new_double(t->seconds));
    json_object_object_add(o, "bytes", json_object_new_int64(t->bytes));
    json_object_object_add(o, "wall_seconds", json_object_new_double(t->wall_seconds));
    json_object_object_add(o, "video_stream", json_object_new_int(t->video_stream));
    json_object *audio = json_object_new_array();
    for (int i = 0; i < t->nb_audio; i++)
        json_object_array_add(audio, json_object_new_int(t->audio_streams[i]));
    json_object_object_add(o, "audio_streams", audio);
    json_object *rate = json_object_new_object();
    json_object_object_add(rate, "header", json_object_new_double(t->header_frame_rate));
    json_object_object_add(rate, "measured",
                           t->measured_frame_rate > 0 ? json_object_new_double(t->measured_frame_rate) : NULL);
    json_object_object_add(rate, "packets", json_object_new_int64(t->video_packets));
    json_object_object_add(rate, "frames", json_object_new_int64(t->video_frames));
    json_object_object_add(rate, "cfr", json_object_new_boolean(t->cfr));
    json_object_object_add(rate, "implausible", json_object_new_boolean(t->rate_implausible));
    json_object_object_add(rate, "slideshow", json_object_new_boolean(t->slideshow));
    json_object_object_add(rate, "ladder", json_object_new_double(t->ladder_frame_rate));
    json_object_object_add(o, "frame_rate", rate);
    json_object *events = json_object_new_array();
    for (int i = 0; i < t->nb_events; i++) {
        const ladder_timeline_scan_event *e = &t->events[i];
        json_object *x = json_object_new_object();
        json_object_object_add(x, "kind", json_object_new_string(e->kind));
        json_object_object_add(x, "stream", json_object_new_int(e->stream));
        json_object_object_add(x, "at", json_object_new_double(e->at));
        json_object_object_add(x, "size", json_object_new_double(e->size));
        json_object_object_add(x, "action", json_object_new_string(e->action));
        json_object_object_add(x, "input_at", e->has_input_at ? json_object_new_double(e->input_at) : NULL);
        if (!strcmp(e->kind, "jump_back"))
            json_object_object_add(x, "restart", json_object_new_boolean(e->restart));
        if (!strcmp(e->kind, "audio_format")) {
            json_object_object_add(x, "from", audio_format_json(e->from_rate, e->from_layout));
            json_object_object_add(x, "to", audio_format_json(e->to_rate, e->to_layout));
        }
        json_object_array_add(events, x);
    }
    json_object_object_add(o, "events", events);
    json_object_object_add(o, "events_total", json_object_new_int64(t->events_total));
    return o;
}

static void print_json(const ladder_media_probe *p, const ladder_estimate *e, const ladder_job *job,
                       const ladder_route *route, const ladder_timeline_scan *timeline, double timeline_limit)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "input", json_object_new_string(p->path));
    json_object_object_add(o, "format", json_object_new_string(p->format));
    json_object_object_add(o, "format_long", json_object_new_string(p->format_long));
    json_object_object_add(o, "duration", json_object_new_double(p->duration));
    json_object_object_add(o, "size", json_object_new_int64(p->size));
    json_object_object_add(o, "bit_rate", p->bit_rate > 0 ? json_object_new_int64(p->bit_rate) : NULL);
    json_object_object_add(o, "has_video", json_object_new_boolean(p->video_stream >= 0));
    json_object_object_add(o, "video_stream", p->video_stream >= 0 ? json_object_new_int(p->video_stream) : NULL);
    json_object_object_add(o, "scan_seconds", json_object_new_double(p->scan_seconds));
    json_object *streams = json_object_new_array();
    for (int i = 0; i < p->nb_streams; i++)
        json_object_array_add(streams, stream_json(&p->streams[i]));
    json_object_object_add(o, "streams", streams);
    json_object_object_add(o, "timeline", timeline ? timeline_json(timeline, timeline_limit) : NULL);
    json_object_object_add(o, "estimate", e ? estimate_json(e, job) : NULL);
    if (route) {
        json_object *r = json_object_new_object();
        json_object_object_add(r, "decision", json_object_new_string(route->target));
        json_object_object_add(r, "reason", json_object_new_string(route->reason));
        json_object_object_add(o, "route", r);
    }
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

/* The timeline scan in words: one line per event. */
static void print_timeline(const ladder_timeline_scan *t)
{
    printf("timeline (%s: %.3f s, %.1f MB read in %.2f s):\n",
           t->truncated ? "up to a read error: ladder encode refuses a truncated input"
           : t->complete ? "whole input" : "first part (--timeline-scan)",
           t->seconds, t->bytes / 1e6, t->wall_seconds);
    if (t->measured_frame_rate > 0)
        printf("  frame rate %.3f fps measured over %lld packets (header %.3f fps; ladder encode: %.3f fps %s)\n",
               t->measured_frame_rate, (long long)t->video_packets, t->header_frame_rate, t->ladder_frame_rate,
               t->cfr ? "CFR" : "VFR");
    else
        printf("  frame rate: %lld packets without times (header %.3f fps; ladder encode: %.3f fps %s)\n",
               (long long)t->video_packets, t->header_frame_rate, t->ladder_frame_rate, t->cfr ? "CFR" : "VFR");
    if (t->rate_implausible)
        printf("  frame rate: header %.3f fps is implausible: ladder encode times the pictures by count at "
               "%.3f fps\n", t->header_frame_rate, t->ladder_frame_rate);
    else if (t->slideshow)
        printf("  slideshow: ladder encode makes it at %.3f fps, each picture held\n", t->ladder_frame_rate);
    for (int i = 0; i < t->nb_events; i++) {
        const ladder_timeline_scan_event *e = &t->events[i];
        if (!strcmp(e->kind, "frame_rate"))
            continue;             /* said above */
        printf("  %-16s at %.3f s (stream %d", e->kind, e->at, e->stream);
        if (e->has_input_at)
            printf(", input %.3f s", e->input_at);
        if (e->restart)
            printf(", restart");
        printf("): ");
        if (!strcmp(e->kind, "audio_format"))
            printf("%d Hz %s -> %d Hz %s", e->from_rate, e->from_layout, e->to_rate, e->to_layout);
        else
            printf("%+.3f s", e->size);
        printf(": %s\n", e->action);
    }
    if (t->events_total > t->nb_events)
        printf("  %lld more not listed\n", (long long)(t->events_total - t->nb_events));
    else if (t->nb_events == 0 || (t->nb_events == 1 && t->rate_implausible))
        printf("  no gaps, jumps or audio format changes\n");
}

static void print_human(const ladder_media_probe *p, const ladder_estimate *e, const ladder_job *job,
                        const ladder_timeline_scan *timeline)
{
    printf("%s: %s, %.3f s, %.1f MB", p->path, p->format, p->duration, p->size / 1e6);
    if (p->bit_rate > 0)
        printf(", %.0f kb/s", p->bit_rate / 1000.0);
    printf("\n");
    for (int i = 0; i < p->nb_streams; i++) {
        const ladder_probe_stream *s = &p->streams[i];
        printf("  #%d %s %s", s->index, s->type, s->codec);
        if (s->profile[0])
            printf(" (%s)", s->profile);
        if (!strcmp(s->type, "video")) {
            printf(" %dx%d %s %d-bit %s (transfer %s, primaries %s) SAR %d:%d DAR %d:%d, %.3f fps measured "
                   "(header %.3f) %s", s->width, s->height, s->pix_fmt, s->bit_depth, s->hdr, s->color_transfer,
                   s->color_primaries, s->sar_num, s->sar_den, s->dar_num, s->dar_den, s->measured_frame_rate,
                   s->header_frame_rate, s->vfr ? "VFR" : "CFR");
            if (s->frames > 0)
                printf(", %lld frames%s", (long long)s->frames, s->frames_counted ? "" : " (estimate)");
            if (s->rotation != 0)
                printf(", rotation %.0f", s->rotation);
            if (s->attached_pic)
                printf(", cover art");
        } else if (!strcmp(s->type, "audio")) {
            printf(" %d Hz %d ch %s", s->sample_rate, s->channels, s->channel_layout);
        }
        if (s->language[0])
            printf(" lang %s", s->language);
        if (s->title[0])
            printf(" \"%s\"", s->title);
        if (s->is_default)
            printf(" [default]");
        printf("\n");
    }
    if (p->video_stream < 0) {
        printf("no video stream: ladder encode would refuse this input (exit 5)\n");
        return;
    }
    if (timeline)
        print_timeline(timeline);
    /* The encode judges the rate by the header (engine/frame_rate.c): say
     * so where the packet times disagree with it. */
    const ladder_probe_stream *v = ladder_media_probe_video(p);
    if (timeline && v->vfr && timeline->cfr)
        printf("  frame rate: the header claims a constant %.3f fps but the packet times vary (VFR): ladder encode "
               "treats it as CFR\n", timeline->header_frame_rate);
    printf("ladder encode estimate (%s, %d CPU slots, memory budget %.0f MiB):\n", job->preset, e->cpu_slots,
           e->memory_budget / 1048576.0);
    for (int i = 0; i < e->nb_rungs; i++) {
        const ladder_estimate_rung *r = &e->rungs[i];
        printf("  %-10s %4dx%-4d %-4s %7.3f fps %6lld frames  ", r->name, r->width, r->height,
               ladder_config_codec_name(r->codec), r->frame_rate, (long long)r->frames);
        if (r->bytes >= 0)
            printf("%8.2f MB at %d kb/s", r->bytes / 1e6, r->bitrate_kbps);
        else
            printf("     ? MB (CRF)");
        printf("  %6.1f CPU-s\n", r->cpu_seconds);
    }
    if (e->audio_bytes)
        printf("  audio      %.2f MB (every rendition together)\n", e->audio_bytes / 1e6);
    printf("  output     %.2f MB\n", e->total_bytes / 1e6);
    printf("  peak RAM   %.0f MiB\n", e->peak_ram_bytes / 1048576.0);
    printf("  encode CPU %.1f CPU-seconds%s\n", e->cpu_seconds,
           e->cpu_calibrated ? "" : " (uncalibrated for this codec/preset)");
    printf("  GPU memory (NVDEC+NVENC, uncalibrated: no GPU measured): decode %.0f MiB, frames in flight "
           "%.0f MiB, %.0f MiB in total for %d encoder sessions\n", e->gpu_decode_bytes / 1048576.0,
           e->gpu_frames_bytes / 1048576.0, e->gpu_total_bytes / 1048576.0, e->nb_rungs);
}

/*
 * What the input is (the media probe) and, unless timeline_limit < 0, its
 * timeline (the whole input when 0). The timeline scan reads on past the
 * probe's window: when it reads the whole input, its count of the frames
 * replaces the probe's estimate, and the estimate is made of it. Errors are
 * said on stderr.
 */
static int read_source(const char *input, const ladder_job *job, double scan, double timeline_limit,
                       ladder_media_probe **p_out, ladder_timeline_scan **t_out)
{
    char err[512];
    ladder_media_probe *p = NULL;
    ladder_timeline_scan *timeline = NULL;
    int ret = ladder_media_probe_open(&p, input, scan, err, sizeof(err));
    if (!ret && p->video_stream >= 0 && timeline_limit >= 0) {
        ladder_timeline_scan_options topts = {
            .max_seconds = timeline_limit,
            .audio_mode = job->audio_mode,
            .close_gaps = job->close_gaps,
        };
        ret = ladder_timeline_scan_run(&timeline, input, &topts, err, sizeof(err));
        if (!ret && timeline->complete)
            ladder_media_probe_set_frames(p, timeline->video_frames);
    }
    if (ret) {
        fprintf(stderr, "ladder: %s\n", err);
        ladder_media_probe_free(p);
        return ret;
    }
    *p_out = p;
    *t_out = timeline;
    return 0;
}

/* What only probe takes; every other argument is a ladder option. */
typedef struct probe_args {
    bool json, route, help;
    double scan;                  /* seconds read to measure the frame rate */
    double timeline_limit;        /* <= 0: the whole input */
    bool timeline_wanted;
    char **rest;                  /* argv without them, for the option table */
    int nb_rest;
} probe_args;

static int probe_value(int argc, char **argv, int *i, const char *flag, const char **value)
{
    size_t n = strlen(flag);
    if (!strncmp(argv[*i], flag, n) && argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (strcmp(argv[*i], flag))
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "ladder: probe: %s needs a value (try 'ladder probe --help')\n", flag);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

/* Take probe's own flags out of argv. Returns -1 to go on, or an exit status. */
static int probe_split(int argc, char **argv, probe_args *a)
{
    *a = (probe_args){ .scan = 10, .timeline_wanted = true, .rest = calloc((size_t)argc + 1, sizeof(char *)) };
    if (!a->rest)
        return ladder_exit_code(LADDER_ENOMEM);
    a->rest[a->nb_rest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *v;
        int scan = 0, timeline = 0;
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--route") || !strcmp(argv[i], "-h") ||
            !strcmp(argv[i], "--help")) {
            a->json |= argv[i][2] == 'j';
            a->route |= argv[i][2] == 'r';
            a->help |= argv[i][1] == 'h' || argv[i][2] == 'h';
        } else if ((scan = probe_value(argc, argv, &i, "--scan", &v)) > 0) {
            if (!parse_number(v, 0.5, 3600, &a->scan)) {
                fprintf(stderr, "ladder: probe: --scan '%s': expected seconds between 0.5 and 3600\n", v);
                return ladder_exit_code(LADDER_EUSAGE);
            }
        } else if (scan == 0 && (timeline = probe_value(argc, argv, &i, "--timeline-scan", &v)) > 0) {
            bool all = !strcmp(v, "all");
            if (!all && !parse_number(v, 0, 1e9, &a->timeline_limit)) {
                fprintf(stderr, "ladder: probe: --timeline-scan '%s': expected seconds (0: none) or 'all'\n", v);
                return ladder_exit_code(LADDER_EUSAGE);
            }
            a->timeline_limit = all ? 0 : a->timeline_limit;
            a->timeline_wanted = all || a->timeline_limit > 0;
        } else if (scan < 0 || timeline < 0) {
            return ladder_exit_code(LADDER_EUSAGE);
        } else {
            a->rest[a->nb_rest++] = argv[i];
        }
    }
    return -1;
}

/* The ladder options through encode's option table: the same job. */
static int probe_job(probe_args *a, encode_request *req, ladder_job *job)
{
    *req = (encode_request){ .command = "probe", .no_output = true };
    int code = encode_options_parse(req, a->nb_rest, a->rest);
    if (code >= 0)
        return code;
    ladder_device_spec devices[LADDER_MAX_DEVICES];
    char err[512];
    ladder_job_defaults(job);
    if (job_options_to_job(req->options, job, devices, err, sizeof(err))) {
        fprintf(stderr, "ladder: %s\n", err);
        return ladder_exit_code(LADDER_ECONFIG);
    }
    /* The estimate needs the slots the device list would take. */
    if (job->nb_devices > 0) {
        job->cpu_slots = 0;
        for (int d = 0; d < job->nb_devices; d++)
            job->cpu_slots += devices[d].slots;
    }
    job->devices = NULL;
    job->nb_devices = 0;
    return -1;
}

static int probe_report(const probe_args *a, encode_request *req, ladder_job *job)
{
    av_log_set_level(AV_LOG_QUIET);
    ladder_media_probe *p = NULL;
    ladder_timeline_scan *timeline = NULL;
    char err[512];
    int ret = read_source(job->input, job, a->scan, a->timeline_wanted ? a->timeline_limit : -1, &p, &timeline);
    if (ret)
        return ladder_exit_code(ret);
    ladder_estimate est;
    bool have_est = p->video_stream >= 0;
    if (have_est && (ret = ladder_estimate_job(p, job, &est, err, sizeof(err)))) {
        fprintf(stderr, "ladder: %s\n", err);
        ladder_timeline_scan_free(timeline);
        ladder_media_probe_free(p);
        return ladder_exit_code(ret);
    }
    ladder_route route;
    if (a->route) {
        host_inventory hosts = { 0 };
        host_config_route(&req->host, &hosts, have_est ? &est : NULL, &route);
        host_inventory_close(&hosts);
    }
    if (a->json)
        print_json(p, have_est ? &est : NULL, job, a->route ? &route : NULL, timeline, a->timeline_limit);
    else
        print_human(p, have_est ? &est : NULL, job, timeline);
    if (a->route && !a->json)
        printf("route: %s (%s)\n", route.target, route.reason);
    ladder_timeline_scan_free(timeline);
    ladder_media_probe_free(p);
    return 0;
}

int cmd_probe(int argc, char **argv)
{
    probe_args a;
    encode_request req = { 0 };
    ladder_job job;
    int code = probe_split(argc, argv, &a);
    if (code < 0 && a.help) {
        probe_usage(stdout);
        code = 0;
    }
    if (code < 0)
        code = probe_job(&a, &req, &job);
    if (code < 0)
        code = probe_report(&a, &req, &job);
    job_options_close(req.options);
    free(a.rest);
    return code;
}
