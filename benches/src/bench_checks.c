/* Output checks for `ladder bench`. See bench_checks.h. */
#include "bench_checks.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_fs.h"
#include "bench_media.h"
#include "bench_report.h"
#include "bench_stats.h"

static void say(bench_problem_fn problem, void *opaque, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(bench_problem_fn problem, void *opaque, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    problem(opaque, text);
}

static json_object *jget(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o)
        json_object_object_get_ex(o, key, &v);
    return v;
}

/* Bytes of init.mp4 + seg_*.m4s in dir (playlists excluded), the number of
 * segments, and whether any of those files is missing or empty. */
static int64_t package_bytes(const char *dir, int *segments, bool *empty)
{
    *segments = 0;
    *empty = false;
    char **names;
    int n = bench_fs_list_segments(dir, &names);
    if (n < 0)
        return -1;
    char *init = bench_fs_join(dir, "init.mp4");
    int64_t total = init ? bench_fs_size(init) : -1;
    free(init);
    if (total <= 0)
        *empty = true;
    total = total < 0 ? 0 : total;
    for (int i = 0; i < n; i++) {
        char *p = bench_fs_join(dir, names[i]);
        int64_t sz = p ? bench_fs_size(p) : -1;
        free(p);
        if (sz <= 0)
            *empty = true;
        else
            total += sz;
    }
    bench_fs_free_list(names, n);
    *segments = n;
    return total;
}

/* Rung i of ladder's report.json (r) against what FFmpeg is given; the
 * rung's figures for the run, or NULL when it is not the rung expected. */
static json_object *check_ladder_rung(const bench_expect *e, const char *out, int i, json_object *r,
                                      bench_problem_fn problem, void *opaque)
{
    const bench_rung *want = &e->rungs[i];
    const char *name = bench_json_get_str(r, "name");
    if (!name || strcmp(name, want->cfg.name)) {
        say(problem, opaque, "rung %d is named '%s', expected '%s'", i + 1, name ? name : "?", want->cfg.name);
        return NULL;
    }
    int w = (int)bench_json_get_num(r, "width"), h = (int)bench_json_get_num(r, "height");
    if (w != want->width || h != want->height)
        say(problem, opaque, "rung %s is %dx%d, FFmpeg is given %dx%d", name, w, h, want->width, want->height);
    const char *state = bench_json_get_str(r, "state");
    if (!state || strcmp(state, "completed"))
        say(problem, opaque, "rung %s is in state %s", name, state ? state : "?");
    double frames = bench_json_get_num(r, "frames");
    if (!want->fps_capped && frames != (double)e->frames)
        say(problem, opaque, "rung %s has %.0f frames, the input %lld", name, frames, (long long)e->frames);
    char *dir = bench_strdupf("%s/video/%s", out, name);
    char *init = dir ? bench_fs_join(dir, "init.mp4") : NULL;
    char *index = dir ? bench_fs_join(dir, "index.m3u8") : NULL;
    if (!dir || !init || !index) {
        say(problem, opaque, "out of memory");
    } else {
        if (!bench_fs_is_file(init))
            say(problem, opaque, "video/%s/init.mp4 missing", name);
        if (!bench_fs_is_file(index))
            say(problem, opaque, "video/%s/index.m3u8 missing", name);
    }
    int segments = 0;
    bool empty = false;
    int64_t bytes = dir ? package_bytes(dir, &segments, &empty) : -1;
    if (empty)
        say(problem, opaque, "an empty file under video/%s", name);
    int64_t want_segs = want->gop_frames > 0 ? (e->frames + want->gop_frames - 1) / want->gop_frames : 0;
    if (!want->fps_capped && want_segs && segments != want_segs)
        say(problem, opaque, "video/%s has %d segments, expected %lld", name, segments, (long long)want_segs);
    free(dir);
    free(init);
    free(index);
    double enc = bench_json_get_num(r, "encode_seconds");
    double enc_cpu = bench_json_get_num(r, "encode_cpu_seconds");
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "width", json_object_new_int(w));
    json_object_object_add(o, "height", json_object_new_int(h));
    json_object_object_add(o, "bytes", bytes >= 0 ? bench_json_num((double)bytes) : NULL);
    json_object_object_add(o, "bytes_basis", json_object_new_string("init.mp4 + segments"));
    json_object_object_add(o, "frames", bench_json_num(frames));
    json_object_object_add(o, "segments", json_object_new_int(segments));
    json_object_object_add(o, "encode_seconds", bench_json_num(enc));
    json_object_object_add(o, "encode_cpu_seconds", bench_json_num(enc_cpu));
    json_object_object_add(o, "encode_fps", bench_json_num(bench_stats_ratio(frames, enc_cpu)));
    json_object_object_add(o, "encode_fps_basis", json_object_new_string(
        "frames / encode_cpu_seconds (report.json: CPU time of the rung's single-threaded chunk "
        "encoders, summed; contention does not inflate it as it does encode_seconds, their wall time)"));
    return o;
}

