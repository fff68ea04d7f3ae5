/*
 * `ladder bench`: ladder against FFmpeg's CLI on the same input with the
 * same encoder settings, measured the same way.
 *
 * Systems, run in this order every round (A B C A B C ...) so that slow
 * drift of a noisy machine hits all of them alike:
 *   ladder (default slots), ladder --no-helpers, ladder --devices cpu:k for
 *   the scaling curve, FFmpeg in one process (decode once, split + scale),
 *   FFmpeg one process per rung, all at once.
 * Every run is a child process measured by bench_spawn (wall clock,
 * rusage); its outputs are checked, its figures go into the results
 * document (bench_report), and quality (PSNR/SSIM) is measured once per
 * system on its last run's outputs, after the timed runs, so it never
 * competes with them for the CPU.
 *
 * Orchestration lives here (set-up, the ladder, the systems, the runs,
 * the quality pass); the modules do the rest: bench_options (the command
 * line), bench_progress (the progress line), bench_commands (command
 * lines), bench_spawn (children), bench_checks (output checks),
 * bench_media (probing), bench_quality (PSNR/SSIM), bench_stats,
 * bench_report (JSON, Markdown, charts), bench_plot (SVG), bench_host
 * (machine facts), bench_fs.
 *
 * The room (benches/src/) is the static library ladder_bench, linked into
 * the ladder executable for `ladder bench`. It uses libladder's public API
 * only (ladder.h, ladder_config.h, error.h): the ladder it runs is
 * ladder encode's own default one (ladder_config_default_ladder()), sized
 * by ladder_config_output_size() as the engine sizes it.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libavcodec/avcodec.h>
#include <libavutil/log.h>

#include "bench.h"
#include "bench_checks.h"
#include "bench_commands.h"
#include "bench_fs.h"
#include "bench_host.h"
#include "bench_html.h"
#include "bench_media.h"
#include "bench_options.h"
#include "bench_progress.h"
#include "bench_quality.h"
#include "bench_report.h"
#include "bench_spawn.h"
#include "bench_stats.h"
#include "ladder/ladder.h"
#include "ladder/ladder_config.h"

typedef enum sys_kind { SYS_LADDER, SYS_FFMPEG_ONE, SYS_FFMPEG_RUNGS } sys_kind;

typedef struct bench_system {
    char id[32], label[48];
    sys_kind kind;
    int slots;              /* ladder --devices cpu:N; 0 = ladder's default */
    int slots_used;         /* what that means on this machine */
    bool helpers;
    bool compare;           /* compared with FFmpeg (else: scaling curve only) */
    bool quality;           /* PSNR/SSIM measured on its last run */
    char *last_dir;         /* run directory of its last run (owned) */
    json_object *last_run;  /* that run in the document (borrowed) */
} bench_system;

typedef struct bench {
    bench_opts opt;
    bench_media_info in;
    bench_rung rungs[LADDER_MAX_RUNGS];
    bench_setup setup;
    double segment_seconds;
    int gop_frames;
    char *ladder_bin, *out_dir, *work_dir, *cache_dir, *input_path;
    char ffmpeg_version[256];       /* `ffmpeg -version`'s first line */
    char ffmpeg_libavcodec[32];     /* its libavcodec version, "59.37.100" */
    char ffmpeg_path[4096];         /* the program the command runs first */
    bool out_created;       /* out_dir did not exist: remove it again on an early failure */
    bool results_written;   /* bench.json and the rest are in out_dir */
    int cores, default_slots;
    bench_system *systems;
    int nb_systems;
    json_object *doc, *runs, *problems;
    bench_progress prog;
    int run_index, total_runs;
} bench;

static volatile sig_atomic_t g_cancel;

static void on_signal(int sig)
{
    g_cancel = sig;
}

static json_object *jget(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o)
        json_object_object_get_ex(o, key, &v);
    return v;
}

