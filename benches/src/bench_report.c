/* Results document, summaries, Markdown and charts for `ladder bench`.
 * See bench_report.h. */
#include "bench_report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_plot.h"
#include "ladder/error.h"

/* ---- building and reading ----------------------------------------------- */

json_object *bench_json_num(double v)
{
    if (!isfinite(v))
        return NULL;
    if (v == floor(v) && fabs(v) < 1e15)
        return json_object_new_int64((int64_t)v);
    /* Seven significant digits: a microsecond in a 10 s run; json-c's own
     * %.17g would print 1.2300000000000000 for 1.23. */
    char buf[40];
    snprintf(buf, sizeof(buf), "%.7g", v);
    return json_object_new_double_s(v, buf);
}

json_object *bench_json_str(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

json_object *bench_json_argv(char *const *argv)
{
    json_object *a = json_object_new_array();
    for (int i = 0; a && argv && argv[i]; i++)
        json_object_array_add(a, json_object_new_string(argv[i]));
    return a;
}

json_object *bench_json_summary(const bench_summary *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "n", json_object_new_int(s->n));
    json_object_object_add(o, "median", bench_json_num(s->median));
    json_object_object_add(o, "min", bench_json_num(s->min));
    json_object_object_add(o, "max", bench_json_num(s->max));
    return o;
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object))
        json_object_object_get_ex(o, key, &v);
    return v;
}

double bench_json_get_num(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        return NAN;
    return json_object_get_double(v);
}

