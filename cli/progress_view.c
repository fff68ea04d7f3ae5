/*
 * Progress for people and for programs.
 *
 * Bars go to stderr: one row per rung and a total row, cut to the
 * terminal's width (asked at every redraw, so a resize needs no SIGWINCH
 * handler: the next redraw fits the new width), redrawn in place at most
 * every 100 ms. A redraw moves the cursor up over what the last one drew
 * and writes each line over an old one (rewind_bars() says why not "erase
 * below"); after the terminal narrowed, the old rows may have been
 * re-wrapped onto more lines, and it moves up over those. Anything else
 * printed while bars are up (log lines, the stop watcher's notice) goes
 * through the view: written where the bars were, the bars drawn again
 * below it, so no row is ever left on screen twice.
 *
 * JSON lines go to stdout (docs/PROGRESS.md): every line has "type" and
 * "t"; a rung's line on every state or segment change and at most every
 * 0.5 s otherwise; an "overall" line at most every second, when a rung
 * completes or fails and once at the end; an "error" line before a
 * failing exit.
 */
#include "progress_view.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "progress_format.h"
#include "progress_json.h"

#define DRAW_INTERVAL 0.1         /* seconds between two redraws of the bars */
#define JSON_RUNG_INTERVAL 0.5    /* ... between two lines of one rung with no news */
#define JSON_OVERALL_INTERVAL 1.0 /* ... between two overall lines */
#define ROW_MAX 512               /* one row's bytes */

/* A growing text the redraw writes at once: one write, no flicker, no
 * other thread's line in the middle of it. */
typedef struct screen_text {
    char buf[(LADDER_MAX_RUNGS + 4) * ROW_MAX + 2048];
    size_t len;
} screen_text;

struct progress_view {
    ladder_progress_mode mode;
    int verbosity;
    /* Guards everything below: engine threads (the sink), the stop
     * watcher (notice) and the command's thread (finish, error) write. */
    pthread_mutex_t lock;
    ladder_rung_progress rows[LADDER_MAX_RUNGS];
    char names[LADDER_MAX_RUNGS][LADDER_NAME_MAX];
    char devices[LADDER_MAX_RUNGS][32];
    int nb_rows;
    double elapsed;               /* the latest event's, from the run's start */
    /* bars on screen */
    int drawn;                    /* rows drawn (total included); 0: none */
    int drawn_cols[LADDER_MAX_RUNGS + 1];
    int drawn_width;              /* the terminal's width then */
    int stale;                    /* lines below the cursor a redraw has not written yet */
    double last_draw;
    bool finished;                /* the final redraw was made */
    screen_text screen;           /* what a redraw writes */
    /* JSON lines */
    double json_at[LADDER_MAX_RUNGS];
    ladder_rung_state json_state[LADDER_MAX_RUNGS];
    int json_segments[LADDER_MAX_RUNGS];
    bool json_seen[LADDER_MAX_RUNGS];
    double overall_at;
    bool overall_final;
    bool error_told;              /* progress_view_error() ran: once per run */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* stderr's terminal size; 80x24 when it has none (COLUMNS if set). */
static void terminal_size(int *width, int *height)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        *width = ws.ws_col;
        *height = ws.ws_row;
        return;
    }
    const char *cols = getenv("COLUMNS");
    *width = cols && atoi(cols) > 0 ? atoi(cols) : 80;
    *height = 24;
}

static void put(screen_text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n < sizeof(t->buf)) {
        memcpy(t->buf + t->len, s, n);
        t->len += n;
    }
}

/*
 * Move up to the first line of the bars on screen; the lines from there to
 * where the cursor was are stale until written again. Not "erase below"
 * (ED): at the top of the screen it is a whole-screen clear, which tmux
 * (scroll-on-clear) and others keep in their history, a copy per redraw.
 * Each line written clears its own line instead, and clear_stale() the
 * lines left over.
 */