/* One error line, the progress line cleared first. */
static int fail(bench *b, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(bench *b, int code, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    for (char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    bench_progress_error(&b->prog, line);
    return code;
}

/* ---- the results document ------------------------------------------------ */

static void add_problem(bench *b, json_object *run, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_problem(bench *b, json_object *run, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    char line[1200];
    if (run) {
        json_object *sys = NULL, *round = NULL;
        json_object_object_get_ex(run, "label", &sys);
        json_object_object_get_ex(run, "round", &round);
        snprintf(line, sizeof(line), "round %d, %s: %s", json_object_get_int(round),
                 json_object_get_string(sys), text);
        json_object *list = NULL;
        json_object_object_get_ex(run, "problems", &list);
        json_object_array_add(list, json_object_new_string(line));
        json_object_object_add(run, "ok", json_object_new_boolean(false));
    } else {
        snprintf(line, sizeof(line), "%s", text);
    }
    json_object_array_add(b->problems, json_object_new_string(line));
}

static json_object *describe_meta(bench *b)
{
    json_object *meta = json_object_new_object();
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S%z", &tm);
    json_object_object_add(meta, "date", json_object_new_string(date));

    json_object_object_add(meta, "host", bench_host_describe());

    json_object *lad = json_object_new_object();
    json_object_object_add(lad, "version", json_object_new_string(LADDER_VERSION_STRING));
    json_object_object_add(lad, "path", json_object_new_string(b->ladder_bin));
    json_object_object_add(meta, "ladder", lad);
    json_object *ff = json_object_new_object();
    json_object_object_add(ff, "command", json_object_new_string(b->opt.ffmpeg));
    json_object_object_add(ff, "argv", bench_json_argv((char *const *)b->opt.ffmpeg_argv));
    json_object_object_add(ff, "path", bench_json_str(b->ffmpeg_path[0] ? b->ffmpeg_path : NULL));
    json_object_object_add(ff, "version", json_object_new_string(b->ffmpeg_version));
    json_object_object_add(ff, "libavcodec", bench_json_str(b->ffmpeg_libavcodec[0] ? b->ffmpeg_libavcodec : NULL));
    json_object_object_add(meta, "ffmpeg", ff);
    json_object_object_add(meta, "libraries", bench_host_libraries());
    json_object_object_add(meta, "loadavg_before", bench_host_loadavg());

    json_object *o = json_object_new_object();
    json_object_object_add(o, "quick", json_object_new_boolean(b->opt.quick));
    json_object_object_add(o, "runs", json_object_new_int(b->opt.runs));
    json_object_object_add(o, "codec", json_object_new_string(b->opt.codec));
    json_object_object_add(o, "preset", json_object_new_string(b->opt.preset));
    json_object_object_add(o, "input", bench_json_str(b->opt.input));
    json_object_object_add(o, "synthetic", bench_json_str(b->opt.input ? NULL : b->opt.synth.text));
    json_object_object_add(o, "ladder_file", bench_json_str(b->opt.ladder_file));
    json_object_object_add(o, "out", json_object_new_string(b->out_dir));
    json_object_object_add(o, "cache", json_object_new_string(b->cache_dir));
    json_object_object_add(o, "keep", json_object_new_boolean(b->opt.keep));
    json_object_object_add(meta, "options", o);
    return meta;
}

static json_object *describe_input(bench *b, json_object *generated)
{
    const bench_media_info *in = &b->in;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "path", json_object_new_string(b->input_path));
    json_object_object_add(o, "generated", generated);
    json_object_object_add(o, "bytes", bench_json_num((double)bench_fs_size(b->input_path)));
    json_object_object_add(o, "video_codec", json_object_new_string(in->video_codec));
    json_object_object_add(o, "pix_fmt", json_object_new_string(in->pix_fmt));
    json_object_object_add(o, "width", json_object_new_int(in->width));
    json_object_object_add(o, "height", json_object_new_int(in->height));
    json_object_object_add(o, "display_width", json_object_new_int(in->display_w));
    json_object_object_add(o, "display_height", json_object_new_int(in->display_h));
    char sar[32];
    snprintf(sar, sizeof(sar), "%d:%d", in->sar_num, in->sar_den);
    json_object_object_add(o, "sample_aspect_ratio", json_object_new_string(sar));
    double fps = in->fps_den ? (double)in->fps_num / in->fps_den : NAN;
    json_object_object_add(o, "fps", bench_json_num(fps));
    char rate[48];
    snprintf(rate, sizeof(rate), "%d/%d", in->fps_num, in->fps_den);
    json_object_object_add(o, "frame_rate", in->fps_den ? json_object_new_string(rate) : NULL);
    json_object_object_add(o, "frames", json_object_new_int64(in->frames));
    /* Frames over the rate for a constant rate: the container's duration
     * includes audio priming and rounding. */
    json_object_object_add(o, "duration", bench_json_num(isfinite(fps) ? (double)in->frames / fps : in->duration));
    if (in->has_audio) {
        json_object *a = json_object_new_object();
        json_object_object_add(a, "codec", json_object_new_string(in->audio_codec));
        json_object_object_add(a, "channels", json_object_new_int(in->audio_channels));
        json_object_object_add(a, "bit_rate", bench_json_num((double)in->audio_bit_rate));
        json_object_object_add(a, "copied", json_object_new_boolean(in->audio_copyable));
        json_object_object_add(a, "treatment", json_object_new_string(
            in->audio_copyable ? "AAC-LC stereo source: copied by ladder and by FFmpeg (-c:a copy)"
                               : "re-encoded by ladder and by FFmpeg: AAC-LC stereo (-c:a aac -b:a 128k -ac 2)"));
        json_object_object_add(o, "audio", a);
    } else {
        json_object_object_add(o, "audio", NULL);
    }
    return o;
}

static json_object *describe_ladder(bench *b)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "codec", json_object_new_string(b->opt.codec));
    json_object_object_add(o, "encoder", json_object_new_string(bench_codec_encoder(b->opt.codec)));
    json_object_object_add(o, "preset", json_object_new_string(b->opt.preset));
    json_object_object_add(o, "segment_seconds", bench_json_num(b->segment_seconds));
    json_object_object_add(o, "gop_frames", b->gop_frames ? json_object_new_int(b->gop_frames) : NULL);
    json_object_object_add(o, "source", json_object_new_string(
        b->opt.ladder_file ? b->opt.ladder_file
        : b->opt.quick     ? "ladder encode's default ladder, its 2 smallest rungs (--quick)"
                           : "ladder encode's default ladder"));
    json_object *list = json_object_new_array();
    for (int i = 0; i < b->setup.nb_rungs; i++) {
        const bench_rung *r = &b->rungs[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(r->cfg.name));
        json_object_object_add(e, "width", json_object_new_int(r->width));
        json_object_object_add(e, "height", json_object_new_int(r->height));
        bool crf = r->cfg.rate_mode == LADDER_RATE_CRF;
        json_object_object_add(e, "rate_mode", json_object_new_string(crf ? "crf" : "capped_vbr"));
        json_object_object_add(e, "bitrate_kbps", crf ? NULL : json_object_new_int(r->cfg.bitrate_kbps));
        json_object_object_add(e, "crf", crf ? json_object_new_int(r->cfg.crf) : NULL);
        json_object_object_add(e, "maxrate_kbps", r->cfg.maxrate_kbps ? json_object_new_int(r->cfg.maxrate_kbps) : NULL);
        json_object_object_add(e, "bufsize_kbps", r->cfg.bufsize_kbps ? json_object_new_int(r->cfg.bufsize_kbps) : NULL);
        json_object_object_add(e, "profile", bench_json_str(r->cfg.profile[0] ? r->cfg.profile : NULL));
        json_object_object_add(e, "max_fps", r->cfg.max_fps > 0 ? bench_json_num(r->cfg.max_fps) : NULL);
        json_object_object_add(e, "gop_frames", r->gop_frames ? json_object_new_int(r->gop_frames) : NULL);
        json_object_array_add(list, e);
    }
    json_object_object_add(o, "rungs", list);
    return o;
}

static json_object *describe_systems(bench *b)
{
    json_object *list = json_object_new_array();
    for (int i = 0; i < b->nb_systems; i++) {
        const bench_system *s = &b->systems[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(s->id));
        json_object_object_add(o, "label", json_object_new_string(s->label));
        json_object_object_add(o, "kind", json_object_new_string(s->kind == SYS_LADDER ? "ladder" : "ffmpeg"));
        json_object_object_add(o, "role", json_object_new_string(s->compare ? "compare" : "scaling"));
        json_object_object_add(o, "slots", s->kind == SYS_LADDER ? json_object_new_int(s->slots_used) : NULL);
        json_object_object_add(o, "helpers", s->kind == SYS_LADDER ? json_object_new_boolean(s->helpers) : NULL);
        json_object_object_add(o, "processes",
                               json_object_new_int(s->kind == SYS_FFMPEG_RUNGS ? b->setup.nb_rungs : 1));
        const char *what =
            s->kind == SYS_FFMPEG_ONE ? "ffmpeg: one process decodes once, split + scale, one output per rung"
            : s->kind == SYS_FFMPEG_RUNGS ? "ffmpeg: one process per rung, all started at once; each decodes "
                                            "the source. wall = first start to last exit; CPU = sum; peak "
                                            "RSS = sum of the processes' peaks"
            : !s->helpers ? "ladder encode --no-helpers: a free slot never joins another rung"
            : s->slots ? "ladder encode --devices cpu:N (scaling curve)"
                       : "ladder encode with its defaults (one CPU slot per online CPU, helpers on)";
        json_object_object_add(o, "description", json_object_new_string(what));
        json_object_array_add(list, o);
    }
    return list;
}