/* The audio rendition (report.json's first: the bench asks for the first
 * stream only): its files, its bytes, and ladder's copy-or-encode choice
 * against the one FFmpeg was given. */
static void check_ladder_audio(const bench_expect *e, const char *out, json_object *audio, json_object *run,
                               bench_problem_fn problem, void *opaque)
{
    json_object *adir = jget(audio, "dir");
    char *dir = bench_strdupf("%s/%s", out, adir ? json_object_get_string(adir) : "audio/missing");
    char *init = dir ? bench_fs_join(dir, "init.mp4") : NULL, *index = dir ? bench_fs_join(dir, "index.m3u8") : NULL;
    if (!init || !index || !bench_fs_is_file(init) || !bench_fs_is_file(index))
        say(problem, opaque, "the audio rendition's init.mp4 or index.m3u8 is missing");
    int segs;
    bool aempty;
    int64_t ab = dir ? package_bytes(dir, &segs, &aempty) : -1;
    json_object_object_add(run, "audio_bytes", ab >= 0 ? bench_json_num((double)ab) : NULL);
    free(dir);
    free(init);
    free(index);
    json_object *copied = jget(audio, "copied");
    if (!copied)
        say(problem, opaque, "report.json has no audio, the input has");
    else if (json_object_get_boolean(copied) != e->audio_copy)
        say(problem, opaque, "ladder %s the audio but FFmpeg was told to %s it: the rule in bench_media.c "
                            "no longer matches the engine's", json_object_get_boolean(copied) ? "copied" : "encoded",
                    e->audio_copy ? "copy" : "encode");
}

/* What the run's ladder_report keeps of report.json. */
static json_object *ladder_report_summary(json_object *report, json_object *audio)
{
    json_object *lr = json_object_new_object();
    json_object_object_add(lr, "cpu_slots", bench_json_num(bench_json_get_num(report, "cpu_slots")));
    json_object *helpers = jget(report, "helpers");
    json_object_object_add(lr, "helpers", helpers ? json_object_new_boolean(json_object_get_boolean(helpers)) : NULL);
    json_object_object_add(lr, "wall_seconds", bench_json_num(bench_json_get_num(report, "wall_seconds")));
    json_object *mem = jget(report, "memory");
    json_object_object_add(lr, "memory", mem ? json_object_get(mem) : NULL);
    json_object_object_add(lr, "audio_copied", audio && jget(audio, "copied")
                                                   ? json_object_new_boolean(json_object_get_boolean(jget(audio, "copied")))
                                                   : NULL);
    return lr;
}

