/* Command lines for `ladder bench`. See bench_commands.h. */
#include "bench_commands.h"
#include "bench_fs.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/error.h"
#include "ladder/ladder_config.h"

void bench_argv_init(bench_argv *a)
{
    *a = (bench_argv){ 0 };
}

static void push(bench_argv *a, char *s)
{
    if (a->err || !s) {
        free(s);
        a->err = LADDER_ENOMEM;
        return;
    }
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? a->cap * 2 : 32;
        char **v = realloc(a->v, (size_t)cap * sizeof(*v));
        if (!v) {
            free(s);
            a->err = LADDER_ENOMEM;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

void bench_argv_add(bench_argv *a, const char *s)
{
    push(a, strdup(s));
}

void bench_argv_addf(bench_argv *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = bench_vstrdupf(fmt, ap);
    va_end(ap);
    push(a, s);
}

void bench_argv_free(bench_argv *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    bench_argv_init(a);
}

static int finish(bench_argv *a)
{
    if (a->err) {
        int err = a->err;
        bench_argv_free(a);
        return err;
    }
    return 0;
}

const char *bench_codec_encoder(const char *codec)
{
    if (!strcmp(codec, "h264"))
        return "libx264";
    if (!strcmp(codec, "hevc"))
        return "libx265";
    if (!strcmp(codec, "av1"))
        return "libsvtav1";
    return NULL;
}

/* A frame rate as ladder's --rung fps= reads it: at most 9 decimals, no
 * exponent, trailing zeros dropped. */
static void fps_text(double fps, char *buf, size_t size)
{
    snprintf(buf, size, "%.9f", fps);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
}

int bench_cmd_ladder(const bench_setup *s, const char *outdir, int slots, bool helpers,
                     bench_argv *a)
{
    bench_argv_init(a);
    bench_argv_add(a, s->ladder_bin);
    bench_argv_add(a, "encode");
    bench_argv_add(a, s->input);
    bench_argv_add(a, "-o");
    bench_argv_add(a, outdir);
    /* The audio FFmpeg is given (audio_output()): the first stream, stereo,
     * at the same rate. */
    bench_argv_add(a, "--audio");
    bench_argv_add(a, "first");
    bench_argv_add(a, "--audio-channels");
    bench_argv_add(a, "2");
    bench_argv_add(a, "--audio-bitrate");
    bench_argv_addf(a, "%d", s->audio_kbps);
    for (int i = 0; i < s->nb_rungs; i++) {
        const bench_rung *r = &s->rungs[i];
        const ladder_rung *c = &r->cfg;
        /* The resolved size as the box: ladder takes a box within 2 pixels
         * of the source's shape exactly, so it encodes what FFmpeg is given. */
        char spec[256];
        int k = c->rate_mode == LADDER_RATE_CRF
                    ? snprintf(spec, sizeof(spec), "%dx%d:crf%d", r->width, r->height, c->crf)
                    : snprintf(spec, sizeof(spec), "%dx%d:%dk", r->width, r->height, c->bitrate_kbps);
        if (r->maxrate_given)
            k += snprintf(spec + k, sizeof(spec) - (size_t)k, ":maxrate=%dk", c->maxrate_kbps);
        if (r->bufsize_given)
            k += snprintf(spec + k, sizeof(spec) - (size_t)k, ":bufsize=%dk", c->bufsize_kbps);
        if (c->profile[0])
            k += snprintf(spec + k, sizeof(spec) - (size_t)k, ":profile=%s", c->profile);
        if (c->max_fps > 0) {
            char f[48];
            fps_text(c->max_fps, f, sizeof(f));
            k += snprintf(spec + k, sizeof(spec) - (size_t)k, ":fps=%s", f);
        }
        snprintf(spec + k, sizeof(spec) - (size_t)k, ":name=%s", c->name);
        bench_argv_add(a, "--rung");
        bench_argv_add(a, spec);
    }
    bench_argv_add(a, "--preset");
    bench_argv_add(a, s->preset);
    char seg[48];
    fps_text(s->segment_seconds, seg, sizeof(seg));
    bench_argv_add(a, "--segment");
    bench_argv_add(a, seg);
    /* --codec only when it is not h264, ladder's default: the recorded
     * h264 command lines stay the ones users type. */
    if (strcmp(s->codec, "h264")) {
        bench_argv_add(a, "--codec");
        bench_argv_add(a, s->codec);
    }
    if (slots > 0) {
        bench_argv_add(a, "--devices");
        bench_argv_addf(a, "cpu:%d", slots);
    }
    if (!helpers)
        bench_argv_add(a, "--no-helpers");
    bench_argv_add(a, "--progress");
    bench_argv_add(a, "none");
    bench_argv_add(a, "-q");
    return finish(a);
}

/* The FFmpeg command: a program, or a wrapper with its own words. */
static void ffmpeg_command(const char *const *words, bench_argv *a)
{
    for (const char *const *w = words; *w; w++)
        bench_argv_add(a, *w);
}

static void ffmpeg_head(const bench_setup *s, bench_argv *a)
{
    ffmpeg_command(s->ffmpeg, a);
    const char *head[] = { "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y", "-i" };
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
        bench_argv_add(a, head[i]);
    bench_argv_add(a, s->input);
}

/* Encoder settings of one video output: the same for both FFmpeg systems. */
static void video_settings(const bench_setup *s, const bench_rung *r, bench_argv *a)
{
    const ladder_rung *c = &r->cfg;
    bool x264 = !strcmp(s->codec, "h264"), x265 = !strcmp(s->codec, "hevc");
    bench_argv_add(a, "-c:v");
    bench_argv_add(a, bench_codec_encoder(s->codec));
    bench_argv_add(a, "-preset");
    bench_argv_add(a, x264 || x265 ? s->preset : ladder_config_svt_preset(s->preset));
    if (x264 && c->profile[0]) {
        bench_argv_add(a, "-profile:v");
        bench_argv_add(a, c->profile);
    }
    if (c->rate_mode == LADDER_RATE_CRF) {
        bench_argv_add(a, "-crf");
        bench_argv_addf(a, "%d", c->crf);
    } else {
        bench_argv_add(a, "-b:v");
        bench_argv_addf(a, "%dk", c->bitrate_kbps);
    }
    if (c->maxrate_kbps > 0) {
        bench_argv_add(a, "-maxrate");
        bench_argv_addf(a, "%dk", c->maxrate_kbps);
        bench_argv_add(a, "-bufsize");
        bench_argv_addf(a, "%dk", c->bufsize_kbps > 0 ? c->bufsize_kbps : 2 * c->maxrate_kbps);
    }
    if (r->gop_frames > 0) {
        bench_argv_add(a, "-g");
        bench_argv_addf(a, "%d", r->gop_frames);
        bench_argv_add(a, "-keyint_min");
        bench_argv_addf(a, "%d", r->gop_frames);
    } else {
        /* No constant rate: a keyframe at every segment boundary in time. */
        char seg[48];
        fps_text(s->segment_seconds, seg, sizeof(seg));
        bench_argv_add(a, "-force_key_frames");
        bench_argv_addf(a, "expr:gte(t,n_forced*%s)", seg);
    }
    if (x264) {
        bench_argv_add(a, "-sc_threshold");
        bench_argv_add(a, "0");
        bench_argv_add(a, "-flags");
        bench_argv_add(a, "+cgop");
        bench_argv_add(a, "-x264-params");
        bench_argv_add(a, "open-gop=0");
    } else if (x265) {
        bench_argv_add(a, "-flags");
        bench_argv_add(a, "+cgop");
        bench_argv_add(a, "-x265-params");
        bench_argv_add(a, "scenecut=0:open-gop=0");
    } else {
        /* irefresh-type=2: key frames are IDRs (closed GOP); scd=0: no
         * scene-change keyframes. */
        bench_argv_add(a, "-svtav1-params");
        bench_argv_add(a, "scd=0:irefresh-type=2");
    }
    bench_argv_add(a, "-pix_fmt");
    bench_argv_add(a, "yuv420p");
}

static void mp4_output(bench_argv *a, const char *outdir, const char *name)
{
    /* Fragmented at every keyframe, as ladder's segments are. */
    bench_argv_add(a, "-movflags");
    bench_argv_add(a, "+frag_keyframe+empty_moov+default_base_moof");
    bench_argv_add(a, "-f");
    bench_argv_add(a, "mp4");
    bench_argv_addf(a, "%s/%s.mp4", outdir, name);
}

static void audio_output(const bench_setup *s, bench_argv *a, const char *outdir)
{
    bench_argv_add(a, "-map");
    bench_argv_add(a, "0:a:0");
    bench_argv_add(a, "-vn");
    bench_argv_add(a, "-c:a");
    if (s->audio_copy) {
        bench_argv_add(a, "copy");
    } else {
        bench_argv_add(a, "aac");
        bench_argv_add(a, "-b:a");
        bench_argv_addf(a, "%dk", s->audio_kbps);
        bench_argv_add(a, "-ac");
        bench_argv_add(a, "2");
    }
    mp4_output(a, outdir, "audio");
}

static bool needs_scale(const bench_setup *s, const bench_rung *r)
{
    return r->width != s->src_w || r->height != s->src_h;
}

/* ",scale=W:H[,fps=F]" for rung r, or "" when it takes the frames as they are. */
static void rung_filters(const bench_setup *s, const bench_rung *r, char *buf, size_t size)
{
    int k = 0;
    buf[0] = '\0';
    if (needs_scale(s, r))
        k += snprintf(buf, size, ",scale=%d:%d", r->width, r->height);
    if (r->fps_capped) {
        char f[48];
        fps_text(r->cfg.max_fps, f, sizeof(f));
        snprintf(buf + k, size - (size_t)k, ",fps=%s", f);
    }
}

int bench_cmd_ffmpeg_one(const bench_setup *s, const char *outdir, bench_argv *a)
{
    bench_argv_init(a);
    ffmpeg_head(s, a);
    /* [0:v]split=N[s0][s1]...;[s1]scale=1280:720[v1];... The top rung of
     * the source's size takes the split's output as it is, as ladder's
     * same-size rung keeps the decoded frame. */
    size_t cap = 256 + (size_t)s->nb_rungs * 96;
    char *graph = malloc(cap);
    if (!graph) {
        bench_argv_free(a);
        return LADDER_ENOMEM;
    }
    int k = snprintf(graph, cap, "[0:v]split=%d", s->nb_rungs);
    for (int i = 0; i < s->nb_rungs; i++)
        k += snprintf(graph + k, cap - (size_t)k, "[s%d]", i);
    for (int i = 0; i < s->nb_rungs; i++) {
        char f[128];
        rung_filters(s, &s->rungs[i], f, sizeof(f));
        k += snprintf(graph + k, cap - (size_t)k, ";[s%d]%s[v%d]", i, f[0] ? f + 1 : "null", i);
    }
    bench_argv_add(a, "-filter_complex");
    bench_argv_add(a, graph);
    free(graph);
    for (int i = 0; i < s->nb_rungs; i++) {
        bench_argv_add(a, "-map");
        bench_argv_addf(a, "[v%d]", i);
        video_settings(s, &s->rungs[i], a);
        mp4_output(a, outdir, s->rungs[i].cfg.name);
    }
    if (s->has_audio)
        audio_output(s, a, outdir);
    return finish(a);
}

int bench_cmd_ffmpeg_rung(const bench_setup *s, int i, const char *outdir, bench_argv *a)
{
    bench_argv_init(a);
    const bench_rung *r = &s->rungs[i];
    ffmpeg_head(s, a);
    char f[128];
    rung_filters(s, r, f, sizeof(f));
    bench_argv_add(a, "-map");
    bench_argv_add(a, "0:v:0");
    if (f[0]) {
        bench_argv_add(a, "-vf");
        bench_argv_add(a, f + 1);
    }
    video_settings(s, r, a);
    bench_argv_add(a, "-an");
    mp4_output(a, outdir, r->cfg.name);
    if (i == 0 && s->has_audio)
        audio_output(s, a, outdir);
    return finish(a);
}

int bench_cmd_synthetic(const char *const *ffmpeg, int width, int height, const char *rate,
                        double seconds, const char *path, bench_argv *a)
{
    bench_argv_init(a);
    char dur[48];
    fps_text(seconds, dur, sizeof(dur));
    ffmpeg_command(ffmpeg, a);
    const char *head[] = { "-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i" };
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
        bench_argv_add(a, head[i]);
    bench_argv_addf(a, "testsrc2=size=%dx%d:rate=%s:duration=%s", width, height, rate, dur);
    bench_argv_add(a, "-f");
    bench_argv_add(a, "lavfi");
    bench_argv_add(a, "-i");
    bench_argv_addf(a, "sine=frequency=440:sample_rate=48000:duration=%s", dur);
    const char *tail[] = {
        "-filter_complex", "[1:a]aformat=channel_layouts=stereo[a]", "-map", "0:v", "-map", "[a]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart", "-f", "mp4",
    };
    for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
        bench_argv_add(a, tail[i]);
    bench_argv_add(a, path);
    return finish(a);
}