/* ---- one run --------------------------------------------------------------- */

typedef struct snapshot {
    double busy;
    json_object *load;
} snapshot;

static json_object *new_run(bench *b, const bench_system *s, int round, const char *dir)
{
    json_object *run = json_object_new_object();
    json_object_object_add(run, "index", json_object_new_int(b->run_index));
    json_object_object_add(run, "round", json_object_new_int(round));
    json_object_object_add(run, "system", json_object_new_string(s->id));
    json_object_object_add(run, "label", json_object_new_string(s->label));
    json_object_object_add(run, "ok", json_object_new_boolean(true));
    json_object_object_add(run, "dir", json_object_new_string(dir));
    json_object_object_add(run, "commands", json_object_new_array());
    json_object_object_add(run, "problems", json_object_new_array());
    json_object_array_add(b->runs, run);
    return run;
}

/* Figures every run has, whatever the system. */
static void record_figures(bench *b, json_object *run, double wall, double user, double sys,
                           long rss_kib, const snapshot *before)
{
    double cpu = user + sys;
    json_object_object_add(run, "wall_s", bench_json_num(wall));
    json_object_object_add(run, "user_s", bench_json_num(user));
    json_object_object_add(run, "sys_s", bench_json_num(sys));
    json_object_object_add(run, "cpu_s", bench_json_num(cpu));
    json_object_object_add(run, "cpu_util", bench_json_num(bench_stats_cpu_util(cpu, wall, b->cores)));
    json_object_object_add(run, "peak_rss_kib", bench_json_num((double)rss_kib));
    /* What the rest of the machine used meanwhile, on the same scale as
     * cpu_util: near 0 on a quiet machine; if not, the run shared the CPUs. */
    double busy = bench_host_busy_seconds() - before->busy - cpu;
    json_object_object_add(run, "background_util",
                           bench_json_num(bench_stats_cpu_util(busy < 0 ? 0 : busy, wall, b->cores)));
    json_object_object_add(run, "loadavg_before", before->load);
    json_object_object_add(run, "loadavg_after", bench_host_loadavg());
}

static void take_snapshot(snapshot *s)
{
    s->load = bench_host_loadavg();
    s->busy = bench_host_busy_seconds();
}

static void failed_child(bench *b, json_object *run, const char *what, int exit_code, const char *log)
{
    char last[300];
    bench_fs_last_line(log, last, sizeof(last));
    add_problem(b, run, "%s exited with status %d%s%s", what, exit_code, last[0] ? ": " : "", last);
    json_object_object_add(run, "stderr_tail", json_object_new_string(last));
}

typedef struct problem_ctx {
    bench *b;
    json_object *run;
} problem_ctx;

static void run_problem(void *opaque, const char *text)
{
    problem_ctx *c = opaque;
    add_problem(c->b, c->run, "%s", text);
}

static bench_expect expectations(const bench *b)
{
    return (bench_expect){ .rungs = b->rungs, .nb_rungs = b->setup.nb_rungs, .frames = b->in.frames,
                           .has_audio = b->in.has_audio, .audio_copy = b->in.audio_copyable };
}

static void finish_line(bench *b, json_object *run)
{
    double wall = bench_json_get_num(run, "wall_s"), cpu = bench_json_get_num(run, "cpu_s");
    double rss = bench_json_get_num(run, "peak_rss_kib");
    json_object *ok = jget(run, "ok");
    json_object *probs = jget(run, "problems");
    size_t np = probs ? json_object_array_length(probs) : 0;
    if (np)
        bench_progress_end(&b->prog, "wall %.2f s, CPU %.2f s, peak RSS %.0f MiB: FAILED (%s)", wall, cpu, rss / 1024,
                     json_object_get_string(json_object_array_get_idx(probs, 0)));
    else
        bench_progress_end(&b->prog, "wall %.2f s, CPU %.2f s (%.0f%% of %d cores), peak RSS %.0f MiB%s", wall, cpu,
                     100 * bench_stats_cpu_util(cpu, wall, b->cores), b->cores, rss / 1024,
                     json_object_get_boolean(ok) ? "" : ": FAILED");
}

/*
 * Run one timed child and record its figures in run. Returns true when it
 * exited 0, so that its outputs are worth checking; a failure to start or a
 * non-zero exit is recorded as the run's problem.
 */
static bool timed_child(bench *b, json_object *run, const char *what, char *const *argv,
                        const char *log_out, const char *log_err)
{
    json_object_array_add(jget(run, "commands"), bench_json_argv(argv));
    snapshot before;
    take_snapshot(&before);
    bench_spawn_result res;
    int r = bench_spawn_run(argv, log_out, log_err, &g_cancel, &res);
    if (r) {
        json_object_put(before.load);
        add_problem(b, run, "cannot start %s: %s", argv[0], strerror(-r));
        return false;
    }
    record_figures(b, run, res.wall_s, res.user_s, res.sys_s, res.maxrss_kib, &before);
    json_object_object_add(run, "exit_code", json_object_new_int(res.exit_code));
    if (res.exit_code)
        failed_child(b, run, what, res.exit_code, log_err ? log_err : log_out);
    return res.exit_code == 0;
}

static int run_ladder(bench *b, bench_system *s, json_object *run, const char *dir)
{
    char *out = bench_fs_join(dir, "out"), *log_out = bench_fs_join(dir, "stdout.log");
    char *log_err = bench_fs_join(dir, "stderr.log");
    bench_argv a = { 0 };
    int ret = !out || !log_out || !log_err ? LADDER_ENOMEM : bench_cmd_ladder(&b->setup, out, s->slots, s->helpers, &a);
    if (!ret && timed_child(b, run, "ladder encode", a.v, log_out, log_err)) {
        bench_expect e = expectations(b);
        problem_ctx ctx = { b, run };
        bench_check_ladder(&e, out, run, run_problem, &ctx);
    }
    bench_argv_free(&a);
    free(out);
    free(log_out);
    free(log_err);
    return ret;
}

static int run_ffmpeg_one(bench *b, json_object *run, const char *dir)
{
    char *out = bench_fs_join(dir, "out"), *log = bench_fs_join(dir, "stderr.log");
    bench_argv a = { 0 };
    int ret = !out || !log ? LADDER_ENOMEM : bench_cmd_ffmpeg_one(&b->setup, out, &a);
    if (ret)
        goto done;
    int r = bench_fs_mkdir_p(out);
    if (r) {
        json_object_array_add(jget(run, "commands"), bench_json_argv(a.v));
        add_problem(b, run, "cannot create %s: %s", out, strerror(-r));
    } else if (timed_child(b, run, "ffmpeg", a.v, log, NULL)) {
        bench_expect e = expectations(b);
        problem_ctx ctx = { b, run };
        bench_check_ffmpeg(&e, out, NULL, run, run_problem, &ctx);
    }
done:
    bench_argv_free(&a);
    free(out);
    free(log);
    return ret;
}

