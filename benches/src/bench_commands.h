/*
 * The exact command lines `ladder bench` runs: ladder encode, FFmpeg doing
 * the same ladder in one process, FFmpeg one process per rung, and the
 * synthetic input. Every encoder setting comes from one bench_setup, so the
 * systems cannot drift apart: same preset, rate (bitrate + maxrate/bufsize,
 * or CRF), GOP = frames per segment, no scene-cut keyframes, closed GOP,
 * same audio treatment (copy what ladder copies, else AAC).
 */
#ifndef LADDER_CLI_BENCH_COMMANDS_H
#define LADDER_CLI_BENCH_COMMANDS_H

#include <stdbool.h>

#include "ladder/ladder.h"

/*
 * A growing argv, NULL-terminated. Adding records the first failure in err
 * and ignores later adds (like a stream's error flag), so builders check
 * once at the end.
 */
typedef struct bench_argv {
    char **v;
    int n, cap;
    int err;            /* 0 or LADDER_ENOMEM */
} bench_argv;

void bench_argv_init(bench_argv *a);
void bench_argv_add(bench_argv *a, const char *s);
void bench_argv_addf(bench_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bench_argv_free(bench_argv *a);

typedef struct bench_rung {
    ladder_rung cfg;        /* resolved: name, rates filled in as the engine does */
    int width, height;      /* encoded size (ladder_config_output_size) */
    bool maxrate_given;     /* given by the ladder description, not derived */
    bool bufsize_given;
    bool fps_capped;        /* cfg.max_fps is below the source rate */
    int gop_frames;         /* frames per segment at the rung's rate; 0: VFR */
} bench_rung;

typedef struct bench_setup {
    const char *ladder_bin;
    const char *const *ffmpeg;  /* the FFmpeg command's words, NULL-terminated */
    const char *input;
    const char *codec;          /* h264 | hevc | av1 */
    const char *preset;
    double segment_seconds;
    int src_w, src_h;           /* coded size: a rung of this size is not scaled */
    double src_fps;             /* 0 when unknown */
    bool has_audio;
    bool audio_copy;            /* ladder copies the source audio */
    int audio_kbps;
    const bench_rung *rungs;
    int nb_rungs;
} bench_setup;

/* The FFmpeg encoder for a --codec name, NULL when unknown. */
const char *bench_codec_encoder(const char *codec);

/* `ladder encode` into outdir; slots 0 = ladder's default. */
int bench_cmd_ladder(const bench_setup *s, const char *outdir, int slots, bool helpers,
                     bench_argv *out);

/* One FFmpeg process: decode once, split, scale, one output per rung
 * (outdir/<rung>.mp4) plus outdir/audio.mp4. */
int bench_cmd_ffmpeg_one(const bench_setup *s, const char *outdir, bench_argv *out);

/* One FFmpeg process for rung i (outdir/<rung>.mp4); rung 0's also writes
 * outdir/audio.mp4, as ladder's one process writes the audio once. */
int bench_cmd_ffmpeg_rung(const bench_setup *s, int i, const char *outdir, bench_argv *out);

/* The synthetic input: testsrc2 + 440 Hz sine, libx264 CRF 18 veryfast,
 * AAC 128k stereo, written to path. rate: "30", "30000/1001". ffmpeg: the
 * command's words, NULL-terminated. */
int bench_cmd_synthetic(const char *const *ffmpeg, int width, int height, const char *rate,
                        double seconds, const char *path, bench_argv *out);

#endif
