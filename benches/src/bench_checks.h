/*
 * Output checks for `ladder bench`: did each system produce the whole
 * ladder? (compare_ffmpeg.py's checks, in C.) Each check also records the
 * per-rung figures it read on the way (bytes, frames, encode time) into
 * the run's JSON object, so a run's numbers and its verdict come from the
 * same look at the files.
 *
 * ladder: master.m3u8 and report.json present; per rung the size FFmpeg
 * was given, state "completed", every input frame, init.mp4 + index.m3u8,
 * ceil(frames / GOP) segments, no empty file; the audio rendition, copied
 * or encoded as FFmpeg was told. FFmpeg: per rung an mp4 of the right size
 * with every input frame; audio.mp4.
 */
#ifndef LADDER_CLI_BENCH_CHECKS_H
#define LADDER_CLI_BENCH_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "bench_commands.h"

typedef struct bench_expect {
    const bench_rung *rungs;
    int nb_rungs;
    int64_t frames;         /* video frames of the input */
    bool has_audio;
    bool audio_copy;        /* the source audio is copied (else encoded) */
} bench_expect;

/* Called once per failed check with a one-line description. */
typedef void (*bench_problem_fn)(void *opaque, const char *text);

/* ladder encode's output directory out. Adds to run: rungs[], audio_bytes,
 * ladder_report {cpu_slots, helpers, wall_seconds, memory, audio_copied}. */
void bench_check_ladder(const bench_expect *e, const char *out, json_object *run,
                        bench_problem_fn problem, void *opaque);

/* FFmpeg's outputs in out (<rung>.mp4, audio.mp4). proc_wall: each rung's
 * process wall time for the per-rung system (encode fps), NULL for the
 * one-process system (encode fps null, and why). Adds rungs[], audio_bytes. */
void bench_check_ffmpeg(const bench_expect *e, const char *out, const double *proc_wall,
                        json_object *run, bench_problem_fn problem, void *opaque);

#endif