/* One process per rung, all started at once; reaped in whatever order they
 * end, so each one's wall time is its own. */
static int run_ffmpeg_rungs(bench *b, json_object *run, const char *dir)
{
    int n = b->setup.nb_rungs, ret = 0, started = 0;
    bench_child *kids[LADDER_MAX_RUNGS] = { 0 };
    bench_argv argv[LADDER_MAX_RUNGS] = { 0 };
    char *logs[LADDER_MAX_RUNGS] = { 0 };
    double proc_wall[LADDER_MAX_RUNGS];
    char *out = bench_fs_join(dir, "out");
    if (!out)
        return LADDER_ENOMEM;
    for (int i = 0; i < n && !ret; i++) {
        logs[i] = bench_strdupf("%s/stderr-%s.log", dir, b->rungs[i].cfg.name);
        ret = logs[i] ? bench_cmd_ffmpeg_rung(&b->setup, i, out, &argv[i]) : LADDER_ENOMEM;
        if (!ret)
            json_object_array_add(jget(run, "commands"), bench_json_argv(argv[i].v));
    }
    if (ret)
        goto done;
    int r = bench_fs_mkdir_p(out);
    if (r) {
        add_problem(b, run, "cannot create %s: %s", out, strerror(-r));
        goto done;
    }
    snapshot before;
    take_snapshot(&before);
    double t0 = bench_now();
    for (int i = 0; i < n; i++) {
        r = bench_child_start(&kids[i], argv[i].v, logs[i], NULL);
        if (r) {
            add_problem(b, run, "cannot start %s: %s", argv[i].v[0], strerror(-r));
            break;
        }
        started++;
    }
    for (int left = started; left > 0; left--) {
        int which;
        if (bench_child_wait_any(kids, started, &g_cancel, &which))
            break;
    }
    double wall = bench_now() - t0;
    double user = 0, sys = 0;
    long rss = 0, rss_max = 0;
    json_object *procs = json_object_new_array();
    for (int i = 0; i < started; i++) {
        const bench_spawn_result *res = bench_child_result(kids[i]);
        user += res->user_s;
        sys += res->sys_s;
        rss += res->maxrss_kib;
        rss_max = res->maxrss_kib > rss_max ? res->maxrss_kib : rss_max;
        proc_wall[i] = res->wall_s;
        json_object *p = json_object_new_object();
        json_object_object_add(p, "rung", json_object_new_string(b->rungs[i].cfg.name));
        json_object_object_add(p, "exit_code", json_object_new_int(res->exit_code));
        json_object_object_add(p, "wall_s", bench_json_num(res->wall_s));
        json_object_object_add(p, "cpu_s", bench_json_num(res->user_s + res->sys_s));
        json_object_object_add(p, "peak_rss_kib", bench_json_num((double)res->maxrss_kib));
        json_object_array_add(procs, p);
    }
    if (started == 0) {
        json_object_put(before.load);
        json_object_put(procs);
        goto done;
    }
    record_figures(b, run, wall, user, sys, rss, &before);
    json_object_object_add(run, "peak_rss_max_process_kib", bench_json_num((double)rss_max));
    json_object_object_add(run, "processes", procs);
    bool all_ok = started == n;
    for (int i = 0; i < started; i++) {
        const bench_spawn_result *res = bench_child_result(kids[i]);
        if (res->exit_code) {
            char what[64];
            snprintf(what, sizeof(what), "ffmpeg for %s", b->rungs[i].cfg.name);
            failed_child(b, run, what, res->exit_code, logs[i]);
            all_ok = false;
        }
    }
    json_object_object_add(run, "exit_code", json_object_new_int(all_ok ? 0 : 1));
    if (all_ok) {
        bench_expect e = expectations(b);
        problem_ctx ctx = { b, run };
        bench_check_ffmpeg(&e, out, proc_wall, run, run_problem, &ctx);
    }
done:
    for (int i = 0; i < n; i++) {
        bench_child_close(kids[i]);
        bench_argv_free(&argv[i]);
        free(logs[i]);
    }
    free(out);
    return ret;
}

static int run_one(bench *b, bench_system *s, int round)
{
    b->run_index++;
    char *dir = bench_strdupf("%s/r%d-%s", b->work_dir, round, s->id);
    if (!dir)
        return LADDER_ENOMEM;
    bench_fs_rm_rf(dir);
    int ret = bench_fs_mkdir_p(dir);
    if (ret) {
        fail(b, 0, "%s: cannot create: %s", dir, strerror(-ret));
        free(dir);
        return LADDER_EOUTPUT;
    }
    json_object *run = new_run(b, s, round, dir);
    bench_progress_begin(&b->prog, "run", b->run_index, b->total_runs, "%s (round %d/%d)", s->label, round, b->opt.runs);
    ret = s->kind == SYS_LADDER ? run_ladder(b, s, run, dir)
        : s->kind == SYS_FFMPEG_ONE ? run_ffmpeg_one(b, run, dir)
                                    : run_ffmpeg_rungs(b, run, dir);
    if (ret) {
        free(dir);
        return ret;
    }
    finish_line(b, run);
    /* Outputs are deleted outside the timed region; the last round's stay
     * for the quality pass. */
    if (round < b->opt.runs && !b->opt.keep) {
        bench_fs_rm_rf(dir);
        free(dir);
    } else {
        free(s->last_dir);
        s->last_dir = dir;
        s->last_run = run;
    }
    return 0;
}

/* ---- quality ----------------------------------------------------------------- */

static double run_rung_bytes(json_object *run, const char *name)
{
    json_object *rungs = jget(run, "rungs");
    for (size_t i = 0; rungs && i < json_object_array_length(rungs); i++) {
        json_object *r = json_object_array_get_idx(rungs, i);
        const char *n = bench_json_get_str(r, "name");
        if (n && !strcmp(n, name))
            return bench_json_get_num(r, "bytes");
    }
    return NAN;
}

