/*
 * `ladder job SPEC.json|-`: run one queue job and speak JSON lines on
 * stdout: progress lines while it works, then exactly one result line,
 * always last. The exit status is ladder_exit_code() of the outcome.
 */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "commands.h"
#include "progress_json.h"
#include "encode_slots.h"
#include "stop_watch.h"
#include "host_config.h"
#include "policy/config.h"
#include "ladder/error.h"
#include "ladder/job.h"
#include "ladder/ladder.h"

#define SPEC_MAX (1 << 20)

static void job_usage(FILE *out)
{
    fprintf(out,
            "Usage: ladder job SPEC.json\n"
            "       ladder job -            (spec on stdin)\n"
            "\n"
            "Run one job (proxy, thumbnail, filmstrip, conform, trim, ladder) described by a\n"
            "JSON spec. stdout: JSON lines, {\"type\":\"progress\",...} then one\n"
            "{\"type\":\"result\",...}. The result is written to output_root/output atomically.\n"
            "Spec schema, output lines and exit codes: docs/worker.md, 'ladder job'.\n");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Read the whole spec (file or stdin); NULL with err set on failure. */
static char *read_spec(const char *path, char *err, size_t n)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        snprintf(err, n, "job spec '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(SPEC_MAX + 1);
    size_t len = buf ? fread(buf, 1, SPEC_MAX + 1, f) : 0;
    bool bad = buf && ferror(f);
    if (f != stdin)
        fclose(f);
    if (!buf) {
        snprintf(err, n, "out of memory");
        return NULL;
    }
    if (bad || len > SPEC_MAX) {
        snprintf(err, n, "job spec '%s': %s", path, bad ? "read failed" : "larger than 1 MiB");
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    if (strlen(buf) != len) {
        snprintf(err, n, "job spec '%s': contains a NUL byte", path);
        free(buf);
        return NULL;
    }
    return buf;
}

typedef struct progress_out {
    const char *id;
    double last;                  /* time of the last line */
    int last_percent;
    char stage[32];
} progress_out;

/* Every line carries "t", as ladder encode's JSON lines do (docs/PROGRESS.md). */
static void print_line(json_object *o)
{
    progress_json_add_t(o);
    fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* At most 4 lines a second, plus one whenever the stage changes. */
static void on_progress(void *opaque, const char *stage, double percent)
{
    progress_out *p = opaque;
    double t = now();
    int pct = (int)percent;
    bool new_stage = strcmp(stage, p->stage) != 0;
    if (!new_stage && (t - p->last < 0.25 || pct == p->last_percent))
        return;
    p->last = t;
    p->last_percent = pct;
    snprintf(p->stage, sizeof(p->stage), "%s", stage);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string("progress"));
    json_object_object_add(o, "job", json_object_new_string(p->id));
    json_object_object_add(o, "stage", json_object_new_string(stage));
    json_object_object_add(o, "percent", json_object_new_int(pct));
    print_line(o);
    json_object_put(o);
}

/* The id of a spec that failed validation, when it has a readable one, so
 * the worker can still match the result to its job. */
static json_object *spec_id(const char *text)
{
    json_object *root = text ? json_tokener_parse(text) : NULL, *id = NULL, *out = NULL;
    if (root && json_object_is_type(root, json_type_object) && json_object_object_get_ex(root, "id", &id) &&
        json_object_is_type(id, json_type_string))
        out = json_object_new_string(json_object_get_string(id));
    json_object_put(root);
    return out;
}

static int report_error(json_object *id, int code, const char *msg)
{
    int exit_code = ladder_exit_code(code);
    fprintf(stderr, "ladder: %s\n", msg);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string("result"));
    json_object_object_add(o, "job", id);
    json_object_object_add(o, "status", json_object_new_string("error"));
    json_object_object_add(o, "error", json_object_new_string(msg));
    json_object_object_add(o, "code", json_object_new_string(code == LADDER_ECONFIG ? "invalid job spec" : ladder_strerror(code)));
    json_object_object_add(o, "exit_code", json_object_new_int(exit_code));
    print_line(o);
    json_object_put(o);
    return exit_code;
}

/* The spec's keys that are not ladder's (a producer's own fields), as a
 * JSON array: a queue echoes them with the result. */
static json_object *ignored_keys(const ladder_job_spec *spec)
{
    json_object *keys = json_object_new_array();
    for (int i = 0; i < spec->nb_ignored_keys; i++)
        json_object_array_add(keys, json_object_new_string(spec->ignored_keys[i]));
    return keys;
}

/* One warning line for all of them: they are expected in queue data, but a
 * misspelt key too far from ladder's to be caught shows up here. */
static void warn_ignored_keys(const ladder_job_spec *spec)
{
    if (!spec->nb_ignored_keys)
        return;
    json_object *keys = ignored_keys(spec);
    fprintf(stderr, "ladder: job spec: not ladder's keys, ignored: %.400s\n",
            json_object_to_json_string_ext(keys, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(keys);
}

static int report_ok(const ladder_job_spec *spec, const ladder_job_result *r, double wall, double cpu)
{
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string("result"));
    json_object_object_add(o, "job", json_object_new_string(spec->id));
    json_object_object_add(o, "job_type", json_object_new_string(ladder_job_type_name(spec->type)));
    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "class", json_object_new_string(spec->realtime ? "realtime" : "batch"));
    json_object_object_add(o, "cpu_slots", json_object_new_int(spec->cpu_slots));
    json_object *outs = json_object_new_array();
    for (int i = 0; i < r->nb_outputs; i++) {
        const ladder_job_file *f = &r->outputs[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "path", json_object_new_string(f->path));
        json_object_object_add(e, "bytes", json_object_new_int64(f->bytes));
        json_object_object_add(e, "duration", json_object_new_double(f->duration));
        json_object_object_add(e, "width", json_object_new_int(f->width));
        json_object_object_add(e, "height", json_object_new_int(f->height));
        json_object_array_add(outs, e);
    }
    json_object_object_add(o, "outputs", outs);
    json_object_object_add(o, "node", json_object_new_string(host));
    json_object *devices = json_object_new_array();
    json_object_array_add(devices, json_object_new_string("cpu"));
    json_object_object_add(o, "devices", devices);
    json_object *timings = json_object_new_object();
    json_object_object_add(timings, "wall_seconds", json_object_new_double(wall));
    json_object_object_add(timings, "cpu_seconds", json_object_new_double(cpu));
    json_object_object_add(o, "timings", timings);
    json_object_object_add(o, "ignored_keys", ignored_keys(spec));
    if (r->extra_json) {
        /* The type's own fields: merged as members of the result. */
        size_t n = strlen(r->extra_json) + 3;
        char *text = malloc(n);
        json_object *extra = NULL;
        if (text) {
            snprintf(text, n, "{%s}", r->extra_json);
            extra = json_tokener_parse(text);
            free(text);
        }
        if (extra) {
            json_object_object_foreach(extra, key, val)
                json_object_object_add(o, key, json_object_get(val));
        }
        json_object_put(extra);
    }
    print_line(o);
    json_object_put(o);
    return 0;
}

/* The first SIGINT / SIGTERM stops the job: a ladder job at its next chunk
 * boundary (exit 14, its temporary directory and journal kept for the next
 * attempt, which continues from them), any other type as a cancel. A
 * second one cancels: the job removes its temporary directory and reports
 * "cancelled" (exit 130). */
static void stop_runner(void *opaque)
{
    ladder_job_runner_stop(opaque);
}

static void cancel_runner(void *opaque)
{
    ladder_job_runner_cancel(opaque);
}

/* LADDER_DIE_WITH_PARENT=1: a job runner (the BullMQ worker) wants its
 * ladder to end with it. The kernel sends STOP_WATCH_PARENT_DEATH_SIGNAL
 * when the parent dies (the job stops as on a first SIGTERM: a ladder job
 * at a chunk boundary, exit 14, its segments kept for the next runner; any
 * other type cancelled, exit 130). Not SIGTERM itself: with a
 * multi-threaded parent (node) it comes twice, and two SIGTERMs cancel. A
 * parent already gone before the request took effect is caught by
 * comparing getppid() around it. */
static void die_with_parent(void)
{
    const char *v = getenv("LADDER_DIE_WITH_PARENT");
    if (!v || strcmp(v, "1"))
        return;
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, STOP_WATCH_PARENT_DEATH_SIGNAL) != 0)
        return;
    if (getppid() != parent)
        kill(getpid(), STOP_WATCH_PARENT_DEATH_SIGNAL);   /* process-directed: the watcher thread takes it */
}

