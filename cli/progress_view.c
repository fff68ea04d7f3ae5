/*
 * Progress for people and for programs. Bars go to stderr and redraw in place
 * (ANSI cursor-up), at most every 100 ms so a fast ladder does not spend its
 * time printing. JSON lines go to stdout, one object per event, unthrottled
 * state changes included, so a program never misses a transition.
 */
#include "progress_view.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct progress_view {
    ladder_progress_mode mode;
    int verbosity;
    int nb_lines;                 /* bar lines on screen */
    ladder_rung_progress rows[LADDER_MAX_RUNGS];
    char names[LADDER_MAX_RUNGS][LADDER_NAME_MAX];
    char devices[LADDER_MAX_RUNGS][32];
    int nb_rows;
    double last_draw;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void draw(progress_view *v)
{
    if (v->nb_lines)
        fprintf(stderr, "\033[%dA", v->nb_lines);
    for (int i = 0; i < v->nb_rows; i++) {
        const ladder_rung_progress *p = &v->rows[i];
        double frac = p->frames_total > 0 ? (double)p->frames_done / (double)p->frames_total : 0;
        if (frac > 1)
            frac = 1;
        char bar[31];
        int fill = (int)(frac * 30);
        for (int k = 0; k < 30; k++)
            bar[k] = k < fill ? '#' : '.';
        bar[30] = '\0';
        char eta[32];
        if (p->eta_seconds >= 0)
            snprintf(eta, sizeof(eta), "ETA %4.0fs", p->eta_seconds);
        else
            snprintf(eta, sizeof(eta), "ETA    ?");
        fprintf(stderr, "\033[2K%-8s %4dx%-4d [%s] %5.1f%% %6.1f fps %s %-10s %-9s\n",
                v->names[i], p->width, p->height, bar, frac * 100, p->fps, eta,
                ladder_rung_state_name(p->state), v->devices[i]);
    }
    v->nb_lines = v->nb_rows;
    fflush(stderr);
    v->last_draw = now();
}

static void emit_json(const ladder_rung_progress *p)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string("progress"));
    json_object_object_add(o, "rung", json_object_new_int(p->rung));
    json_object_object_add(o, "name", json_object_new_string(p->name));
    json_object_object_add(o, "width", json_object_new_int(p->width));
    json_object_object_add(o, "height", json_object_new_int(p->height));
    json_object_object_add(o, "state", json_object_new_string(ladder_rung_state_name(p->state)));
    json_object_object_add(o, "frames_done", json_object_new_int64(p->frames_done));
    json_object_object_add(o, "frames_total", json_object_new_int64(p->frames_total));
    json_object_object_add(o, "segments", json_object_new_int(p->segments_written));
    json_object_object_add(o, "bytes", json_object_new_int64(p->bytes));
    json_object_object_add(o, "fps", json_object_new_double(p->fps));
    json_object_object_add(o, "eta", p->eta_seconds >= 0 ? json_object_new_double(p->eta_seconds) : NULL);
    json_object_object_add(o, "device", json_object_new_string(p->device));
    fprintf(stdout, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    fflush(stdout);
    json_object_put(o);
}

static void on_rung(void *opaque, const ladder_rung_progress *p)
{
    progress_view *v = opaque;
    if (v->mode == LADDER_PROGRESS_JSON) {
        emit_json(p);
        return;
    }
    if (v->mode != LADDER_PROGRESS_AUTO || p->rung < 0 || p->rung >= LADDER_MAX_RUNGS)
        return;
    if (p->rung >= v->nb_rows)
        v->nb_rows = p->rung + 1;
    v->rows[p->rung] = *p;
    snprintf(v->names[p->rung], sizeof(v->names[p->rung]), "%s", p->name);
    snprintf(v->devices[p->rung], sizeof(v->devices[p->rung]), "%s", p->device);
    v->rows[p->rung].name = v->names[p->rung];
    v->rows[p->rung].device = v->devices[p->rung];
    bool state_change = p->state == LADDER_RUNG_COMPLETED || p->state == LADDER_RUNG_FAILED;
    if (state_change || now() - v->last_draw > 0.1)
        draw(v);
}

/* Device health changes: a JSON line for programs; people see the
 * engine's warning line for the same event. */