static int measure_quality(bench *b)
{
    json_object *q = json_object_new_object();
    json_object_object_add(b->doc, "quality", q);
    json_object_object_add(q, "method", json_object_new_string(
        "in-process libavfilter: psnr and ssim filters; distorted = the system's output for the rung, "
        "reference = the source through scale=W:H:flags=bicubic; both timelines start at 0 "
        "(setpts=PTS-STARTPTS), yuv420p; PSNR from the mean per-frame MSE (8-bit peak 255), "
        "capped at 100 dB; SSIM = mean of the per-frame 'All' value"));
    json_object *vmaf = json_object_new_object();
    bool has_vmaf = bench_quality_has_vmaf();
    json_object_object_add(vmaf, "available", json_object_new_boolean(has_vmaf));
    json_object_object_add(vmaf, "note", json_object_new_string(
        has_vmaf ? "libvmaf is linked but not used yet: PSNR and SSIM only"
                 : "the linked libavfilter has no libvmaf filter: PSNR and SSIM only"));
    json_object_object_add(q, "vmaf", vmaf);
    json_object *systems = json_object_new_object(), *skipped = json_object_new_object();
    json_object_object_add(q, "systems", systems);
    json_object_object_add(q, "skipped", skipped);
    char *qdir = bench_fs_join(b->work_dir, "quality");
    if (!qdir || bench_fs_mkdir_p(qdir)) {
        free(qdir);
        add_problem(b, NULL, "quality: cannot create a work directory under %s", b->work_dir);
        return 0;
    }
    int total = 0, k = 0;
    for (int i = 0; i < b->nb_systems; i++)
        total += b->systems[i].quality ? b->setup.nb_rungs : 0;
    for (int i = 0; i < b->nb_systems && !g_cancel; i++) {
        bench_system *s = &b->systems[i];
        if (!s->quality) {
            json_object_object_add(skipped, s->id, json_object_new_string(
                "scaling run: the same encoder settings as 'ladder', only the CPU slots differ"));
            continue;
        }
        if (!s->last_run || !json_object_get_boolean(jget(s->last_run, "ok"))) {
            json_object_object_add(skipped, s->id, json_object_new_string("its last run failed"));
            k += b->setup.nb_rungs;
            continue;
        }
        json_object *list = json_object_new_array();
        json_object_object_add(systems, s->id, list);
        for (int r = 0; r < b->setup.nb_rungs && !g_cancel; r++) {
            const bench_rung *rung = &b->rungs[r];
            const char *name = rung->cfg.name;
            bench_progress_begin(&b->prog, "quality", ++k, total, "%s %s", s->label, name);
            char *dist = s->kind == SYS_LADDER ? bench_strdupf("%s/%s-%s.mp4", qdir, s->id, name)
                                               : bench_strdupf("%s/out/%s.mp4", s->last_dir, name);
            char *rung_dir = bench_strdupf("%s/out/video/%s", s->last_dir, name);
            bench_quality qv = { .psnr = NAN, .psnr_y = NAN, .ssim = NAN };
            char err[512] = "";
            int ret = !dist || !rung_dir ? LADDER_ENOMEM : 0;
            if (!ret && s->kind == SYS_LADDER && (ret = bench_fs_join_package(rung_dir, dist)))
                snprintf(err, sizeof(err), "cannot join %s's segments: %s", rung_dir, strerror(-ret));
            if (!ret)
                ret = bench_quality_measure(dist, b->input_path, rung->width, rung->height, &qv, err, sizeof(err));
            if (ret) {
                add_problem(b, NULL, "quality, %s %s: %s", s->label, name, err[0] ? err : "out of memory");
                bench_progress_end(&b->prog, "FAILED");
            } else {
                if (!rung->fps_capped && qv.frames != b->in.frames)
                    add_problem(b, NULL, "quality, %s %s: %lld frames decoded, the input has %lld", s->label,
                                name, (long long)qv.frames, (long long)b->in.frames);
                bench_progress_end(&b->prog, "PSNR %.2f dB, SSIM %.4f, %lld frames", qv.psnr, qv.ssim,
                             (long long)qv.frames);
            }
            if (s->kind == SYS_LADDER && dist)
                unlink(dist);
            json_object *e = json_object_new_object();
            json_object_object_add(e, "name", json_object_new_string(name));
            json_object_object_add(e, "width", json_object_new_int(rung->width));
            json_object_object_add(e, "height", json_object_new_int(rung->height));
            json_object_object_add(e, "bytes", bench_json_num(run_rung_bytes(s->last_run, name)));
            json_object_object_add(e, "psnr", bench_json_num(qv.psnr));
            json_object_object_add(e, "psnr_y", bench_json_num(qv.psnr_y));
            json_object_object_add(e, "ssim", bench_json_num(qv.ssim));
            json_object_object_add(e, "frames", ret ? NULL : json_object_new_int64(qv.frames));
            json_object_object_add(e, "round", jget(s->last_run, "round") ? json_object_get(jget(s->last_run, "round")) : NULL);
            json_object_array_add(list, e);
            free(dist);
            free(rung_dir);
        }
    }
    bench_fs_rm_rf(qdir);
    free(qdir);
    return 0;
}

/* ---- set-up ----------------------------------------------------------------- */

static int default_out_dir(char **out)
{
    char stamp[64];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    *out = bench_strdupf("benches/results/bench-%s", stamp);
    return *out ? 0 : LADDER_ENOMEM;
}

/*
 * Generated inputs outlive one results directory: a full 1080p source takes
 * longer to make than a quick bench takes to run. $XDG_CACHE_HOME/ladder/
 * bench (or ~/.cache/...), else beside the results.
 */
static char *default_cache_dir(const char *out_dir)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        return bench_strdupf("%s/ladder/bench", xdg);
    if (home && home[0] == '/')
        return bench_strdupf("%s/.cache/ladder/bench", home);
    return out_dir ? bench_fs_join(out_dir, "cache") : NULL;
}

static int find_self(bench *b)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0)
        return fail(b, BENCH_EXIT_FAILED, "cannot find the ladder binary (/proc/self/exe): %s", strerror(errno));
    buf[n] = '\0';
    b->ladder_bin = strdup(buf);
    return b->ladder_bin ? 0 : fail(b, BENCH_EXIT_FAILED, "out of memory");
}

/* `ffmpeg -version`: is it there, and which one (the report names it: a
 * comparison with another FFmpeg than the system's must say so). */