/*
 * Host CPU slots, shared with `ladder encode` and every other ladder on the
 * host (README, "Sharing a host"), taken with the spec's class as its
 * --priority: the ladder type takes 1..one per core and runs its session
 * with what it got; the other types take one. A realtime job that has to
 * wait announces itself, so batch sessions (`ladder encode` and batch
 * ladder jobs) give it their slots at their next chunk boundary. The other
 * types have no chunk boundaries: they keep their slot until they end. The
 * configuration's state_dir, host_cpu_slots and when_busy apply as for
 * encode (when_busy fail: exit 75 at once when no slot is free).
 */
static int take_slots(ladder_job_spec *spec, stop_watch *watch, encode_slots **out, char *err, size_t n)
{
    ladder_conf *conf = NULL;
    int ret = ladder_conf_load(&conf, NULL, err, n);
    if (ret)
        return ret;
    ladder_conf_values v = *ladder_conf_get(conf);
    ladder_conf_close(conf);
    /* Tiers: jobs run on the CPU here, so the CPU's tier must allow the
     * type (a heavy job never lands on a light device). */
    int nb_devices = 0;
    host_inventory hosts = { 0 };
    ret = host_config_enforce_tiers(&v, &hosts, ladder_job_type_name(spec->type), NULL, &nb_devices, err, n);
    host_inventory_close(&hosts);
    if (ret)
        return ret;
    size_t len = strlen(spec->output_root) + strlen(spec->output) + 2;
    char *final = malloc(len);
    if (!final) {
        snprintf(err, n, "out of memory");
        return LADDER_ENOMEM;
    }
    snprintf(final, len, "%s/%s", spec->output_root, spec->output);
    ladder_job stand_in;          /* what encode_slots reads: input, output, wanted slots */
    ladder_job_defaults(&stand_in);
    stand_in.input = spec->input;
    stand_in.output_dir = final;
    stand_in.cpu_slots = spec->type == LADDER_JOB_LADDER ? 0 : 1;
    char what[32];
    snprintf(what, sizeof(what), "job %s", ladder_job_type_name(spec->type));
    encode_slots_options opts = {
        .host_cpu_slots = v.host_cpu_slots,
        .no_wait = v.when_busy == LADDER_WHEN_BUSY_FAIL,
        .realtime = spec->realtime,
        .state_dir = v.state_dir[0] ? v.state_dir : NULL,
        .what = what,
    };
    /* Not JSON: stdout carries only progress and result lines. */
    opts.err = err;
    opts.err_size = n;
    opts.interruptible = watch != NULL;
    opts.interrupt_fd = stop_watch_interrupt_fd(watch);
    err[0] = 0;
    ret = encode_slots_claim(out, &stand_in, &opts, false, LADDER_LOG_WARNING);
    free(final);
    if (ret == LADDER_ECANCELED && stop_watch_received(watch) > 1) {
        snprintf(err, n, "cancelled");
        return ret;
    }
    if (ret == LADDER_ECANCELED) {
        /* Nothing started: the next attempt starts afresh (exit 14, which
         * a queue retries without counting an attempt). */
        snprintf(err, n, "stopped while waiting for a host slot, before anything was written");
        return LADDER_ESTOPPED;
    }
    if (ret) {
        if (!err[0])
            snprintf(err, n, "host CPU slots: %s", ladder_strerror(ret));
        /* A bad LADDER_HOST_CPU_SLOTS is a bad setting, not a bad spec:
         * exit 6 either way (LADDER_EINVAL would read as a usage error). */
        return ret == LADDER_EINVAL ? LADDER_ECONFIG : ret;
    }
    spec->cpu_slots = stand_in.cpu_slots;
    if (!spec->realtime) {
        spec->chunk_gate = encode_slots_gate;
        spec->chunk_gate_opaque = *out;
    }
    return 0;
}