static void rewind_bars(progress_view *v, screen_text *t, int width)
{
    int up = 0;
    for (int i = 0; i < v->drawn; i++)
        up += width < v->drawn_width ? progress_wrapped_lines(v->drawn_cols[i], width) : 1;
    if (up > 0) {
        char seq[32];
        snprintf(seq, sizeof(seq), "\r\033[%dA", up);
        put(t, seq);
    }
    v->stale += up;
    v->drawn = 0;
}

/* A line over a stale one, cleared first: the whole line, which also
 * drops a terminal's note that it was wrapped (tmux keeps one on a line it
 * re-wrapped after a resize, and would join it with the next one). */
static void put_line(progress_view *v, screen_text *t, const char *line, int width)
{
    put(t, "\033[2K");
    put(t, line);
    put(t, "\n");
    v->stale -= progress_wrapped_lines(progress_columns(line), width);
    if (v->stale < 0)
        v->stale = 0;
}

/* Blank the stale lines below what was written, and come back up. */
static void clear_stale(progress_view *v, screen_text *t)
{
    for (int i = 0; i < v->stale; i++)
        put(t, "\033[2K\n");
    if (v->stale > 0) {
        char seq[32];
        snprintf(seq, sizeof(seq), "\033[%dA", v->stale);
        put(t, seq);
    }
    v->stale = 0;
}

static int name_width(const progress_view *v)
{
    int w = 0;
    for (int i = 0; i < v->nb_rows; i++) {
        int n = progress_columns(v->names[i]);
        w = n > w ? n : w;
    }
    return w;
}

/* One row into the text, remembered for the next rewind. */
static void put_row(progress_view *v, screen_text *t, const char *row, int width)
{
    put_line(v, t, row, width);
    v->drawn_cols[v->drawn++] = progress_columns(row);
}

/* The bars into t, from where the cursor is (after rewind_bars()). */
static void draw_into(progress_view *v, screen_text *t, int width, int height)
{
    progress_layout layout = progress_layout_for(width, name_width(v));
    /* More rows than the screen has lines could not be moved up over:
     * the first rungs that fit, and the total. */
    int rows = v->nb_rows;
    if (height >= 3 && rows > height - 2)
        rows = height - 2;
    char row[ROW_MAX];
    for (int i = 0; i < rows; i++) {
        progress_format_rung(row, sizeof(row), &layout, &v->rows[i]);
        put_row(v, t, row, width);
    }
    progress_total total;
    progress_total_of(v->rows, v->nb_rows, v->elapsed, &total);
    progress_format_total(row, sizeof(row), &layout, &total);
    put_row(v, t, row, width);
    clear_stale(v, t);
    v->drawn_width = width;
    v->last_draw = now();
}

static void write_screen(const screen_text *t)
{
    fwrite(t->buf, 1, t->len, stderr);
    fflush(stderr);
}

static void draw(progress_view *v)
{
    int width, height;
    terminal_size(&width, &height);
    v->screen.len = 0;
    rewind_bars(v, &v->screen, width);
    draw_into(v, &v->screen, width, height);
    write_screen(&v->screen);
}

/* A line above the bars: written over them, the bars drawn again below
 * it, in one write. */
static void print_above(progress_view *v, const char *line)
{
    if (v->mode != LADDER_PROGRESS_AUTO || !v->drawn || v->finished) {
        fprintf(stderr, "%s\n", line);
        fflush(stderr);
        return;
    }
    int width, height;
    terminal_size(&width, &height);
    v->screen.len = 0;
    rewind_bars(v, &v->screen, width);
    put_line(v, &v->screen, line, width);
    draw_into(v, &v->screen, width, height);
    write_screen(&v->screen);
}

/* --- JSON lines ------------------------------------------------------ */