static int check_ffmpeg(bench *b)
{
    char *log = bench_fs_join(b->work_dir, "ffmpeg-version.txt");
    if (!log)
        return fail(b, BENCH_EXIT_FAILED, "out of memory");
    bench_argv a;
    bench_argv_init(&a);
    for (const char *const *w = b->opt.ffmpeg_argv; *w; w++)
        bench_argv_add(&a, *w);
    bench_argv_add(&a, "-version");
    if (a.err) {
        bench_argv_free(&a);
        free(log);
        return fail(b, BENCH_EXIT_FAILED, "out of memory");
    }
    bench_spawn_result res;
    int r = bench_spawn_run(a.v, log, NULL, &g_cancel, &res);
    int ret = 0;
    if (r || res.exit_code) {
        ret = fail(b, BENCH_EXIT_FAILED, "%s: %s (install Debian's ffmpeg package or pass --ffmpeg CMD)",
                   b->opt.ffmpeg, r ? strerror(-r) : "'-version' failed");
    } else {
        bench_fs_first_line(log, b->ffmpeg_version, sizeof(b->ffmpeg_version));
        /* "libavcodec     61. 19.101 / 61. 19.101" -> "61.19.101", as
         * meta.libraries writes ladder's own. */
        char line[256];
        unsigned maj, min, mic;
        bench_fs_line_starting(log, "libavcodec", line, sizeof(line));
        if (sscanf(line, "libavcodec %u. %u.%u", &maj, &min, &mic) == 3)
            snprintf(b->ffmpeg_libavcodec, sizeof(b->ffmpeg_libavcodec), "%u.%u.%u", maj, min, mic);
        bench_fs_which(b->opt.ffmpeg_argv[0], b->ffmpeg_path, sizeof(b->ffmpeg_path));
    }
    unlink(log);
    free(log);
    bench_argv_free(&a);
    return ret;
}

/*
 * ladder encode learns --codec in a later issue. Ask it first, cheaply:
 * `ladder encode --codec NAME --help` exits 0 only if it takes the option,
 * so an unsupported codec fails here with one line, not in every run.
 */
static int check_ladder_codec(bench *b)
{
    if (!strcmp(b->opt.codec, "h264"))
        return 0;
    char *log = bench_fs_join(b->work_dir, "ladder-codec.txt");
    if (!log)
        return fail(b, BENCH_EXIT_FAILED, "out of memory");
    char *argv[] = { b->ladder_bin, "encode", "--codec", (char *)b->opt.codec, "--help", NULL };
    bench_spawn_result res;
    int r = bench_spawn_run(argv, log, NULL, &g_cancel, &res);
    int ret = 0;
    if (r || res.exit_code) {
        char last[300] = "";
        bench_fs_last_line(log, last, sizeof(last));
        ret = fail(b, BENCH_EXIT_CODEC, "--codec %s: ladder encode does not support it yet (%s)", b->opt.codec,
                   last[0] ? last : r ? strerror(-r) : "it refused the option");
    }
    unlink(log);
    free(log);
    return ret;
}

/* The synthetic source, generated once per spec into the cache. */
static int prepare_synthetic(bench *b, json_object **generated)
{
    const synth_spec *sp = &b->opt.synth;
    char rate[32], dur[32];
    snprintf(rate, sizeof(rate), "%s", sp->rate);
    for (char *c = rate; *c; c++)
        if (*c == '/')
            *c = '-';
    snprintf(dur, sizeof(dur), "%g", sp->seconds);
    int ret = bench_fs_mkdir_p(b->cache_dir);
    if (ret)
        return fail(b, BENCH_EXIT_OUTPUT, "%s: cannot create the cache: %s", b->cache_dir, strerror(-ret));
    b->input_path = bench_strdupf("%s/testsrc2_%dx%d_%s_x264-veryfast-crf18_aac128k_%ss.mp4", b->cache_dir, sp->width,
                            sp->height, rate, dur);
    char *part = b->input_path ? bench_strdupf("%s.part.mp4", b->input_path) : NULL;
    char *log = bench_fs_join(b->work_dir, "synthetic.log");
    bench_argv a = { 0 };
    if (!part || !log || bench_cmd_synthetic(b->opt.ffmpeg_argv, sp->width, sp->height, sp->rate, sp->seconds, part, &a)) {
        ret = fail(b, BENCH_EXIT_FAILED, "out of memory");
        goto done;
    }
    bool cached = bench_fs_is_file(b->input_path);
    if (!cached) {
        bench_progress_begin(&b->prog, NULL, 0, 0, "generating input %s (%dx%d)", sp->text, sp->width, sp->height);
        bench_spawn_result res;
        int r = bench_spawn_run(a.v, log, NULL, &g_cancel, &res);
        if (r || res.exit_code) {
            char last[300] = "";
            bench_fs_last_line(log, last, sizeof(last));
            unlink(part);
            ret = fail(b, g_cancel ? BENCH_EXIT_CANCELLED : BENCH_EXIT_FAILED, "generating the input with %s failed: %s",
                       b->opt.ffmpeg, r ? strerror(-r) : last[0] ? last : "ffmpeg failed");
            goto done;
        }
        if (rename(part, b->input_path)) {
            ret = fail(b, BENCH_EXIT_OUTPUT, "%s: %s", b->input_path, strerror(errno));
            goto done;
        }
        bench_progress_end(&b->prog, "done in %.1f s", res.wall_s);
    }
    /* The command as it would make the file in place. */
    free(a.v[a.n - 1]);
    a.v[a.n - 1] = strdup(b->input_path);
    json_object *g = json_object_new_object();
    json_object_object_add(g, "spec", json_object_new_string(sp->text));
    json_object_object_add(g, "command", bench_json_argv(a.v));
    json_object_object_add(g, "from_cache", json_object_new_boolean(cached));
    *generated = g;
done:
    bench_argv_free(&a);
    free(part);
    free(log);
    return ret;
}

/*
 * The rungs when no --ladder is given: ladder encode's own default ladder
 * for this source (ladder_config_default_ladder(): 1080p 5000k down to
 * 240p 400k, rungs above the source dropped, a source below 240p one rung
 * at its own size), so the bench measures what `ladder encode INPUT`
 * makes. --quick keeps its two smallest rungs: 360p and 240p on its 360p
 * input, or on any larger one.
 */
static int default_rungs(bench *b, ladder_rung *src, int *nb)
{
    ladder_rung *list = NULL;
    int n = 0;
    int ret = ladder_config_default_ladder(b->in.display_w, b->in.display_h, &list, &n);
    if (ret == LADDER_ENOMEM)
        return fail(b, BENCH_EXIT_FAILED, "out of memory");
    if (ret)
        return fail(b, BENCH_EXIT_LADDER, "the source's display size (%dx%d) has no default ladder; "
                                          "give one with --ladder FILE", b->in.display_w, b->in.display_h);
    int first = b->opt.quick && n > 2 ? n - 2 : 0;
    *nb = n - first < LADDER_MAX_RUNGS ? n - first : LADDER_MAX_RUNGS;
    memcpy(src, list + first, (size_t)*nb * sizeof(*src));
    free(list);
    return 0;
}