/*
 * A local input under input_allow. One that is not there at all is missing
 * (exit 3) when it would lie under an input_allow directory; outside them
 * it is refused (exit 13) whether it exists or not, so a spec cannot probe
 * what exists elsewhere on the host.
 */
static int check_input_allow(const char *input, const ladder_conf_values *v, char *err, size_t n)
{
    for (int i = 0; i < v->nb_input_allow; i++)
        if (ladder_job_path_under(input, v->input_allow[i]))
            return 0;
    for (int i = 0; i < v->nb_input_allow; i++)
        if (ladder_job_missing_path_under(input, v->input_allow[i])) {
            snprintf(err, n, "input '%.300s': %s", input, strerror(ENOENT));
            return LADDER_EINPUT_MISSING;
        }
    snprintf(err, n, "job spec: \"input\" '%.300s': not under a configured input_allow directory", input);
    return LADDER_EREFUSED;
}

/*
 * The host configuration's roots (output_root, input_allow; file or
 * LADDER_OUTPUT_ROOT / LADDER_INPUT_ALLOW): a spec must not name an output
 * root or a local input outside them, however it spells the path ("..",
 * symlinks). Unset: any path the process may use. LADDER_EREFUSED (exit 13)
 * or LADDER_ECONFIG for a bad configuration. Also fills in the host's
 * max_pixels / max_memory where the spec gives none.
 */
