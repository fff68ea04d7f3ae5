/* report.html for `ladder bench`. See bench_html.h. */
#include "bench_html.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bench_report.h"

/* Short names for reading the document. */
static json_object *get(json_object *o, const char *key)
{
    return bench_json_get(o, key);
}

static double num(json_object *o, const char *key)
{
    return bench_json_get_num(o, key);
}

static const char *str(json_object *o, const char *key)
{
    return bench_json_get_str(o, key);
}

/* Text as HTML: markup characters escaped, control characters blanked. */
static void html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc((unsigned char)*s < 0x20 && *s != '\n' ? ' ' : *s, f);
        }
    }
}

/* The string, or "?" where the document has none. */
static const char *shown(json_object *o, const char *key)
{
    const char *s = str(o, key);
    return s ? s : "?";
}

static bool is(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* <tr><th>name</th><td> ... the caller writes the cell and ends the row. */
static void fact(FILE *f, const char *name)
{
    fputs("<tr><th scope=\"row\">", f);
    html_text(f, name);
    fputs("</th><td>", f);
}

static const char STYLE[] =
    "body{font-family:system-ui,'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2em auto;max-width:70em;"
    "padding:0 1em;color:#222;line-height:1.4}\n"
    "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}\n"
    "div.wide{overflow-x:auto}table{border-collapse:collapse;margin:1em 0;font-size:.95em}th,td{border:1px solid #ccc;padding:.25em .6em;"
    "text-align:left;vertical-align:top}\n"
    "#systems td:first-child,#rungs td:nth-child(-n+3){white-space:nowrap}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "table.facts th{background:#f4f4f4;white-space:nowrap}\n"
    "tr.ladder td:first-child{border-left:4px solid #0072B2}tr.ffmpeg td:first-child{border-left:4px solid #E69F00}\n"
    "code{background:#f4f4f4;padding:0 .2em;word-break:break-all}\n"
    "figure.chart{margin:1.5em 0}figure.chart svg{max-width:100%;height:auto;border:1px solid #eee}\n"
    "figcaption{color:#555;font-size:.9em}.note{color:#555}.bad{color:#b00020}\n";

static void html_head(FILE *f, json_object *doc)
{
    bool quick = bench_json_get_bool(get(get(doc, "meta"), "options"), "quick");
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>ladder bench ", f);
    html_text(f, shown(get(doc, "meta"), "date"));
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", STYLE);
    fprintf(f, "<h1>ladder bench: ladder vs. FFmpeg's CLI%s</h1>\n", quick ? " (quick smoke test)" : "");
    if (quick)
        fputs("<p class=\"note\">Quick mode checks that everything works; it judges no speed.</p>\n", f);
}

/* The FFmpeg compared: its version, how it was run, its libavcodec, and
 * what ladder links (a newer FFmpeg from a chroot changes what is compared). */
static void facts_ffmpeg(FILE *f, json_object *meta)
{
    json_object *ff = get(meta, "ffmpeg"), *libs = get(meta, "libraries");
    char v[128];
    bench_report_short_version(str(ff, "version"), v, sizeof(v));
    fact(f, "FFmpeg compared");
    html_text(f, v);
    fputs(", run as <code>", f);
    html_text(f, str(ff, "command") ? str(ff, "command") : "ffmpeg");
    fputs("</code>", f);
    if (str(ff, "path") && !is(str(ff, "path"), str(ff, "command"))) {
        fputs(" (", f);
        html_text(f, str(ff, "path"));
        fputs(")", f);
    }
    if (str(ff, "libavcodec")) {
        fputs(", its libavcodec ", f);
        html_text(f, str(ff, "libavcodec"));
    }
    fputs("</td></tr>\n", f);
    fact(f, "ladder");
    html_text(f, shown(get(meta, "ladder"), "version"));
    fputs(" (<code>", f);
    html_text(f, shown(get(meta, "ladder"), "path"));
    fputs("</code>), links libavcodec ", f);
    html_text(f, shown(libs, "libavcodec"));
    fputs(" (FFmpeg ", f);
    html_text(f, shown(libs, "ffmpeg_libraries"));
    fputs(")</td></tr>\n", f);
}

static void facts_input(FILE *f, json_object *in)
{
    const char *gen = str(get(in, "generated"), "spec");
    json_object *audio = get(in, "audio");
    fact(f, "Input");
    if (gen) {
        fputs("synthetic ", f);
        html_text(f, gen);
        fputs(" (<code>", f);
        html_text(f, shown(in, "path"));
        fputs("</code>)", f);
    } else {
        fputs("<code>", f);
        html_text(f, shown(in, "path"));
        fputs("</code>", f);
    }
    fprintf(f, ", %.0fx%.0f, %.3f fps, %.0f frames, %.2f s; ", num(in, "width"), num(in, "height"),
            num(in, "fps"), num(in, "frames"), num(in, "duration"));
    html_text(f, audio ? shown(audio, "treatment") : "no audio");
    fputs("</td></tr>\n", f);
}

static void facts_ladder(FILE *f, json_object *lad)
{
    fact(f, "Ladder");
    html_text(f, shown(lad, "codec"));
    fputs(" (", f);
    html_text(f, shown(lad, "encoder"));
    fputs("), preset ", f);
    html_text(f, shown(lad, "preset"));
    fprintf(f, ", %.3g s segments = GOP of %.0f frames; ", num(lad, "segment_seconds"), num(lad, "gop_frames"));
    html_text(f, str(lad, "source"));
    fputs("<br>rungs:", f);
    json_object *rungs = get(lad, "rungs");
    for (size_t i = 0; i < bench_json_len(rungs); i++) {
        json_object *r = json_object_array_get_idx(rungs, i);
        fputs(i ? ", " : " ", f);
        html_text(f, shown(r, "name"));
        fprintf(f, " %.0fx%.0f ", num(r, "width"), num(r, "height"));
        if (is(str(r, "rate_mode"), "crf"))
            fprintf(f, "crf %.0f", num(r, "crf"));
        else
            fprintf(f, "%.0fk", num(r, "bitrate_kbps"));
    }
    fputs("</td></tr>\n", f);
}

static void loadavg(FILE *f, json_object *a)
{
    for (size_t i = 0; i < bench_json_len(a); i++)
        fprintf(f, "%s%.2f", i ? " " : "", json_object_get_double(json_object_array_get_idx(a, i)));
    if (!bench_json_len(a))
        fputs("n/a", f);
}

static void html_facts(FILE *f, json_object *doc)
{
    json_object *meta = get(doc, "meta"), *host = get(meta, "host"), *systems = get(doc, "systems");
    fputs("<section id=\"run\">\n<h2>The run</h2>\n<table class=\"facts\">\n", f);
    fact(f, "Date");
    html_text(f, shown(meta, "date"));
    fputs("</td></tr>\n", f);
    fact(f, "Host");
    html_text(f, shown(host, "cpu_model"));
    fprintf(f, "; %.0f cores usable, %.0f online; %.1f GiB; Linux ", num(host, "cores"), num(host, "online_cpus"),
            num(host, "memory_bytes") / (1024.0 * 1024 * 1024));
    html_text(f, shown(host, "kernel"));
    fputs("</td></tr>\n", f);
    facts_ffmpeg(f, meta);
    facts_input(f, get(doc, "input"));
    facts_ladder(f, get(doc, "ladder"));
    fact(f, "Rounds");
    fprintf(f, "%.0f; every round runs every system in this order:", num(get(meta, "options"), "runs"));
    for (size_t i = 0; i < bench_json_len(systems); i++) {
        fputs(i ? ", " : " ", f);
        html_text(f, shown(json_object_array_get_idx(systems, i), "label"));
    }
    fputs("</td></tr>\n", f);
    fact(f, "Load average");
    fputs("before ", f);
    loadavg(f, get(meta, "loadavg_before"));
    fputs("; after ", f);
    loadavg(f, get(meta, "loadavg_after"));
    fputs(" (near 0: the machine was otherwise quiet)</td></tr>\n</table>\n</section>\n", f);
}

/* A table cell with a formatted summary of s. */
static void cell_summary(FILE *f, json_object *s, const char *fmt, double scale)
{
    char buf[128];
    bench_report_fmt_summary(s, fmt, scale, buf, sizeof(buf));
    fputs("<td class=\"n\">", f);
    html_text(f, buf);
    fputs("</td>", f);
}

static void cell_num(FILE *f, double v, const char *fmt)
{
    char buf[64];
    bench_report_fmt_num(v, fmt, buf, sizeof(buf));
    fputs("<td class=\"n\">", f);
    html_text(f, buf);
    fputs("</td>", f);
}

static void html_systems(FILE *f, json_object *doc)
{
    json_object *systems = get(doc, "systems"), *sum = get(doc, "summary"), *ratios = get(doc, "ratios");
    fputs("<div class=\"wide\"><table id=\"systems\">\n<thead><tr><th>system</th><th>wall s</th><th>CPU s (user+sys)</th>"
          "<th>CPU util</th><th>peak RSS MiB</th><th>background load</th><th>runs ok</th></tr></thead>\n<tbody>\n", f);
    for (size_t i = 0; i < bench_json_len(systems); i++) {
        json_object *sys = json_object_array_get_idx(systems, i), *s = get(sum, str(sys, "id"));
        fputs("<tr class=\"", f);
        html_text(f, shown(sys, "kind"));
        fputs("\" data-system=\"", f);
        html_text(f, shown(sys, "id"));
        fputs("\"><td>", f);
        html_text(f, shown(sys, "label"));
        fputs("</td>", f);
        cell_summary(f, get(s, "wall_s"), "%.2f", 1);
        cell_summary(f, get(s, "cpu_s"), "%.2f", 1);
        cell_summary(f, get(s, "cpu_util"), "%.0f%%", 100);
        cell_summary(f, get(s, "peak_rss_mib"), "%.0f", 1);
        cell_summary(f, get(s, "background_util"), "%.0f%%", 100);
        fprintf(f, "<td class=\"n\">%.0f/%.0f</td></tr>\n", num(s, "runs_ok"), num(s, "runs"));
    }
    fprintf(f, "</tbody></table></div>\n<p class=\"note\">Median (min–max) over runs. CPU util = CPU s / (wall s × %.0f "
               "cores). Background load: CPU used by other processes during the run, same scale. Peak RSS of "
               "\"ffmpeg per rung\" is the sum of its processes' peaks (they run at once).</p>\n",
            num(get(get(doc, "meta"), "host"), "cores"));
    fputs("<div class=\"wide\"><table id=\"ratios\">\n<thead><tr><th>ladder / FFmpeg</th><th>wall: median of pair ratios (min–max)</th>"
          "<th>wall: ratio of medians</th><th>CPU: ratio of medians</th></tr></thead>\n<tbody>\n", f);
    for (size_t i = 0; i < bench_json_len(ratios); i++) {
        json_object *r = json_object_array_get_idx(ratios, i);
        fputs("<tr><td>", f);
        html_text(f, shown(r, "label"));
        fputs("</td>", f);
        cell_summary(f, get(r, "wall"), "%.2f", 1);
        cell_num(f, num(get(r, "wall"), "ratio_of_medians"), "%.2f");
        cell_num(f, num(get(r, "cpu"), "ratio_of_medians"), "%.2f");
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n<p class=\"note\">Below 1: ladder took less time (or CPU) than FFmpeg. "
          "Pairs are runs of the same round.</p>\n", f);
}

static void html_limit(FILE *f, json_object *doc)
{
    json_object *l = get(doc, "physical_limit");
    char sum[32], lim[32], w[32], r[32];
    bench_report_fmt_num(num(l, "sum_encode_cpu_seconds"), "%.2f", sum, sizeof(sum));
    bench_report_fmt_num(num(l, "limit_s"), "%.2f", lim, sizeof(lim));
    bench_report_fmt_num(num(l, "ladder_wall_s"), "%.2f", w, sizeof(w));
    bench_report_fmt_num(num(l, "ladder_wall_over_limit"), "%.2f", r, sizeof(r));
    fputs("<p id=\"limit\"><strong>Physical limit on CPU.</strong> CPU time of ladder's single-threaded chunk "
          "encoders summed over rungs (", f);
    html_text(f, str(l, "basis_system") ? str(l, "basis_system") : "no");
    fprintf(f, " runs): %s s; over %.0f cores: <strong>%s s</strong>. ladder's wall time %s s = <strong>%s×</strong> "
               "the limit (1.00 would be every core encoding all the time, with decoding, scaling and muxing "
               "free).</p>\n", sum, num(get(get(doc, "meta"), "host"), "cores"), lim, w, r);
}

/* The whole of a (small) file, NUL-terminated, into *text (the caller's
 * to free). Returns 0 or a negative errno. */
static int read_text(const char *path, char **text)
{
    *text = NULL;
    FILE *in = fopen(path, "rb");
    if (!in)
        return -errno;
    size_t size = 0, cap = 0, got;
    int ret = 0;
    do {
        if (size + 4096 + 1 > cap) {
            cap = 2 * cap + 8192;
            char *bigger = realloc(*text, cap);
            if (!bigger) {
                ret = -ENOMEM;
                break;
            }
            *text = bigger;
        }
        got = fread(*text + size, 1, cap - size - 1, in);
        size += got;
    } while (got > 0);
    if (!ret && ferror(in))
        ret = -EIO;
    fclose(in);
    if (!ret)
        (*text)[size] = '\0';
    return ret;
}

/* The chart file inlined: everything from its <svg> on (the XML
 * declaration has no place inside HTML). */
static int html_chart(FILE *f, const char *dir, const bench_report_chart *c)
{
    size_t len = strlen(dir) + strlen(c->file) + 2;
    char *path = malloc(len), *text = NULL;
    if (!path)
        return -ENOMEM;
    snprintf(path, len, "%s/%s", dir, c->file);
    int ret = read_text(path, &text);
    free(path);
    const char *svg = ret ? NULL : strstr(text, "<svg");
    if (!ret && !svg)
        ret = -EINVAL;
    if (!ret) {
        fputs("<figure class=\"chart\" data-chart=\"", f);
        html_text(f, c->file);
        fprintf(f, "\">\n%s<figcaption>", svg);
        html_text(f, c->title);
        fputs(" (<a href=\"", f);
        html_text(f, c->file);
        fputs("\">", f);
        html_text(f, c->file);
        fputs("</a>)</figcaption>\n</figure>\n", f);
    }
    free(text);
    return ret;
}

/* The charts whose file is one of names (NULL-terminated), in the order of
 * bench_report_charts. Returns 0 or the first error. */
static int html_charts(FILE *f, const char *dir, const char *const *names)
{
    int first = 0;
    for (int i = 0; i < bench_report_nb_charts; i++)
        for (const char *const *n = names; *n; n++)
            if (!strcmp(*n, bench_report_charts[i].file)) {
                int ret = html_chart(f, dir, &bench_report_charts[i]);
                if (ret && !first)
                    first = ret;
            }
    return first;
}

/* The first FFmpeg system with quality figures: what ladder's rows are
 * compared with. */
static json_object *reference_system(json_object *doc)
{
    json_object *systems = get(doc, "systems"), *qs = get(get(doc, "quality"), "systems");
    for (size_t i = 0; i < bench_json_len(systems); i++) {
        json_object *s = json_object_array_get_idx(systems, i);
        if (is(str(s, "kind"), "ffmpeg") && bench_json_len(get(qs, str(s, "id"))))
            return s;
    }
    return NULL;
}

/* One row of the per-rung table: system sys on rung. */
static void rung_row(FILE *f, json_object *doc, json_object *rung, json_object *sys, json_object *ref)
{
    const char *name = str(rung, "name"), *id = str(sys, "id");
    json_object *rs = get(get(get(get(doc, "summary"), id), "rungs"), name);
    json_object *q = bench_report_quality_of(doc, id, name);
    json_object *rq = ref ? bench_report_quality_of(doc, str(ref, "id"), name) : NULL;
    double duration = num(get(doc, "input"), "duration");
    double bytes = num(get(rs, "bytes"), "median");
    fputs("<tr class=\"", f);
    html_text(f, shown(sys, "kind"));
    fprintf(f, "\" data-rung=\"%.0fx%.0f\" data-system=\"", num(rung, "width"), num(rung, "height"));
    html_text(f, shown(sys, "id"));
    fputs("\"><td>", f);
    html_text(f, shown(rung, "name"));
    fprintf(f, "</td><td>%.0fx%.0f</td><td>", num(rung, "width"), num(rung, "height"));
    html_text(f, shown(sys, "label"));
    fputs("</td>", f);
    cell_summary(f, get(rs, "bytes"), "%.0f", 1);
    cell_num(f, bytes * 8 / duration / 1000, "%.0f");
    cell_summary(f, get(rs, "encode_fps"), "%.1f", 1);
    cell_num(f, num(q, "psnr"), "%.2f");
    cell_num(f, num(q, "psnr_y"), "%.2f");
    cell_num(f, num(q, "ssim"), "%.4f");
    if (is(str(sys, "kind"), "ladder") && rq) {
        cell_num(f, (num(q, "bytes") / num(rq, "bytes") - 1) * 100, "%+.1f%%");
        cell_num(f, num(q, "psnr") - num(rq, "psnr"), "%+.2f");
    } else {
        fputs("<td></td><td></td>", f);     /* FFmpeg's rows are the reference */
    }
    fputs("</tr>\n", f);
}

static void html_rungs(FILE *f, json_object *doc)
{
    json_object *rungs = get(get(doc, "ladder"), "rungs"), *systems = get(doc, "systems");
    json_object *ref = reference_system(doc);
    fputs("<div class=\"wide\"><table id=\"rungs\">\n<thead><tr><th>rung</th><th>size</th><th>system</th><th>bytes</th><th>kb/s</th>"
          "<th>encode fps</th><th>PSNR dB</th><th>PSNR-Y dB</th><th>SSIM</th><th>bytes vs ", f);
    html_text(f, ref ? shown(ref, "label") : "FFmpeg");
    fputs("</th><th>PSNR vs ", f);
    html_text(f, ref ? shown(ref, "label") : "FFmpeg");
    fputs("</th></tr></thead>\n<tbody>\n", f);
    for (size_t r = 0; r < bench_json_len(rungs); r++)
        for (size_t i = 0; i < bench_json_len(systems); i++) {
            json_object *sys = json_object_array_get_idx(systems, i);
            if (is(str(sys, "role"), "compare"))
                rung_row(f, doc, json_object_array_get_idx(rungs, r), sys, ref);
        }
    fputs("</tbody></table></div>\n<p class=\"note\">Bytes and encode fps: median over runs; kb/s: those bytes over "
          "the input's duration; quality: the last run, against the source scaled to the rung's size "
          "(bicubic), PSNR from the mean MSE. Bytes: ladder = init.mp4 + segments, FFmpeg = the rung's mp4 "
          "(audio apart for both). The last two columns: ladder's last run against FFmpeg's on the same "
          "rung (bytes above 0: ladder's output is larger; PSNR above 0: ladder's is closer to the "
          "source).</p>\n", f);
}

static void html_problems(FILE *f, json_object *doc)
{
    json_object *problems = get(doc, "problems");
    fputs("<section id=\"problems\">\n<h2>Problems</h2>\n", f);
    if (!bench_json_len(problems))
        fputs("<p>None: every command succeeded and every output check passed.</p>\n", f);
    else
        fputs("<ul class=\"bad\">\n", f);
    for (size_t i = 0; i < bench_json_len(problems); i++) {
        fputs("<li>", f);
        html_text(f, json_object_get_string(json_object_array_get_idx(problems, i)));
        fputs("</li>\n", f);
    }
    if (bench_json_len(problems))
        fputs("</ul>\n", f);
    fputs("</section>\n", f);
}

/* The whole page; returns the first chart that could not be inlined. */
static int html_body(FILE *f, json_object *doc, const char *dir)
{
    static const char *const time_charts[] = { "wall.svg", "scaling.svg", NULL };
    static const char *const quality_charts[] = { "rd.svg", "quality.svg", NULL };
    html_head(f, doc);
    html_facts(f, doc);
    fputs("<section id=\"time\">\n<h2>Time, CPU and memory: ladder vs FFmpeg</h2>\n", f);
    html_systems(f, doc);
    int ret = html_charts(f, dir, time_charts);
    html_limit(f, doc);
    fputs("</section>\n<section id=\"quality\">\n<h2>Rate and quality per rung</h2>\n", f);
    int r = html_charts(f, dir, quality_charts);
    if (!ret)
        ret = r;
    html_rungs(f, doc);
    fputs("</section>\n", f);
    html_problems(f, doc);
    fputs("<footer><p class=\"note\">Files beside this page: <a href=\"bench.json\">bench.json</a> (every "
          "figure, every command), <a href=\"summary.md\">summary.md</a>", f);
    for (int i = 0; i < bench_report_nb_charts; i++)
        fprintf(f, ", <a href=\"%s\">%s</a>", bench_report_charts[i].file, bench_report_charts[i].file);
    fputs(". benches/README.md says what each figure means.</p></footer>\n</body>\n</html>\n", f);
    return ret;
}

int bench_html_write(json_object *doc, const char *dir)
{
    size_t len = strlen(dir) + sizeof("/report.html");
    char *path = malloc(len);
    if (!path)
        return -ENOMEM;
    snprintf(path, len, "%s/report.html", dir);
    FILE *f = fopen(path, "w");
    free(path);
    if (!f)
        return -errno;
    int ret = html_body(f, doc, dir);
    errno = 0;
    int bad = ferror(f);
    if ((fclose(f) || bad) && !ret)
        ret = errno ? -errno : -EIO;
    return ret;
}