/* The ladder to run, resolved against the source exactly as the engine does. */
static int resolve_ladder(bench *b)
{
    ladder_rung src[LADDER_MAX_RUNGS];
    int nb = 0;
    double segment = 2.0;
    char err[256];
    memset(src, 0, sizeof(src));
    if (b->opt.ladder_file) {
        ladder_rung *file = NULL;
        int ret = ladder_config_load_file(b->opt.ladder_file, &file, &nb, &segment, err, sizeof(err));
        if (ret)
            return fail(b, BENCH_EXIT_LADDER, "%s", err);
        if (nb > LADDER_MAX_RUNGS)
            nb = LADDER_MAX_RUNGS;
        memcpy(src, file, (size_t)nb * sizeof(*src));
        free(file);
    } else {
        int ret = default_rungs(b, src, &nb);
        if (ret)
            return ret;
    }
    ladder_rung resolved[LADDER_MAX_RUNGS];
    memcpy(resolved, src, sizeof(src));
    for (int i = 0; i < nb; i++) {
        if (ladder_config_output_size(&src[i], b->in.display_w, b->in.display_h, &resolved[i].width,
                                      &resolved[i].height))
            return fail(b, BENCH_EXIT_LADDER, "%s: rung %d has no size",
                        b->opt.ladder_file ? b->opt.ladder_file : "ladder", i + 1);
    }
    if (ladder_config_validate(resolved, nb, err, sizeof(err)))
        return b->opt.ladder_file ? fail(b, BENCH_EXIT_LADDER, "%s: %s", b->opt.ladder_file, err)
                                  : fail(b, BENCH_EXIT_LADDER, "%s", err);

    double fps = b->in.fps_den ? (double)b->in.fps_num / b->in.fps_den : 0;
    b->segment_seconds = segment;
    /* As chunk_plan.c: the segment snapped to whole frames. */
    b->gop_frames = fps > 0 ? (int)lround(segment * fps) : 0;
    if (fps > 0 && b->gop_frames < 1)
        b->gop_frames = 1;
    for (int i = 0; i < nb; i++) {
        bench_rung *r = &b->rungs[i];
        r->cfg = resolved[i];
        r->width = resolved[i].width;
        r->height = resolved[i].height;
        /* The default ladder's VBV is what ladder encode derives from the
         * bitrate anyway (maxrate 1.1 x, bufsize 2 x maxrate): not passed. */
        r->maxrate_given = b->opt.ladder_file && src[i].maxrate_kbps > 0;
        r->bufsize_given = b->opt.ladder_file && src[i].bufsize_kbps > 0;
        r->fps_capped = r->cfg.max_fps > 0 && fps > 0 && r->cfg.max_fps < fps * 0.999;
        r->gop_frames = !fps ? 0 : r->fps_capped ? (int)lround(segment * r->cfg.max_fps) : b->gop_frames;
        if (fps > 0 && r->gop_frames < 1)
            r->gop_frames = 1;
    }
    b->setup = (bench_setup){
        .ladder_bin = b->ladder_bin, .ffmpeg = b->opt.ffmpeg_argv, .input = b->input_path, .codec = b->opt.codec,
        .preset = b->opt.preset, .segment_seconds = segment, .src_w = b->in.width, .src_h = b->in.height,
        .src_fps = fps, .has_audio = b->in.has_audio, .audio_copy = b->in.audio_copyable, .audio_kbps = 128,
        .rungs = b->rungs, .nb_rungs = nb,
    };
    return 0;
}

static int plan_systems(bench *b)
{
    int counts[BENCH_MAX_SLOT_COUNTS], nc = 0;
    if (b->opt.nb_slots) {
        memcpy(counts, b->opt.slots, sizeof(int) * (size_t)b->opt.nb_slots);
        nc = b->opt.nb_slots;
    } else {
        for (int k = 1; k <= b->cores && nc < BENCH_MAX_SLOT_COUNTS; k++)
            counts[nc++] = k;
    }
    b->systems = calloc((size_t)nc + 4, sizeof(*b->systems));
    if (!b->systems)
        return fail(b, BENCH_EXIT_FAILED, "out of memory");
    bench_system *s = b->systems;
    int n = 0;
    s[n++] = (bench_system){ .id = "ladder", .label = "ladder", .kind = SYS_LADDER, .helpers = true,
                             .compare = true, .quality = true, .slots_used = b->default_slots };
    s[n++] = (bench_system){ .id = "ladder_no_helpers", .label = "ladder --no-helpers", .kind = SYS_LADDER,
                             .helpers = false, .compare = true, .quality = true, .slots_used = b->default_slots };
    for (int i = 0; i < nc; i++) {
        /* The default slot count is the 'ladder' system already. */
        bool dup = counts[i] == b->default_slots;
        for (int j = 0; j < i; j++)
            dup |= counts[j] == counts[i];
        if (dup)
            continue;
        bench_system *e = &s[n++];
        *e = (bench_system){ .kind = SYS_LADDER, .helpers = true, .slots = counts[i], .slots_used = counts[i] };
        snprintf(e->id, sizeof(e->id), "ladder_slots_%d", counts[i]);
        snprintf(e->label, sizeof(e->label), "ladder cpu:%d", counts[i]);
    }
    s[n++] = (bench_system){ .id = "ffmpeg_one_process", .label = "ffmpeg one process", .kind = SYS_FFMPEG_ONE,
                             .compare = true, .quality = true };
    s[n++] = (bench_system){ .id = "ffmpeg_per_rung", .label = "ffmpeg per rung", .kind = SYS_FFMPEG_RUNGS,
                             .compare = true, .quality = true };
    b->nb_systems = n;
    b->total_runs = n * b->opt.runs;
    return 0;
}