static int check_roots(ladder_job_spec *spec, char *err, size_t n)
{
    ladder_conf *conf = NULL;
    int ret = ladder_conf_load(&conf, NULL, err, n);
    if (ret)
        return ret;
    const ladder_conf_values *v = ladder_conf_get(conf);
    /* The host's limits are the defaults of a ladder spec's own. */
    if (!spec->max_pixels)
        spec->max_pixels = v->max_pixels;
    if (!spec->max_memory)
        spec->max_memory = v->max_memory;
    if (v->output_root[0] && !ladder_job_path_under(spec->output_root, v->output_root)) {
        snprintf(err, n, "job spec: \"output_root\" '%.200s': outside the configured output_root '%.200s'",
                 spec->output_root, v->output_root);
        ret = LADDER_EREFUSED;
    }
    if (!ret && !ladder_job_input_is_url(spec->input) && v->nb_input_allow > 0)
        ret = check_input_allow(spec->input, v, err, n);
    ladder_conf_close(conf);
    return ret;
}

static int job_main(int argc, char **argv, stop_watch *watch)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        job_usage(stdout);
        return 0;
    }
    if (argc != 2) {
        job_usage(stderr);
        return 2;
    }
    av_log_set_level(AV_LOG_QUIET);
    double t0 = now(), c0 = cpu_seconds();
    char err[512] = "";
    int code;
    char *text = read_spec(argv[1], err, sizeof(err));
    if (!text)
        return report_error(NULL, LADDER_ECONFIG, err);  /* an unreadable spec is a bad spec */
    ladder_job_spec *spec = NULL;
    int ret = ladder_job_spec_parse(text, &spec, err, sizeof(err));
    if (ret) {
        json_object *id = spec_id(text);
        free(text);
        return report_error(id, ret, err);
    }
    free(text);
    warn_ignored_keys(spec);
    if ((ret = check_roots(spec, err, sizeof(err)))) {
        json_object *id = json_object_new_string(spec->id);
        ladder_job_spec_free(spec);
        return report_error(id, ret, err);
    }
    encode_slots *slots = NULL;
    if ((ret = take_slots(spec, watch, &slots, err, sizeof(err)))) {
        code = report_error(json_object_new_string(spec->id), ret, err);
        ladder_job_spec_free(spec);
        return code;
    }
    progress_out p = { .id = spec->id, .last_percent = -1 };
    ladder_job_sink sink = { .opaque = &p, .on_progress = on_progress };
    ladder_job_runner *runner = NULL;
    if ((ret = ladder_job_runner_init(&runner, spec, &sink))) {
        encode_slots_close(slots);
        ladder_job_spec_free(spec);
        return report_error(NULL, ret, ladder_strerror(ret));
    }
    /* A signal from here on stops or cancels the runner; one that came
     * during the set-up above does so now, before it starts. */
    stop_watch_attach(watch, (stop_watch_target){ .stop = stop_runner, .cancel = cancel_runner,
                                                  .opaque = runner });
    ret = ladder_job_runner_run(runner);
    stop_watch_detach(watch);
    encode_slots_release(slots);
    if (ret)
        code = report_error(json_object_new_string(spec->id), ret, ladder_job_runner_error(runner));
    else
        code = report_ok(spec, ladder_job_runner_result(runner), now() - t0, cpu_seconds() - c0);
    ladder_job_runner_close(runner);
    encode_slots_close(slots);
    ladder_job_spec_free(spec);
    return code;
}

int cmd_job(int argc, char **argv)
{
    /* First, before any thread exists: a signal during set-up (the spec
     * read, a wait for a host slot) is a stop like any other. The
     * parent-death signal is SIGTERM, so it is taken the same way. */
    stop_watch *watch = NULL;
    if (stop_watch_start(&watch, false))
        watch = NULL;             /* signals keep their default action */
    die_with_parent();
    int code = job_main(argc, argv, watch);
    stop_watch_close(watch);
    return code;
}