static void json_print(json_object *o)
{
    struct timespec ts;
    char t[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    progress_json_utc(t, sizeof(t), &ts);
    /* "type" first, "t" second: a reader that scans sees both at once. */
    json_object *line = json_object_new_object();
    json_object_object_foreach(o, key, val) {
        if (!strcmp(key, "type")) {
            json_object_object_add(line, key, json_object_get(val));
            json_object_object_add(line, "t", json_object_new_string(t));
        }
    }
    json_object_object_foreach(o, key2, val2) {
        if (strcmp(key2, "type"))
            json_object_object_add(line, key2, json_object_get(val2));
    }
    fprintf(stdout, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    fflush(stdout);
    json_object_put(line);
    json_object_put(o);
}

/* A number written with a fixed count of decimals ("elapsed":6.71, not
 * 6.7099999999999999). */
static json_object *fixed(double x, int decimals)
{
    char text[48];
    snprintf(text, sizeof(text), "%.*f", decimals, x);
    /* Trailing zeros say nothing: 30.000 is 30.0, 6.710 is 6.71. */
    char *dot = strchr(text, '.');
    if (dot) {
        char *end = text + strlen(text) - 1;
        while (end > dot + 1 && *end == '0')
            *end-- = '\0';
    }
    return json_object_new_double_s(x, text);
}

/* Unknown figures (< 0) are null. */
static json_object *fixed_or_null(double x, int decimals)
{
    return x >= 0 ? fixed(x, decimals) : NULL;
}

static void emit_rung(const ladder_rung_progress *p)
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
    json_object_object_add(o, "frames_encoding", json_object_new_int64(p->frames_encoding));
    json_object_object_add(o, "percent", fixed(progress_rung_fraction(p) * 100, 1));
    json_object_object_add(o, "segments", json_object_new_int(p->segments_written));
    json_object_object_add(o, "bytes", json_object_new_int64(p->bytes));
    json_object_object_add(o, "fps", fixed(p->fps, 2));
    json_object_object_add(o, "eta", fixed_or_null(p->eta_seconds, 1));
    json_object_object_add(o, "device", json_object_new_string(p->device));
    json_object_object_add(o, "frame_rate", fixed(p->frame_rate, 3));
    json_object_object_add(o, "elapsed", fixed(p->elapsed, 3));
    json_print(o);
}

static void emit_overall(progress_view *v, bool final)
{
    progress_total t;
    progress_total_of(v->rows, v->nb_rows, v->elapsed, &t);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string("overall"));
    json_object_object_add(o, "percent", fixed(t.fraction * 100, 1));
    json_object_object_add(o, "media_seconds_done", fixed(t.media_done, 3));
    json_object_object_add(o, "media_seconds_total", fixed(t.media_total, 3));
    json_object_object_add(o, "elapsed", fixed(t.elapsed, 3));
    json_object_object_add(o, "speed", fixed_or_null(t.speed, 3));
    json_object_object_add(o, "eta", fixed_or_null(t.eta, 1));
    json_object_object_add(o, "rungs", json_object_new_int(t.rungs));
    json_object_object_add(o, "rungs_completed", json_object_new_int(t.completed));
    json_object_object_add(o, "rungs_failed", json_object_new_int(t.failed));
    json_object_object_add(o, "final", json_object_new_boolean(final));
    json_print(o);
    v->overall_at = now();
    v->overall_final = final;
}

/* A rung's news as JSON: state and segment changes always, frame counts
 * at most every JSON_RUNG_INTERVAL (the engine reports every 250 ms per
 * encoder: a program needs less). */
static void json_rung(progress_view *v, const ladder_rung_progress *p)
{
    int i = p->rung;
    double t = now();
    bool news = !v->json_seen[i] || p->state != v->json_state[i] || p->segments_written != v->json_segments[i];
    if (!news && t - v->json_at[i] < JSON_RUNG_INTERVAL)
        return;
    bool ended = p->state != v->json_state[i] &&
                 (p->state == LADDER_RUNG_COMPLETED || p->state == LADDER_RUNG_FAILED);
    v->json_seen[i] = true;
    v->json_state[i] = p->state;
    v->json_segments[i] = p->segments_written;
    v->json_at[i] = t;
    emit_rung(p);
    /* Not during the first round of pending lines: the ladder is not
     * whole yet, and nothing moved. */
    if (ended || (p->state != LADDER_RUNG_PENDING && t - v->overall_at >= JSON_OVERALL_INTERVAL))
        emit_overall(v, false);
}