const char *bench_json_get_str(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A string of the document for a line of text: "?" where it has none, so
 * a damaged document never puts a null pointer into printf's %s. */
static const char *shown_str(json_object *o, const char *key)
{
    const char *s = bench_json_get_str(o, key);
    return s ? s : "?";
}

static bool get_bool(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static size_t arr_len(json_object *a)
{
    return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

json_object *bench_json_get(json_object *o, const char *key)
{
    return get(o, key);
}

bool bench_json_get_bool(json_object *o, const char *key)
{
    return get_bool(o, key);
}

size_t bench_json_len(json_object *a)
{
    return arr_len(a);
}

static json_object *arr_at(json_object *a, size_t i)
{
    return json_object_array_get_idx(a, i);
}

static bool str_is(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* ---- collecting values from runs ---------------------------------------- */

/*
 * Values of run[key] (or run.rungs[rung][key] when rung is set) over the ok
 * runs of one system, indexed by round (0-based): NaN where the run failed
 * or did not measure it. out has room for `rounds`.
 */
static void by_round(json_object *doc, const char *system, const char *rung, const char *key,
                     int rounds, double *out)
{
    for (int i = 0; i < rounds; i++)
        out[i] = NAN;
    json_object *runs = get(doc, "runs");
    for (size_t i = 0; i < arr_len(runs); i++) {
        json_object *run = arr_at(runs, i);
        int round = (int)bench_json_get_num(run, "round");
        if (!str_is(bench_json_get_str(run, "system"), system) || !get_bool(run, "ok") ||
            round < 1 || round > rounds)
            continue;
        if (!rung) {
            out[round - 1] = bench_json_get_num(run, key);
            continue;
        }
        json_object *rr = get(run, "rungs");
        for (size_t k = 0; k < arr_len(rr); k++)
            if (str_is(bench_json_get_str(arr_at(rr, k), "name"), rung))
                out[round - 1] = bench_json_get_num(arr_at(rr, k), key);
    }
}

static int rounds_of(json_object *doc)
{
    int r = (int)bench_json_get_num(get(get(doc, "meta"), "options"), "runs");
    return r > 0 ? r : 1;
}

static int cores_of(json_object *doc)
{
    int c = (int)bench_json_get_num(get(get(doc, "meta"), "host"), "cores");
    return c > 0 ? c : 1;
}

/* Summary of one figure of one system; scale multiplies every value. */
static int summarise_figure(json_object *doc, const char *system, const char *rung, const char *key,
                            double scale, bench_summary *out)
{
    int rounds = rounds_of(doc);
    double *v = malloc((size_t)rounds * sizeof(*v));
    if (!v)
        return LADDER_ENOMEM;
    by_round(doc, system, rung, key, rounds, v);
    for (int i = 0; i < rounds; i++)
        v[i] *= scale;
    int ret = bench_stats_summarise(v, rounds, out);
    free(v);
    return ret;
}

static double median_of(json_object *doc, const char *system, const char *key)
{
    bench_summary s;
    if (summarise_figure(doc, system, NULL, key, 1.0, &s))
        return NAN;
    return s.median;
}

/* ---- summaries ---------------------------------------------------------- */

static int add_summary(json_object *doc, json_object *o, const char *system, const char *rung,
                       const char *key, const char *as, double scale)
{
    bench_summary s;
    int ret = summarise_figure(doc, system, rung, key, scale, &s);
    if (!ret)
        json_object_object_add(o, as, bench_json_summary(&s));
    return ret;
}

static int summarise_systems(json_object *doc)
{
    json_object *systems = get(doc, "systems"), *rungs = get(get(doc, "ladder"), "rungs");
    json_object *runs = get(doc, "runs");
    json_object *all = json_object_new_object();
    json_object_object_add(doc, "summary", all);
    int ret = 0;
    for (size_t i = 0; i < arr_len(systems) && !ret; i++) {
        json_object *sys = arr_at(systems, i);
        const char *id = bench_json_get_str(sys, "id");
        json_object *o = json_object_new_object();
        json_object_object_add(all, id, o);
        json_object_object_add(o, "label", bench_json_str(bench_json_get_str(sys, "label")));
        int n = 0, ok = 0;
        for (size_t k = 0; k < arr_len(runs); k++) {
            json_object *run = arr_at(runs, k);
            if (str_is(bench_json_get_str(run, "system"), id)) {
                n++;
                ok += get_bool(run, "ok");
            }
        }
        json_object_object_add(o, "runs", json_object_new_int(n));
        json_object_object_add(o, "runs_ok", json_object_new_int(ok));
        static const struct { const char *key, *as; double scale; } figs[] = {
            { "wall_s", "wall_s", 1 }, { "cpu_s", "cpu_s", 1 }, { "user_s", "user_s", 1 },
            { "sys_s", "sys_s", 1 }, { "cpu_util", "cpu_util", 1 },
            { "peak_rss_kib", "peak_rss_mib", 1.0 / 1024 }, { "background_util", "background_util", 1 },
        };
        for (size_t f = 0; f < sizeof(figs) / sizeof(figs[0]) && !ret; f++)
            ret = add_summary(doc, o, id, NULL, figs[f].key, figs[f].as, figs[f].scale);
        json_object *per = json_object_new_object();
        json_object_object_add(o, "rungs", per);
        for (size_t r = 0; r < arr_len(rungs) && !ret; r++) {
            const char *name = bench_json_get_str(arr_at(rungs, r), "name");
            json_object *ro = json_object_new_object();
            json_object_object_add(per, name, ro);
            ret = add_summary(doc, ro, id, name, "bytes", "bytes", 1);
            if (!ret)
                ret = add_summary(doc, ro, id, name, "encode_fps", "encode_fps", 1);
        }
    }
    return ret;
}

static json_object *ratio_block(json_object *doc, const char *a, const char *b, const char *key, int *err)
{
    int rounds = rounds_of(doc);
    double *va = malloc((size_t)rounds * sizeof(double)), *vb = malloc((size_t)rounds * sizeof(double));
    double *pairs = malloc((size_t)rounds * sizeof(double));
    json_object *o = NULL;
    if (!va || !vb || !pairs) {
        *err = LADDER_ENOMEM;
        goto done;
    }
    by_round(doc, a, NULL, key, rounds, va);
    by_round(doc, b, NULL, key, rounds, vb);
    int n = bench_stats_pair_ratios(va, vb, rounds, pairs);
    bench_summary s;
    if ((*err = bench_stats_summarise(pairs, n, &s)))
        goto done;
    o = bench_json_summary(&s);
    json_object *list = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(list, bench_json_num(pairs[i]));
    json_object_object_add(o, "pairs", list);
    json_object_object_add(o, "ratio_of_medians",
                           bench_json_num(bench_stats_ratio(median_of(doc, a, key), median_of(doc, b, key))));
done:
    free(va);
    free(vb);
    free(pairs);
    return o;
}

static int summarise_ratios(json_object *doc)
{
    json_object *systems = get(doc, "systems");
    json_object *list = json_object_new_array();
    json_object_object_add(doc, "ratios", list);
    int err = 0;
    for (size_t i = 0; i < arr_len(systems) && !err; i++) {
        json_object *l = arr_at(systems, i);
        if (!str_is(bench_json_get_str(l, "kind"), "ladder") || !str_is(bench_json_get_str(l, "role"), "compare"))
            continue;
        for (size_t k = 0; k < arr_len(systems) && !err; k++) {
            json_object *f = arr_at(systems, k);
            if (!str_is(bench_json_get_str(f, "kind"), "ffmpeg"))
                continue;
            const char *lid = bench_json_get_str(l, "id"), *fid = bench_json_get_str(f, "id");
            json_object *o = json_object_new_object();
            json_object_array_add(list, o);
            json_object_object_add(o, "ladder", json_object_new_string(lid));
            json_object_object_add(o, "ffmpeg", json_object_new_string(fid));
            char label[160];
            snprintf(label, sizeof(label), "%s / %s", shown_str(l, "label"),
                     shown_str(f, "label"));
            json_object_object_add(o, "label", json_object_new_string(label));
            json_object *w = ratio_block(doc, lid, fid, "wall_s", &err);
            json_object_object_add(o, "wall", w);
            if (!err)
                json_object_object_add(o, "cpu", ratio_block(doc, lid, fid, "cpu_s", &err));
        }
    }
    return err;
}

static int cmp_slots(const void *a, const void *b)
{
    double x = bench_json_get_num(*(json_object *const *)a, "slots");
    double y = bench_json_get_num(*(json_object *const *)b, "slots");
    return (x > y) - (x < y);
}

static int summarise_scaling(json_object *doc)
{
    json_object *systems = get(doc, "systems");
    json_object *o = json_object_new_object();
    json_object_object_add(doc, "scaling", o);
    json_object_object_add(o, "cores", json_object_new_int(cores_of(doc)));
    json_object *pts = json_object_new_array();
    json_object_object_add(o, "points", pts);
    int ret = 0;
    for (size_t i = 0; i < arr_len(systems) && !ret; i++) {
        json_object *s = arr_at(systems, i);
        if (!str_is(bench_json_get_str(s, "kind"), "ladder") || !get_bool(s, "helpers"))
            continue;
        json_object *p = json_object_new_object();
        json_object_object_add(p, "slots", bench_json_num(bench_json_get_num(s, "slots")));
        json_object_object_add(p, "system", json_object_new_string(bench_json_get_str(s, "id")));
        ret = add_summary(doc, p, bench_json_get_str(s, "id"), NULL, "wall_s", "wall_s", 1);
        json_object_array_add(pts, p);
    }
    json_object_array_sort(pts, cmp_slots);
    double base = NAN, base_slots = NAN;
    for (size_t i = 0; i < arr_len(pts); i++) {
        json_object *p = arr_at(pts, i);
        double w = bench_json_get_num(get(p, "wall_s"), "median");
        if (!isfinite(base) && isfinite(w)) {
            base = w;
            base_slots = bench_json_get_num(p, "slots");
        }
        double speedup = bench_stats_ratio(base, w);
        json_object_object_add(p, "speedup", bench_json_num(speedup));
        json_object_object_add(p, "efficiency",
                               bench_json_num(speedup * base_slots / bench_json_get_num(p, "slots")));
    }
    json_object *refs = json_object_new_array();
    json_object_object_add(o, "ffmpeg", refs);
    for (size_t i = 0; i < arr_len(systems); i++) {
        json_object *s = arr_at(systems, i);
        if (!str_is(bench_json_get_str(s, "kind"), "ffmpeg"))
            continue;
        json_object *r = json_object_new_object();
        json_object_object_add(r, "system", json_object_new_string(bench_json_get_str(s, "id")));
        json_object_object_add(r, "wall_s_median", bench_json_num(median_of(doc, bench_json_get_str(s, "id"), "wall_s")));
        json_object_array_add(refs, r);
    }
    return ret;
}

/*
 * Per-rung encode seconds (median over runs) of one ladder system, summed;
 * NaN when a rung was not measured (a missing rung would make the limit
 * look lower).
 */
static int encode_seconds_of(json_object *doc, const char *system, const char *key, json_object *per,
                             double *sum)
{
    json_object *rungs = get(get(doc, "ladder"), "rungs");
    size_t n = arr_len(rungs);
    double *enc = calloc(n ? n : 1, sizeof(*enc));
    if (!enc)
        return LADDER_ENOMEM;
    int ret = 0;
    for (size_t i = 0; i < n && !ret; i++) {
        const char *name = bench_json_get_str(arr_at(rungs, i), "name");
        bench_summary s;
        ret = summarise_figure(doc, system, name, key, 1, &s);
        enc[i] = ret ? NAN : s.median;
        json_object_object_add(per, name, bench_json_num(enc[i]));
    }
    *sum = ret ? NAN : bench_stats_physical_limit(enc, (int)n, 1);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(enc[i]))
            *sum = NAN;
    free(enc);
    return ret;
}

static bool has_system(json_object *doc, const char *id)
{
    json_object *systems = get(doc, "systems");
    for (size_t i = 0; i < arr_len(systems); i++)
        if (str_is(bench_json_get_str(arr_at(systems, i), "id"), id))
            return true;
    return false;
}

/*
 * The limit is what the encodes alone cost: the CPU time of ladder's
 * single-threaded chunk encoders (report.json encode_cpu_seconds), summed
 * over rungs, over the cores. CPU time, not the encoders' wall time: with
 * every slot busy the encoders share the cores with decoding and scaling,
 * and their wall time grows with it (20 s 1080p on 2 cores: 36 s summed
 * with two slots, 30 s with one). The default runs give it; each system's
 * figures are kept in by_system.
 */
static int summarise_limit(json_object *doc)
{
    int cores = cores_of(doc);
    json_object *o = json_object_new_object();
    json_object_object_add(doc, "physical_limit", o);
    json_object_object_add(o, "cores", json_object_new_int(cores));
    json_object *by = json_object_new_object();
    json_object_object_add(o, "by_system", by);
    static const char *const candidates[] = { "ladder", "ladder_slots_1" };
    const char *basis = NULL;
    double sum = NAN;
    int ret = 0;
    for (size_t c = 0; c < 2 && !ret; c++) {
        if (!has_system(doc, candidates[c]))
            continue;
        json_object *e = json_object_new_object(), *per = json_object_new_object();
        json_object_object_add(by, candidates[c], e);
        json_object_object_add(e, "encode_cpu_seconds", per);
        double s_sum = NAN;
        ret = encode_seconds_of(doc, candidates[c], "encode_cpu_seconds", per, &s_sum);
        json_object_object_add(e, "sum_encode_cpu_seconds", bench_json_num(s_sum));
        json_object_object_add(e, "limit_s", bench_json_num(bench_stats_ratio(s_sum, cores)));
        if (!basis && isfinite(s_sum)) {
            basis = candidates[c];
            sum = s_sum;
            json_object_object_add(o, "encode_cpu_seconds", json_object_get(per));
        }
    }
    if (!basis)
        json_object_object_add(o, "encode_cpu_seconds", json_object_new_object());
    json_object_object_add(o, "basis_system", bench_json_str(basis));
    json_object_object_add(o, "basis",
        json_object_new_string("sum over rungs of the CPU time of ladder's single-threaded chunk encoders "
                               "(report.json encode_cpu_seconds, median over the runs of basis_system) "
                               "divided by the cores: no schedule can encode the ladder faster; decoding, "
                               "scaling and muxing are the distance to it"));
    json_object_object_add(o, "sum_encode_cpu_seconds", bench_json_num(sum));
    double limit = bench_stats_ratio(sum, cores);
    json_object_object_add(o, "limit_s", bench_json_num(limit));
    double lw = median_of(doc, "ladder", "wall_s");
    json_object_object_add(o, "ladder_wall_s", bench_json_num(lw));
    json_object_object_add(o, "ladder_wall_over_limit", bench_json_num(bench_stats_ratio(lw, limit)));
    json_object *sys = json_object_new_object();
    json_object_object_add(o, "systems", sys);
    json_object *systems = get(doc, "systems");
    for (size_t i = 0; i < arr_len(systems); i++) {
        const char *id = bench_json_get_str(arr_at(systems, i), "id");
        double w = median_of(doc, id, "wall_s");
        json_object *e = json_object_new_object();
        json_object_object_add(e, "wall_s", bench_json_num(w));
        json_object_object_add(e, "wall_over_limit", bench_json_num(bench_stats_ratio(w, limit)));
        json_object_object_add(sys, id, e);
    }
    return ret;
}

int bench_report_summarise(json_object *doc)
{
    int ret = summarise_systems(doc);
    if (!ret)
        ret = summarise_ratios(doc);
    if (!ret)
        ret = summarise_scaling(doc);
    if (!ret)
        ret = summarise_limit(doc);
    return ret;
}

int bench_report_write_json(json_object *doc, const char *path)
{
    errno = 0;
    if (json_object_to_file_ext(path, doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE))
        return errno ? -errno : -EIO;
    return 0;
}

/* ---- Markdown ------------------------------------------------------------ */

/* "1.23 (1.20–1.30)", "1.23" for one value, "n/a" for none. */
static void fmt_summary(json_object *s, const char *fmt, double scale, char *buf, size_t size)
{
    double med = bench_json_get_num(s, "median") * scale;
    double lo = bench_json_get_num(s, "min") * scale, hi = bench_json_get_num(s, "max") * scale;
    if (!isfinite(med)) {
        snprintf(buf, size, "n/a");
        return;
    }
    char a[32], b[32], c[32];
    snprintf(a, sizeof(a), fmt, med);
    if (bench_json_get_num(s, "n") <= 1 || !isfinite(lo) || !isfinite(hi)) {
        snprintf(buf, size, "%s", a);
        return;
    }
    snprintf(b, sizeof(b), fmt, lo);
    snprintf(c, sizeof(c), fmt, hi);
    snprintf(buf, size, "%s (%s–%s)", a, b, c);
}

static void fmt_num(double v, const char *fmt, char *buf, size_t size)
{
    if (isfinite(v))
        snprintf(buf, size, fmt, v);
    else
        snprintf(buf, size, "n/a");
}

static json_object *quality_of(json_object *doc, const char *system, const char *rung)
{
    json_object *q = get(get(get(doc, "quality"), "systems"), system);
    for (size_t i = 0; i < arr_len(q); i++)
        if (str_is(bench_json_get_str(arr_at(q, i), "name"), rung))
            return arr_at(q, i);
    return NULL;
}

/* "ffmpeg version 5.1.9-0+deb12u1 Copyright (c) ..." -> up to " Copyright". */
static void short_version(const char *v, char *buf, size_t size)
{
    const char *cut = v ? strstr(v, " Copyright") : NULL;
    snprintf(buf, size, "%.*s", v ? (cut ? (int)(cut - v) : (int)strlen(v)) : 3, v ? v : "n/a");
}

void bench_report_fmt_summary(json_object *s, const char *fmt, double scale, char *buf, size_t size)
{
    fmt_summary(s, fmt, scale, buf, size);
}

void bench_report_fmt_num(double v, const char *fmt, char *buf, size_t size)
{
    fmt_num(v, fmt, buf, size);
}

void bench_report_short_version(const char *v, char *buf, size_t size)
{
    short_version(v, buf, size);
}

json_object *bench_report_quality_of(json_object *doc, const char *system, const char *rung)
{
    return quality_of(doc, system, rung);
}

/*
 * Which FFmpeg ran: a build other than the one ladder links (a chroot's
 * newer one) changes what is compared, so the report names it, with the
 * program the command runs when that is not the command itself.
 */
static void md_ffmpeg(json_object *meta, const char *ffv, FILE *out)
{
    json_object *ff = get(meta, "ffmpeg"), *libs = get(meta, "libraries");
    const char *cmd = bench_json_get_str(ff, "command"), *path = bench_json_get_str(ff, "path");
    const char *lavc = bench_json_get_str(ff, "libavcodec");
    fprintf(out, "FFmpeg compared: %s, run as `%s`", ffv, cmd ? cmd : "ffmpeg");
    if (path && (!cmd || strcmp(path, cmd)))
        fprintf(out, " (%s)", path);
    if (lavc)
        fprintf(out, ", its libavcodec %s", lavc);
    fprintf(out, "; ladder links libavcodec %s (FFmpeg %s).\n\n", shown_str(libs, "libavcodec"),
            shown_str(libs, "ffmpeg_libraries"));
}

static void md_header(json_object *doc, FILE *out)
{
    json_object *meta = get(doc, "meta"), *host = get(meta, "host"), *opt = get(meta, "options");
    json_object *in = get(doc, "input"), *lad = get(doc, "ladder");
    bool quick = get_bool(opt, "quick");
    char ffv[128];
    short_version(bench_json_get_str(get(meta, "ffmpeg"), "version"), ffv, sizeof(ffv));
    fprintf(out, "## ladder bench: ladder vs. FFmpeg's CLI%s\n\n", quick ? " (quick smoke test)" : "");
    fprintf(out, "%s; %s; %d cores; %.1f GiB; Linux %s; ladder %s; %s.\n\n",
            shown_str(meta, "date"), shown_str(host, "cpu_model"), cores_of(doc),
            bench_json_get_num(host, "memory_bytes") / (1024.0 * 1024 * 1024),
            shown_str(host, "kernel"), shown_str(get(meta, "ladder"), "version"), ffv);
    md_ffmpeg(meta, ffv, out);
    json_object *audio = get(in, "audio");
    const char *gen = bench_json_get_str(get(in, "generated"), "spec");
    const char *path = bench_json_get_str(in, "path");
    fprintf(out, "Input: %s%s%s, %dx%d, %.3f fps, %.0f frames, %.2f s, %s.\n",
            gen ? "synthetic " : "", gen ? gen : path ? path : "?", gen ? "" : "",
            (int)bench_json_get_num(in, "width"), (int)bench_json_get_num(in, "height"),
            bench_json_get_num(in, "fps"), bench_json_get_num(in, "frames"),
            bench_json_get_num(in, "duration"),
            audio ? (get_bool(audio, "copied") ? "audio copied by both" : "audio encoded to AAC by both")
                  : "no audio");
    fprintf(out, "Ladder: %s (%s), preset %s, %.3g s segments = GOP of %.0f frames, closed GOP, "
                 "no scene-cut keyframes; rungs:",
            shown_str(lad, "codec"), shown_str(lad, "encoder"),
            shown_str(lad, "preset"), bench_json_get_num(lad, "segment_seconds"),
            bench_json_get_num(lad, "gop_frames"));
    json_object *rungs = get(lad, "rungs");
    for (size_t i = 0; i < arr_len(rungs); i++) {
        json_object *r = arr_at(rungs, i);
        const char *mode = bench_json_get_str(r, "rate_mode");
        if (str_is(mode, "crf"))
            fprintf(out, "%s %s %dx%d crf %.0f", i ? "," : "", shown_str(r, "name"),
                    (int)bench_json_get_num(r, "width"), (int)bench_json_get_num(r, "height"),
                    bench_json_get_num(r, "crf"));
        else
            fprintf(out, "%s %s %dx%d %.0fk", i ? "," : "", shown_str(r, "name"),
                    (int)bench_json_get_num(r, "width"), (int)bench_json_get_num(r, "height"),
                    bench_json_get_num(r, "bitrate_kbps"));
    }
    fprintf(out, ".\nRuns: %d round(s), systems alternating in this order each round:",
            rounds_of(doc));
    json_object *systems = get(doc, "systems");
    for (size_t i = 0; i < arr_len(systems); i++)
        fprintf(out, "%s %s", i ? "," : "", shown_str(arr_at(systems, i), "label"));
    fprintf(out, ".%s\n\n", quick ? " Quick mode checks that everything works; it judges no speed." : "");
}

static void md_systems(json_object *doc, FILE *out)
{
    json_object *systems = get(doc, "systems"), *sum = get(doc, "summary");
    fprintf(out, "| system | wall s | CPU s (user+sys) | CPU util | peak RSS MiB | background load | runs ok |\n"
                 "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < arr_len(systems); i++) {
        const char *id = bench_json_get_str(arr_at(systems, i), "id");
        json_object *s = get(sum, id);
        char w[128], c[128], u[128], r[128], b[128];
        fmt_summary(get(s, "wall_s"), "%.2f", 1, w, sizeof(w));
        fmt_summary(get(s, "cpu_s"), "%.2f", 1, c, sizeof(c));
        fmt_summary(get(s, "cpu_util"), "%.0f%%", 100, u, sizeof(u));
        fmt_summary(get(s, "peak_rss_mib"), "%.0f", 1, r, sizeof(r));
        fmt_summary(get(s, "background_util"), "%.0f%%", 100, b, sizeof(b));
        fprintf(out, "| %s | %s | %s | %s | %s | %s | %d/%d |\n", shown_str(s, "label"), w, c, u,
                r, b, (int)bench_json_get_num(s, "runs_ok"), (int)bench_json_get_num(s, "runs"));
    }
    fprintf(out, "\nMedian (min–max) over runs. CPU util = CPU s / (wall s × %d cores). Background load: "
                 "CPU used by other processes during the run, same scale. Peak RSS of \"ffmpeg per rung\" "
                 "is the sum of its processes' peaks (they run at once).\n\n", cores_of(doc));

    json_object *ratios = get(doc, "ratios");
    fprintf(out, "| ladder / FFmpeg | wall: median of pair ratios (min–max) | wall: ratio of medians | "
                 "CPU: ratio of medians |\n|---|---|---|---|\n");
    for (size_t i = 0; i < arr_len(ratios); i++) {
        json_object *r = arr_at(ratios, i);
        char w[128], wm[32], cm[32];
        fmt_summary(get(r, "wall"), "%.2f", 1, w, sizeof(w));
        fmt_num(bench_json_get_num(get(r, "wall"), "ratio_of_medians"), "%.2f", wm, sizeof(wm));
        fmt_num(bench_json_get_num(get(r, "cpu"), "ratio_of_medians"), "%.2f", cm, sizeof(cm));
        fprintf(out, "| %s | %s | %s | %s |\n", shown_str(r, "label"), w, wm, cm);
    }
    fprintf(out, "\nBelow 1: ladder took less time (or CPU) than FFmpeg. Pairs are runs of the same round.\n\n");
}

static void md_scaling(json_object *doc, FILE *out)
{
    json_object *pts = get(get(doc, "scaling"), "points");
    fprintf(out, "### Scaling with CPU slots (ladder --devices cpu:N)\n\n"
                 "| slots | system | wall s | speed-up | efficiency |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < arr_len(pts); i++) {
        json_object *p = arr_at(pts, i);
        char w[128], sp[32], ef[32];
        fmt_summary(get(p, "wall_s"), "%.2f", 1, w, sizeof(w));
        fmt_num(bench_json_get_num(p, "speedup"), "%.2f×", sp, sizeof(sp));
        fmt_num(bench_json_get_num(p, "efficiency") * 100, "%.0f%%", ef, sizeof(ef));
        fprintf(out, "| %.0f | %s | %s | %s | %s |\n", bench_json_get_num(p, "slots"),
                shown_str(p, "system"), w, sp, ef);
    }
    fprintf(out, "\n");
}

static void md_rungs(json_object *doc, FILE *out)
{
    json_object *rungs = get(get(doc, "ladder"), "rungs"), *systems = get(doc, "systems");
    json_object *sum = get(doc, "summary");
    fprintf(out, "### Per rung (bytes and encode fps: median over runs; quality: last run)\n\n"
                 "| rung | size | system | bytes | encode fps | PSNR dB | PSNR-Y dB | SSIM |\n"
                 "|---|---|---|---|---|---|---|---|\n");
    for (size_t r = 0; r < arr_len(rungs); r++) {
        json_object *rung = arr_at(rungs, r);
        const char *name = bench_json_get_str(rung, "name");
        for (size_t i = 0; i < arr_len(systems); i++) {
            json_object *sys = arr_at(systems, i);
            const char *id = bench_json_get_str(sys, "id");
            if (!str_is(bench_json_get_str(sys, "role"), "compare"))
                continue;
            json_object *rs = get(get(get(sum, id), "rungs"), name);
            json_object *q = quality_of(doc, id, name);
            char b[128], f[128], p[32], py[32], s[32];
            fmt_summary(get(rs, "bytes"), "%.0f", 1, b, sizeof(b));
            fmt_summary(get(rs, "encode_fps"), "%.1f", 1, f, sizeof(f));
            fmt_num(bench_json_get_num(q, "psnr"), "%.2f", p, sizeof(p));
            fmt_num(bench_json_get_num(q, "psnr_y"), "%.2f", py, sizeof(py));
            fmt_num(bench_json_get_num(q, "ssim"), "%.4f", s, sizeof(s));
            fprintf(out, "| %s | %dx%d | %s | %s | %s | %s | %s | %s |\n", name,
                    (int)bench_json_get_num(rung, "width"), (int)bench_json_get_num(rung, "height"),
                    bench_json_get_str(sys, "label"), b, f, p, py, s);
        }
    }
    fprintf(out, "\nEncode fps: ladder = frames / the rung's single-threaded encode seconds (report.json); "
                 "ffmpeg per rung = frames / that process's wall time (decode and scale included); "
                 "ffmpeg one process: not measurable per rung (n/a). Bytes: ladder = init.mp4 + segments, "
                 "FFmpeg = the rung's mp4. Quality: against the source scaled to the rung's size "
                 "(bicubic), PSNR from the mean MSE.\n\n");
}

static void md_limit(json_object *doc, FILE *out)
{
    json_object *l = get(doc, "physical_limit");
    const char *basis = bench_json_get_str(l, "basis_system");
    char sum[32], lim[32], w[32], f[32];
    fmt_num(bench_json_get_num(l, "sum_encode_cpu_seconds"), "%.2f", sum, sizeof(sum));
    fmt_num(bench_json_get_num(l, "limit_s"), "%.2f", lim, sizeof(lim));
    fmt_num(bench_json_get_num(l, "ladder_wall_s"), "%.2f", w, sizeof(w));
    fmt_num(bench_json_get_num(l, "ladder_wall_over_limit"), "%.2f", f, sizeof(f));
    fprintf(out, "### Physical limit on CPU\n\nCPU time of the single-threaded chunk encoders summed over "
                 "rungs (%s runs): %s s; over %d cores: **%s s**. ladder's wall time %s s = **%s×** the limit "
                 "(1.00 would be every core encoding all the time, with decoding, scaling and muxing free).\n\n",
            basis ? basis : "no", sum, cores_of(doc), lim, w, f);
}

/* The charts as images (Markdown viewers show SVG files beside the page)
 * and the HTML report that has everything. */
static void md_charts(FILE *out)
{
    fprintf(out, "### Charts\n\nThe whole report, with every table and chart on one page: "
                 "[report.html](report.html).\n\n");
    for (int i = 0; i < bench_report_nb_charts; i++)
        fprintf(out, "![%s](%s)\n\n", bench_report_charts[i].title, bench_report_charts[i].file);
}

void bench_report_markdown(json_object *doc, FILE *out)
{
    md_header(doc, out);
    md_systems(doc, out);
    md_scaling(doc, out);
    md_rungs(doc, out);
    md_limit(doc, out);
    md_charts(out);
    json_object *problems = get(doc, "problems");
    if (arr_len(problems)) {
        fprintf(out, "### Problems\n\n");
        for (size_t i = 0; i < arr_len(problems); i++)
            fprintf(out, "- %s\n", json_object_get_string(arr_at(problems, i)));
    } else {
        fprintf(out, "Problems: none (every command succeeded and every output check passed).\n");
    }
}

/* ---- charts ------------------------------------------------------------- */

#define LADDER_BLUE "#0072B2"
#define FFMPEG_ORANGE "#E69F00"

static const char *system_colour(json_object *sys, int nth_of_kind)
{
    static const char *const ladder[] = { LADDER_BLUE, "#56B4E9", "#004B75", "#3A9BD6", "#7FC3EA" };
    static const char *const ffmpeg[] = { FFMPEG_ORANGE, "#D55E00", "#B57A00" };
    if (str_is(bench_json_get_str(sys, "kind"), "ffmpeg"))
        return ffmpeg[nth_of_kind % 3];
    return ladder[nth_of_kind % 5];
}

static int plot_wall(json_object *doc, const char *path)
{
    json_object *systems = get(doc, "systems"), *sum = get(doc, "summary");
    size_t n = arr_len(systems);
    bench_plot_bar *bars = calloc(n ? n : 1, sizeof(*bars));
    if (!bars)
        return -ENOMEM;
    int nl = 0, nf = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *sys = arr_at(systems, i);
        json_object *w = get(get(sum, bench_json_get_str(sys, "id")), "wall_s");
        bool ff = str_is(bench_json_get_str(sys, "kind"), "ffmpeg");
        bars[i] = (bench_plot_bar){
            .label = bench_json_get_str(sys, "label"),
            .median = bench_json_get_num(w, "median"),
            .min = bench_json_get_num(w, "min"),
            .max = bench_json_get_num(w, "max"),
            .color = system_colour(sys, ff ? nf++ : nl++),
        };
    }
    char sub[160];
    snprintf(sub, sizeof(sub), "median of %d run(s), whiskers min–max; shorter is faster; %d cores",
             rounds_of(doc), cores_of(doc));
    bench_plot_axes ax = { .title = "Wall time per system", .subtitle = sub,
                           .x_label = "wall time (s)", .x_from_zero = true };
    int ret = bench_plot_bars(path, &ax, bars, (int)n);
    free(bars);
    return ret;
}

static int plot_scaling(json_object *doc, const char *path)
{
    json_object *sc = get(doc, "scaling"), *pts = get(sc, "points"), *ff = get(sc, "ffmpeg");
    size_t n = arr_len(pts), nf = arr_len(ff);
    double *x = calloc(n ? n : 1, sizeof(double)), *y = calloc(n ? n : 1, sizeof(double));
    double *ideal = calloc(n ? n : 1, sizeof(double));
    bench_plot_ref *refs = calloc(nf + 1, sizeof(*refs));
    char (*names)[96] = calloc(nf + 1, sizeof(*names));
    int ret = -ENOMEM;
    if (!x || !y || !ideal || !refs || !names)
        goto done;
    double base = NAN, base_slots = NAN;
    for (size_t i = 0; i < n; i++) {
        x[i] = bench_json_get_num(arr_at(pts, i), "slots");
        y[i] = bench_json_get_num(get(arr_at(pts, i), "wall_s"), "median");
        if (!isfinite(base) && isfinite(y[i])) {
            base = y[i];
            base_slots = x[i];
        }
    }
    for (size_t i = 0; i < n; i++)
        ideal[i] = base * base_slots / x[i];
    int nr = 0;
    json_object *systems = get(doc, "systems");
    static const char *const ff_colours[] = { FFMPEG_ORANGE, "#D55E00", "#B57A00" };
    for (size_t i = 0; i < nf; i++) {
        const char *id = bench_json_get_str(arr_at(ff, i), "system");
        const char *label = id;
        for (size_t k = 0; k < arr_len(systems); k++)
            if (str_is(bench_json_get_str(arr_at(systems, k), "id"), id))
                label = bench_json_get_str(arr_at(systems, k), "label");
        snprintf(names[nr], sizeof(names[nr]), "%s", label);
        refs[nr] = (bench_plot_ref){ names[nr], bench_json_get_num(arr_at(ff, i), "wall_s_median"),
                                     ff_colours[i % 3] };
        nr++;
    }
    snprintf(names[nr], sizeof(names[nr]), "physical limit, %d cores", cores_of(doc));
    refs[nr] = (bench_plot_ref){ names[nr], bench_json_get_num(get(doc, "physical_limit"), "limit_s"), "#000000" };
    nr++;
    bench_plot_series series[2] = {
        { .name = "ladder (median wall)", .x = x, .y = y, .n = (int)n, .color = LADDER_BLUE },
        { .name = "ideal: 1 slot / N", .x = x, .y = ideal, .n = (int)n, .dashed = true, .color = "#999999" },
    };
    char sub[160];
    snprintf(sub, sizeof(sub), "ladder --devices cpu:N on %d cores; dashed: FFmpeg and the CPU limit",
             cores_of(doc));
    bench_plot_axes ax = { .title = "Scaling with CPU slots", .subtitle = sub, .x_label = "CPU slots (N)",
                           .y_label = "wall time (s)", .y_from_zero = true, .x_integer = true };
    ret = bench_plot_lines(path, &ax, series, 2, refs, nr);
done:
    free(x);
    free(y);
    free(ideal);
    free(refs);
    free(names);
    return ret;
}

/* "WxH" of a rung: from the quality entry, else from the ladder's rung of
 * that name. */
static void rung_size(json_object *doc, json_object *entry, char *buf, size_t size)
{
    double w = bench_json_get_num(entry, "width"), h = bench_json_get_num(entry, "height");
    json_object *rungs = get(get(doc, "ladder"), "rungs");
    for (size_t i = 0; i < arr_len(rungs) && !(isfinite(w) && isfinite(h)); i++) {
        if (str_is(bench_json_get_str(arr_at(rungs, i), "name"), bench_json_get_str(entry, "name"))) {
            w = bench_json_get_num(arr_at(rungs, i), "width");
            h = bench_json_get_num(arr_at(rungs, i), "height");
        }
    }
    if (isfinite(w) && isfinite(h))
        snprintf(buf, size, "%.0fx%.0f", w, h);
    else
        snprintf(buf, size, "?");
}

/* The ladder's rung called name, or NULL. */
static json_object *ladder_rung(json_object *doc, const char *name)
{
    json_object *rungs = get(get(doc, "ladder"), "rungs");
    for (size_t i = 0; i < arr_len(rungs); i++)
        if (str_is(bench_json_get_str(arr_at(rungs, i), "name"), name))
            return arr_at(rungs, i);
    return NULL;
}

/* The arrays behind one series of the quality chart. */
typedef struct quality_bufs {
    double *x, *y;
    const char **labels, **rungs;   /* into names[j] and sizes[j] */
    char (*names)[64];
    char (*sizes)[24];
} quality_bufs;

static void quality_bufs_free(quality_bufs *b)
{
    free(b->x);
    free(b->y);
    free(b->labels);
    free(b->rungs);
    free(b->names);
    free(b->sizes);
}

/* One system's quality entries as a scatter series over b's arrays (which
 * b owns, also when this fails). Only the first series names its points
 * ("360p 640x360"): every system's point of a rung is at about the same
 * spot, and four labels there would cover each other. */
static int quality_series(json_object *doc, json_object *sys, json_object *q, const char *colour,
                          bench_plot_series *se, quality_bufs *b, bool labelled)
{
    size_t k = arr_len(q);
    b->x = calloc(k, sizeof(double));
    b->y = calloc(k, sizeof(double));
    b->labels = calloc(k, sizeof(*b->labels));
    b->names = calloc(k, sizeof(*b->names));
    b->rungs = calloc(k, sizeof(*b->rungs));
    b->sizes = calloc(k, sizeof(*b->sizes));
    if (!b->x || !b->y || !b->labels || !b->names || !b->rungs || !b->sizes)
        return -ENOMEM;
    for (size_t j = 0; j < k; j++) {
        b->x[j] = bench_json_get_num(arr_at(q, j), "bytes") / 1e6;
        b->y[j] = bench_json_get_num(arr_at(q, j), "psnr");
        rung_size(doc, arr_at(q, j), b->sizes[j], sizeof(b->sizes[j]));
        b->rungs[j] = b->sizes[j];
        snprintf(b->names[j], sizeof(b->names[j]), "%s %s", shown_str(arr_at(q, j), "name"), b->sizes[j]);
        b->labels[j] = labelled ? b->names[j] : NULL;
    }
    *se = (bench_plot_series){ .name = bench_json_get_str(sys, "label"), .id = bench_json_get_str(sys, "id"),
                               .x = b->x, .y = b->y, .labels = b->labels, .rungs = b->rungs, .n = (int)k,
                               .color = colour,
                               .dashed = str_is(bench_json_get_str(sys, "id"), "ladder_no_helpers") };
    return 0;
}

/* PSNR against bytes, one point per rung and system; points are joined
 * only within one rung size (bench_plot.h), so never across rungs. */
static int plot_quality(json_object *doc, const char *path)
{
    json_object *qs = get(get(doc, "quality"), "systems"), *systems = get(doc, "systems");
    size_t ns = arr_len(systems);
    bench_plot_series *series = calloc(ns ? ns : 1, sizeof(*series));
    quality_bufs *bufs = calloc(ns ? ns : 1, sizeof(*bufs));
    int n = 0, ret = series && bufs ? 0 : -ENOMEM, nl = 0, nf = 0;
    for (size_t i = 0; i < ns && !ret; i++) {
        json_object *sys = arr_at(systems, i);
        bool ff = str_is(bench_json_get_str(sys, "kind"), "ffmpeg");
        const char *colour = system_colour(sys, ff ? nf++ : nl++);
        json_object *q = get(qs, bench_json_get_str(sys, "id"));
        if (!arr_len(q))
            continue;
        ret = quality_series(doc, sys, q, colour, &series[n], &bufs[n], n == 0);
        n++;    /* bufs[n] owns what it got, also on failure */
    }
    bench_plot_axes ax = { .title = "Quality vs bytes per rung",
                           .subtitle = "PSNR against the source scaled to each rung; up and left is better; "
                                       "rungs of different sizes are not joined",
                           .x_label = "bytes (MB)", .y_label = "PSNR (dB)", .x_from_zero = true };
    if (!ret)
        ret = bench_plot_scatter(path, &ax, series, n);
    for (int i = 0; bufs && i < n; i++)
        quality_bufs_free(&bufs[i]);
    free(series);
    free(bufs);
    return ret;
}

/* The arrays behind the rate-distortion chart. */
typedef struct rd_bufs {
    bench_plot_rd_system *systems;
    bench_plot_rd_point *points;
    char (*sizes)[24];
    char (*details)[96];
} rd_bufs;

/* The compared systems with quality figures, and one point per rung of
 * each: kb/s over the input's duration against PSNR. */
static void rd_collect(json_object *doc, rd_bufs *b, int *nsys, int *np)
{
    json_object *qs = get(get(doc, "quality"), "systems"), *systems = get(doc, "systems");
    double duration = bench_json_get_num(get(doc, "input"), "duration");
    int nl = 0, nf = 0;
    *nsys = *np = 0;
    for (size_t i = 0; i < arr_len(systems); i++) {
        json_object *sys = arr_at(systems, i), *q = get(qs, bench_json_get_str(sys, "id"));
        bool ff = str_is(bench_json_get_str(sys, "kind"), "ffmpeg");
        int nth = ff ? nf++ : nl++;
        if (!arr_len(q))
            continue;
        b->systems[*nsys] = (bench_plot_rd_system){ .id = bench_json_get_str(sys, "id"),
                                                    .label = bench_json_get_str(sys, "label"),
                                                    .color = system_colour(sys, nth), .square = ff,
                                                    .hollow = nth > 0 };
        for (size_t j = 0; j < arr_len(q); j++) {
            json_object *e = arr_at(q, j), *rung = ladder_rung(doc, bench_json_get_str(e, "name"));
            int k = (*np)++;
            rung_size(doc, e, b->sizes[k], sizeof(b->sizes[k]));
            snprintf(b->details[k], sizeof(b->details[k]), ", SSIM %.4f, %.0f bytes",
                     bench_json_get_num(e, "ssim"), bench_json_get_num(e, "bytes"));
            b->points[k] = (bench_plot_rd_point){
                .system = *nsys, .size = b->sizes[k], .rung = bench_json_get_str(e, "name"),
                .kbps = bench_json_get_num(e, "bytes") * 8 / duration / 1000,
                .psnr = bench_json_get_num(e, "psnr"),
                .target_kbps = str_is(bench_json_get_str(rung, "rate_mode"), "crf")
                                   ? NAN : bench_json_get_num(rung, "bitrate_kbps"),
                .detail = b->details[k],
            };
        }
        (*nsys)++;
    }
}

/* Rate against PSNR, one panel per rung size (bench_plot_rd). */
static int plot_rd(json_object *doc, const char *path)
{
    json_object *qs = get(get(doc, "quality"), "systems"), *systems = get(doc, "systems");
    size_t ns = arr_len(systems), total = 0;
    for (size_t i = 0; i < ns; i++)
        total += arr_len(get(qs, bench_json_get_str(arr_at(systems, i), "id")));
    rd_bufs b = {
        .systems = calloc(ns ? ns : 1, sizeof(*b.systems)),
        .points = calloc(total ? total : 1, sizeof(*b.points)),
        .sizes = calloc(total ? total : 1, sizeof(*b.sizes)),
        .details = calloc(total ? total : 1, sizeof(*b.details)),
    };
    int ret = -ENOMEM;
    if (b.systems && b.points && b.sizes && b.details) {
        int nsys, np;
        rd_collect(doc, &b, &nsys, &np);
        bench_plot_axes ax = {
            .title = "Rate and quality per rung: ladder vs FFmpeg",
            .subtitle = "one panel per rung size; up and left is better; the rate is the rung's bytes "
                        "(video only) over the input's duration",
            .x_label = "kb/s", .y_label = "PSNR (dB)",
        };
        ret = bench_plot_rd(path, &ax, b.systems, nsys, b.points, np);
    }
    free(b.systems);
    free(b.points);
    free(b.sizes);
    free(b.details);
    return ret;
}

const bench_report_chart bench_report_charts[] = {
    { "wall.svg", "Wall time per system" },
    { "scaling.svg", "Scaling with CPU slots" },
    { "rd.svg", "Rate and quality per rung: ladder vs FFmpeg" },
    { "quality.svg", "Quality vs bytes, every rung" },
};
const int bench_report_nb_charts = (int)(sizeof(bench_report_charts) / sizeof(bench_report_charts[0]));

/* The function drawing each of bench_report_charts, in the same order. */
static int (*const chart_fns[])(json_object *, const char *) = { plot_wall, plot_scaling, plot_rd, plot_quality };
_Static_assert(sizeof(chart_fns) / sizeof(chart_fns[0]) ==
                   sizeof(bench_report_charts) / sizeof(bench_report_charts[0]),
               "one function per chart");

int bench_report_plots(json_object *doc, const char *dir)
{
    int first = 0;
    for (int i = 0; i < bench_report_nb_charts; i++) {
        size_t len = strlen(dir) + strlen(bench_report_charts[i].file) + 2;
        char *path = malloc(len);
        if (!path)
            return -ENOMEM;
        snprintf(path, len, "%s/%s", dir, bench_report_charts[i].file);
        int ret = chart_fns[i](doc, path);
        if (ret && !first)
            first = ret;
        free(path);
    }
    return first;
}