static int write_outputs(bench *b)
{
    json_object *files = json_object_new_object();
    static const char *const names[][2] = {
        { "json", "bench.json" }, { "markdown", "summary.md" }, { "html", "report.html" },
        { "wall_svg", "wall.svg" }, { "scaling_svg", "scaling.svg" }, { "rd_svg", "rd.svg" },
        { "quality_svg", "quality.svg" },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        json_object_object_add(files, names[i][0], json_object_new_string(names[i][1]));
    json_object_object_add(b->doc, "files", files);
    json_object_object_add(jget(b->doc, "meta"), "loadavg_after", bench_host_loadavg());

    if (bench_report_summarise(b->doc))
        return fail(b, BENCH_EXIT_FAILED, "out of memory");
    b->results_written = true;
    int ret = bench_report_plots(b->doc, b->out_dir);
    if (ret)
        return fail(b, BENCH_EXIT_OUTPUT, "%s: cannot write the charts: %s", b->out_dir, strerror(-ret));
    if ((ret = bench_html_write(b->doc, b->out_dir)))
        return fail(b, BENCH_EXIT_OUTPUT, "%s: cannot write report.html: %s", b->out_dir, strerror(-ret));
    char *md = bench_fs_join(b->out_dir, "summary.md"), *js = bench_fs_join(b->out_dir, "bench.json");
    if (!md || !js) {
        free(md);
        free(js);
        return fail(b, BENCH_EXIT_FAILED, "out of memory");
    }
    FILE *f = fopen(md, "w");
    if (f) {
        bench_report_markdown(b->doc, f);
        if (fclose(f))
            f = NULL;
    }
    if (!f)
        ret = fail(b, BENCH_EXIT_OUTPUT, "%s: %s", md, strerror(errno));
    int r = bench_report_write_json(b->doc, js);
    if (r && !ret)
        ret = fail(b, BENCH_EXIT_OUTPUT, "%s: %s", js, strerror(-r));
    free(md);
    free(js);
    if (ret)
        return ret;
    bench_report_markdown(b->doc, stdout);
    fflush(stdout);
    return 0;
}

/* ---- the whole bench ----------------------------------------------------------- */

static int input_error_code(int err)
{
    return ladder_exit_code(err);
}

static int bench_run(bench *b)
{
    b->cores = bench_host_cores();
    b->default_slots = bench_host_online_cpus();
    int ret;

    /* Fail fast, before anything is written, on what the user can fix. */
    if (b->opt.input && access(b->opt.input, R_OK))
        return fail(b, BENCH_EXIT_INPUT_MISSING, "%s: %s", b->opt.input,
                    errno == ENOENT ? "no such file" : strerror(errno));
    if (b->opt.ladder_file && access(b->opt.ladder_file, R_OK))
        return fail(b, BENCH_EXIT_LADDER, "%s: %s", b->opt.ladder_file,
                    errno == ENOENT ? "no such file" : strerror(errno));
    const char *encoder = bench_codec_encoder(b->opt.codec);
    if (!avcodec_find_encoder_by_name(encoder))
        return fail(b, BENCH_EXIT_CODEC, "--codec %s: the linked FFmpeg has no %s encoder", b->opt.codec, encoder);
    if ((ret = find_self(b)))
        return ret;

    if (b->opt.out) {
        b->out_dir = strdup(b->opt.out);
    } else if (default_out_dir(&b->out_dir)) {
        return fail(b, BENCH_EXIT_FAILED, "out of memory");
    }
    struct stat st;
    b->out_created = b->out_dir && stat(b->out_dir, &st) != 0;
    b->work_dir = b->out_dir ? bench_fs_join(b->out_dir, "work") : NULL;
    b->cache_dir = b->opt.cache ? strdup(b->opt.cache) : default_cache_dir(b->out_dir);
    if (!b->out_dir || !b->work_dir || !b->cache_dir)
        return fail(b, BENCH_EXIT_FAILED, "out of memory");
    bench_fs_rm_rf(b->work_dir);
    if ((ret = bench_fs_mkdir_p(b->work_dir)))
        return fail(b, BENCH_EXIT_OUTPUT, "%s: cannot create: %s", b->out_dir, strerror(-ret));

    if ((ret = check_ffmpeg(b)) || (ret = check_ladder_codec(b)))
        return ret;
    json_object *generated = NULL;
    if (b->opt.input) {
        if (!(b->input_path = strdup(b->opt.input)))
            return fail(b, BENCH_EXIT_FAILED, "out of memory");
    } else if ((ret = prepare_synthetic(b, &generated))) {
        return ret;
    }
    char err[512];
    /* Probing reads the whole file: it is in the page cache for the first run. */
    ret = bench_media_probe(b->input_path, 128, &b->in, err, sizeof(err));
    if (ret) {
        json_object_put(generated);
        return fail(b, input_error_code(ret), "%s", err);
    }
    if ((ret = resolve_ladder(b)) || (ret = plan_systems(b))) {
        json_object_put(generated);
        return ret;
    }

    b->doc = json_object_new_object();
    b->runs = json_object_new_array();
    b->problems = json_object_new_array();
    json_object_object_add(b->doc, "schema", json_object_new_string("ladder-bench/1"));
    json_object_object_add(b->doc, "meta", describe_meta(b));
    json_object_object_add(b->doc, "input", describe_input(b, generated));
    json_object_object_add(b->doc, "ladder", describe_ladder(b));
    json_object_object_add(b->doc, "systems", describe_systems(b));
    json_object_object_add(b->doc, "runs", b->runs);
    json_object_object_add(b->doc, "problems", b->problems);

    for (int round = 1; round <= b->opt.runs && !g_cancel; round++)
        for (int i = 0; i < b->nb_systems && !g_cancel; i++)
            if ((ret = run_one(b, &b->systems[i], round)))
                return ret == LADDER_EOUTPUT ? BENCH_EXIT_OUTPUT : fail(b, BENCH_EXIT_FAILED, "out of memory");
    if (!g_cancel)
        measure_quality(b);
    if (g_cancel)
        return fail(b, BENCH_EXIT_CANCELLED, "cancelled");
    if ((ret = write_outputs(b)))
        return ret;
    size_t np = json_object_array_length(b->problems);
    fprintf(stderr, "ladder bench: results in %s (report.html, bench.json, summary.md, charts)\n",
            b->out_dir);
    if (np) {
        fprintf(stderr, "ladder bench: FAILED: %zu problem(s):\n", np);
        for (size_t i = 0; i < np; i++)
            fprintf(stderr, "  %s\n", json_object_get_string(json_object_array_get_idx(b->problems, i)));
        return BENCH_EXIT_FAILED;
    }
    return BENCH_EXIT_OK;
}

static void bench_close(bench *b)
{
    if (b->work_dir && !b->opt.keep)
        bench_fs_rm_rf(b->work_dir);
    /* An early failure leaves no empty results directory behind. */
    if (b->out_dir && b->out_created && !b->results_written) {
        if (b->cache_dir)
            rmdir(b->cache_dir);
        rmdir(b->out_dir);
    }
    for (int i = 0; i < b->nb_systems; i++)
        free(b->systems[i].last_dir);
    free(b->systems);
    json_object_put(b->doc);
    free(b->ladder_bin);
    free(b->out_dir);
    free(b->work_dir);
    free(b->cache_dir);
    free(b->input_path);
}

int bench_command(int argc, char **argv)
{
    bench b;
    memset(&b, 0, sizeof(b));
    int status = bench_options_parse(&b.opt, argc, argv);
    if (status >= 0)
        return status;
    /* FFmpeg's own messages would break the one-line errors and the
     * progress line; every failure is reported by the bench itself. */
    av_log_set_level(AV_LOG_QUIET);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: wait4() must return so the children can be told. */
    struct sigaction old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    bench_progress_init(&b.prog);
    status = bench_run(&b);
    bench_progress_close(&b.prog);
    bench_close(&b);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return status;
}