/* --- the sink -------------------------------------------------------- */

static void keep_row(progress_view *v, const ladder_rung_progress *p)
{
    int i = p->rung;
    if (i >= v->nb_rows)
        v->nb_rows = i + 1;
    v->rows[i] = *p;
    snprintf(v->names[i], sizeof(v->names[i]), "%s", p->name ? p->name : "?");
    snprintf(v->devices[i], sizeof(v->devices[i]), "%s", p->device ? p->device : "-");
    v->rows[i].name = v->names[i];
    v->rows[i].device = v->devices[i];
    if (p->elapsed > v->elapsed)
        v->elapsed = p->elapsed;
}

static void on_rung(void *opaque, const ladder_rung_progress *p)
{
    progress_view *v = opaque;
    if (p->rung < 0 || p->rung >= LADDER_MAX_RUNGS || v->mode == LADDER_PROGRESS_NONE)
        return;
    pthread_mutex_lock(&v->lock);
    ladder_rung_state was = p->rung < v->nb_rows ? v->rows[p->rung].state : LADDER_RUNG_PENDING;
    keep_row(v, p);
    if (v->mode == LADDER_PROGRESS_JSON) {
        json_rung(v, &v->rows[p->rung]);
    } else if (!v->finished && (p->state != was || now() - v->last_draw >= DRAW_INTERVAL)) {
        draw(v);
    }
    pthread_mutex_unlock(&v->lock);
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
    pthread_mutex_lock(&v->lock);
    json_print(o);
    pthread_mutex_unlock(&v->lock);
}

static void on_log(void *opaque, int level, const char *line)
{
    progress_view *v = opaque;
    if (level > v->verbosity)
        return;
    static const char *names[] = { "error", "warning", "info", "debug" };
    char text[1200];
    snprintf(text, sizeof(text), "ladder: %s: %s", names[level < 0 ? 0 : level > 3 ? 3 : level], line);
    pthread_mutex_lock(&v->lock);
    print_above(v, text);
    pthread_mutex_unlock(&v->lock);
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
    pthread_mutex_init(&v->lock, NULL);
    *out = v;
    return 0;
}

ladder_progress_sink progress_view_sink(progress_view *v)
{
    return (ladder_progress_sink){ .opaque = v, .on_rung = on_rung, .on_log = on_log, .on_device = on_device };
}

/* Under v->lock: the last redraw, or the last overall line; once. */
static void finish_locked(progress_view *v)
{
    if (v->mode == LADDER_PROGRESS_AUTO && v->nb_rows && !v->finished)
        draw(v);
    if (v->mode == LADDER_PROGRESS_JSON && v->nb_rows && !v->overall_final)
        emit_overall(v, true);
    v->finished = true;
}

void progress_view_finish(progress_view *v)
{
    pthread_mutex_lock(&v->lock);
    finish_locked(v);
    pthread_mutex_unlock(&v->lock);
}

void progress_view_close(progress_view *v)
{
    if (!v)
        return;
    pthread_mutex_destroy(&v->lock);
    free(v);
}

int progress_view_is_json(const progress_view *v)
{
    return v->mode == LADDER_PROGRESS_JSON;
}

void progress_view_notice(progress_view *v, const char *line)
{
    pthread_mutex_lock(&v->lock);
    print_above(v, line);
    pthread_mutex_unlock(&v->lock);
}

void progress_view_notice_cb(void *view, const char *line)
{
    progress_view_notice(view, line);
}