static void on_device(void *opaque, const ladder_device_progress *p)
{
    progress_view *v = opaque;
    if (v->mode != LADDER_PROGRESS_JSON)
        return;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string("device"));
    json_object_object_add(o, "name", json_object_new_string(p->name));
    json_object_object_add(o, "state", json_object_new_string(ladder_device_state_name(p->state)));
    json_object_object_add(o, "chunks", json_object_new_int(p->chunks));
    json_object_object_add(o, "failures", json_object_new_int(p->failures));
    json_object_object_add(o, "quarantines", json_object_new_int(p->quarantines));
    json_object_object_add(o, "last_error", p->last_error && p->last_error[0]
                                                ? json_object_new_string(p->last_error) : NULL);
    fprintf(stdout, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    fflush(stdout);
    json_object_put(o);
}

static void on_log(void *opaque, int level, const char *line)
{
    progress_view *v = opaque;
    if (level > v->verbosity)
        return;
    static const char *names[] = { "error", "warning", "info", "debug" };
    /* Keep the bars below the log lines: erase them, log, redraw. */
    if (v->mode == LADDER_PROGRESS_AUTO && v->nb_lines) {
        fprintf(stderr, "\033[%dA\033[J", v->nb_lines);
        v->nb_lines = 0;
    }
    fprintf(stderr, "ladder: %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], line);
    if (v->mode == LADDER_PROGRESS_AUTO && v->nb_rows)
        draw(v);
}

int progress_view_init(progress_view **out, ladder_progress_mode mode, int verbosity)
{
    progress_view *v = calloc(1, sizeof(*v));
    if (!v)
        return -1;
    if (mode == LADDER_PROGRESS_AUTO && !isatty(STDERR_FILENO))
        mode = LADDER_PROGRESS_NONE;
    v->mode = mode;
    v->verbosity = verbosity;
    *out = v;
    return 0;
}

ladder_progress_sink progress_view_sink(progress_view *v)
{
    return (ladder_progress_sink){ .opaque = v, .on_rung = on_rung, .on_log = on_log, .on_device = on_device };
}

void progress_view_finish(progress_view *v)
{
    if (v->mode == LADDER_PROGRESS_AUTO && v->nb_rows)
        draw(v);
}

void progress_view_close(progress_view *v)
{
    free(v);
}

int progress_view_is_json(const progress_view *v)
{
    return v->mode == LADDER_PROGRESS_JSON;
}

void progress_view_summary(const progress_view *v, const ladder_report *rep, const char *outdir, unsigned formats)
{
    const char *sep = " ";
    fprintf(stderr, "ladder: wrote");
    if (formats & LADDER_FORMAT_HLS) {
        fprintf(stderr, "%s%s/master.m3u8", sep, outdir);
        sep = " and ";
    }
    if (formats & LADDER_FORMAT_DASH) {
        fprintf(stderr, "%s%s/manifest.mpd", sep, outdir);
        sep = " and ";
    }
    if (formats & LADDER_FORMAT_MP4)
        fprintf(stderr, "%s%s/mp4/*.mp4", sep, outdir);
    fprintf(stderr, " in %.1f s (%d slots%s)\n",
            rep->wall_seconds, rep->cpu_slots, rep->helpers ? ", helpers" : "");
    for (int i = 0; i < rep->nb_rungs; i++) {
        const ladder_rung_report *r = &rep->rungs[i];
        fprintf(stderr,
                "  %-8s %4dx%-4d %6lld frames %4d segs avg %6.0f kb/s peak %6.0f kb/s  "
                "enc %.1fs helper chunks %d requeues %d %s\n",
                r->name, r->width, r->height, (long long)r->frames, r->segments,
                r->avg_bitrate / 1000, r->peak_bitrate / 1000, r->encode_seconds,
                r->chunks_by_helpers, r->invariant_requeues, r->codecs);
    }
    for (int i = 0; i < rep->nb_audio; i++) {
        const ladder_audio_report *a = &rep->audio[i];
        fprintf(stderr, "  audio    %-16s %-10s %d ch %5d Hz avg %4.0f kb/s %s%s\n", a->dir, a->codecs,
                a->channels, a->sample_rate, a->bitrate / 1000, a->copied ? "(copied)" : "(encoded)",
                a->is_default ? " default" : "");
    }
    /* Memory is a tuning knob (--memory-budget): show what the bound was
     * and how close the run came to it. */
    fprintf(stderr, "  memory   budget %.0f MiB, raw frames held at peak %.0f MiB, frame pools %.0f MiB\n",
            (double)rep->memory_budget / 1048576, (double)rep->queue_peak_bytes / 1048576,
            (double)rep->frame_pool_bytes / 1048576);
}