void bench_check_ladder(const bench_expect *e, const char *out, json_object *run,
                        bench_problem_fn problem, void *opaque)
{
    json_object *rungs = json_object_new_array();
    json_object_object_add(run, "rungs", rungs);
    char *master = bench_fs_join(out, "master.m3u8"), *rpath = bench_fs_join(out, "report.json");
    if (!master || !rpath) {
        say(problem, opaque, "out of memory");
        goto done;
    }
    if (!bench_fs_is_file(master))
        say(problem, opaque, "master.m3u8 missing");
    json_object *report = json_object_from_file(rpath);
    if (!report) {
        say(problem, opaque, "report.json missing or unreadable");
        goto done;
    }
    json_object *rr = jget(report, "rungs");
    int nb = rr && json_object_is_type(rr, json_type_array) ? (int)json_object_array_length(rr) : 0;
    if (nb != e->nb_rungs)
        say(problem, opaque, "report.json has %d rungs, expected %d", nb, e->nb_rungs);
    for (int i = 0; i < nb && i < e->nb_rungs; i++) {
        json_object *o = check_ladder_rung(e, out, i, json_object_array_get_idx(rr, (size_t)i), problem, opaque);
        if (o)
            json_object_array_add(rungs, o);
    }
    /* report.audio is an array; the bench asks for the first stream only. */
    json_object *audios = jget(report, "audio");
    json_object *audio = audios && json_object_is_type(audios, json_type_array) &&
                                 json_object_array_length(audios) > 0
                             ? json_object_array_get_idx(audios, 0) : NULL;
    if (e->has_audio)
        check_ladder_audio(e, out, audio, run, problem, opaque);
    json_object_object_add(run, "ladder_report", ladder_report_summary(report, audio));
    json_object_put(report);
done:
    free(master);
    free(rpath);
}

void bench_check_ffmpeg(const bench_expect *e, const char *out, const double *proc_wall, json_object *run,
                        bench_problem_fn problem, void *opaque)
{
    json_object *rungs = json_object_new_array();
    json_object_object_add(run, "rungs", rungs);
    for (int i = 0; i < e->nb_rungs; i++) {
        const bench_rung *want = &e->rungs[i];
        const char *name = want->cfg.name;
        char *path = bench_strdupf("%s/%s.mp4", out, name);
        int64_t bytes = path ? bench_fs_size(path) : -1;
        bench_media_info mi;
        char err[512] = "";
        bool probed = false;
        if (bytes <= 0) {
            say(problem, opaque, "%s.mp4 missing or empty", name);
        } else if (bench_media_probe(path, 128, &mi, err, sizeof(err))) {
            say(problem, opaque, "%s.mp4 unreadable: %s", name, err);
        } else {
            probed = true;
            if (mi.width != want->width || mi.height != want->height)
                say(problem, opaque, "%s.mp4 is %dx%d, expected %dx%d", name, mi.width, mi.height, want->width,
                            want->height);
            if (!want->fps_capped && mi.frames != e->frames)
                say(problem, opaque, "%s.mp4 has %lld frames, the input %lld", name, (long long)mi.frames,
                            (long long)e->frames);
        }
        free(path);
        double frames = probed ? (double)mi.frames : NAN;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "width", probed ? json_object_new_int(mi.width) : NULL);
        json_object_object_add(o, "height", probed ? json_object_new_int(mi.height) : NULL);
        json_object_object_add(o, "bytes", bytes > 0 ? bench_json_num((double)bytes) : NULL);
        json_object_object_add(o, "bytes_basis", json_object_new_string("the rung's fragmented mp4"));
        json_object_object_add(o, "frames", bench_json_num(frames));
        json_object_object_add(o, "encode_seconds", NULL);
        json_object_object_add(o, "encode_cpu_seconds", NULL);
        if (proc_wall) {
            json_object_object_add(o, "encode_fps", bench_json_num(bench_stats_ratio(frames, proc_wall[i])));
            json_object_object_add(o, "encode_fps_basis", json_object_new_string(
                "frames / the rung's process wall time (its own decode and scale included; "
                "the other rungs' processes run at the same time)"));
        } else {
            json_object_object_add(o, "encode_fps", NULL);
            json_object_object_add(o, "encode_fps_basis", json_object_new_string(
                "not measurable: one process encodes every rung at once, and nothing outside it "
                "can tell the rungs' times apart"));
        }
        json_object_array_add(rungs, o);
    }
    if (e->has_audio) {
        char *path = bench_strdupf("%s/audio.mp4", out);
        int64_t ab = path ? bench_fs_size(path) : -1;
        if (ab <= 0)
            say(problem, opaque, "audio.mp4 missing or empty");
        json_object_object_add(run, "audio_bytes", ab > 0 ? bench_json_num((double)ab) : NULL);
        free(path);
    }
}