void progress_view_report(progress_view *v, const char *report_json)
{
    if (v->mode != LADDER_PROGRESS_JSON || !report_json || report_json[0] != '{')
        return;
    /* Spliced, not parsed again: the report's text stays byte for byte
     * what report.json holds. */
    struct timespec ts;
    char t[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    progress_json_utc(t, sizeof(t), &ts);
    bool empty = report_json[1 + strspn(report_json + 1, " \t\r\n")] == '}';
    pthread_mutex_lock(&v->lock);
    fprintf(stdout, "{\"type\":\"report\",\"t\":\"%s\"%s%s\n", t, empty ? "" : ",", report_json + 1);
    fflush(stdout);
    pthread_mutex_unlock(&v->lock);
}

void progress_view_error(progress_view *v, int exit_code, const char *message)
{
    if (!v) {                     /* before the view was made */
        if (message && message[0])
            fprintf(stderr, "ladder: %s\n", message);
        return;
    }
    pthread_mutex_lock(&v->lock);
    finish_locked(v);
    if (message && message[0])
        fprintf(stderr, "ladder: %s\n", message);
    bool first = !v->error_told;
    v->error_told = true;
    if (v->mode == LADDER_PROGRESS_JSON && first) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "type", json_object_new_string("error"));
        json_object_object_add(o, "exit_code", json_object_new_int(exit_code));
        json_object_object_add(o, "message", message && message[0] ? json_object_new_string(message) : NULL);
        json_print(o);
    }
    pthread_mutex_unlock(&v->lock);
}

/* --- the summary ------------------------------------------------------ */

/* The per-rung, audio and memory detail of a run (-v): what the tuning
 * knobs did. */
static void summary_detail(const ladder_report *rep)
{
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

void progress_view_summary(const progress_view *v, const ladder_report *rep, const char *outdir, unsigned formats)
{
    /* "out/" and "out" name the same directory: no "out//master.m3u8". */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", outdir);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    char media[32], wall[32], speed[32], audio[32] = "";
    progress_format_span(media, sizeof(media), rep->source_duration);
    progress_format_span(wall, sizeof(wall), rep->wall_seconds);
    progress_format_speed(speed, sizeof(speed), rep->wall_seconds > 0 ? rep->source_duration / rep->wall_seconds : -1);
    if (rep->nb_audio)
        snprintf(audio, sizeof(audio), " + %d audio", rep->nb_audio);
    fprintf(stderr, "ladder: done: %d rung%s%s, %s of media in %s (%s realtime)\n", rep->nb_rungs,
            rep->nb_rungs == 1 ? "" : "s", audio, media, wall, speed);
    if (rep->resumed)
        fprintf(stderr, "  resumed: %d segments kept from the stopped run\n", rep->segments_kept);
    if (formats & LADDER_FORMAT_HLS)
        fprintf(stderr, "  hls:    %s/master.m3u8\n", dir);
    if (formats & LADDER_FORMAT_DASH)
        fprintf(stderr, "  dash:   %s/manifest.mpd\n", dir);
    if (formats & LADDER_FORMAT_MP4)
        fprintf(stderr, "  mp4:    %s/mp4/*.mp4 (%d file%s)\n", dir, rep->nb_rungs, rep->nb_rungs == 1 ? "" : "s");
    fprintf(stderr, "  report: %s/report.json\n", dir);
    /* A manifest plays the whole ladder; MP4 alone, the biggest rung. */
    int top = 0;
    for (int i = 1; i < rep->nb_rungs; i++)
        if ((int64_t)rep->rungs[i].width * rep->rungs[i].height > (int64_t)rep->rungs[top].width * rep->rungs[top].height)
            top = i;
    if (formats & LADDER_FORMAT_HLS)
        fprintf(stderr, "  play:   ffplay %s/master.m3u8\n", dir);
    else if (formats & LADDER_FORMAT_DASH)
        fprintf(stderr, "  play:   ffplay %s/manifest.mpd\n", dir);
    else if ((formats & LADDER_FORMAT_MP4) && rep->nb_rungs)
        fprintf(stderr, "  play:   ffplay %s/mp4/%s.mp4\n", dir, rep->rungs[top].name);
    if (v->verbosity >= LADDER_LOG_INFO)
        summary_detail(rep);
}
