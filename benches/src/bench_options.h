/*
 * `ladder bench`'s command line: the options, their defaults (--quick
 * fills in what was not given), the synthetic input spec, and the exit
 * statuses the bench itself returns.
 */
#ifndef LADDER_BENCH_OPTIONS_H
#define LADDER_BENCH_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/* Exit statuses beyond ladder_exit_code()'s: the same table as encode. */
enum {
    BENCH_EXIT_OK = 0, BENCH_EXIT_FAILED = 1, BENCH_EXIT_USAGE = 2, BENCH_EXIT_INPUT_MISSING = 3,
    BENCH_EXIT_LADDER = 6, BENCH_EXIT_OUTPUT = 7, BENCH_EXIT_CODEC = 10, BENCH_EXIT_CANCELLED = 130,
};

#define BENCH_MAX_SLOT_COUNTS 64
#define BENCH_MAX_FFMPEG_WORDS 32

typedef struct synth_spec {
    char text[64];          /* as given: "1080p30:20s" */
    int width, height;
    char rate[32];          /* "30", "30000/1001" */
    double seconds;
} synth_spec;

typedef struct bench_opts {
    const char *input, *synthetic, *ladder_file, *codec, *preset, *ffmpeg, *out, *cache;
    int runs;
    int slots[BENCH_MAX_SLOT_COUNTS];
    int nb_slots;           /* 0: 1..cores */
    bool quick, keep;
    synth_spec synth;       /* the synthetic input (also when none was asked for) */
    /* --ffmpeg as a command: its words (pointing into ffmpeg_buf, or into
     * argv when it is one word), NULL-terminated. ffmpeg is the text as
     * given, for messages and the report. */
    const char *ffmpeg_argv[BENCH_MAX_FFMPEG_WORDS + 1];
    char ffmpeg_buf[4096];
} bench_opts;

/*
 * Split --ffmpeg's TEXT into o->ffmpeg_argv: one word when it names an
 * existing file or has no blank (a program, a wrapper script, a path with
 * spaces), else its words split at blanks (no quoting), e.g.
 * "DIR/lib64/ld-linux-x86-64.so.2 --library-path LIBS DIR/usr/bin/ffmpeg".
 * Returns 0, or -1 when it is empty or has too many words.
 */
int bench_options_set_ffmpeg(bench_opts *o, const char *text);

/*
 * Parse `ladder bench` ARGS (argv[0] is "bench") into *o. Returns -1 to go
 * on, else the exit status: BENCH_EXIT_OK after --help (usage on stdout),
 * BENCH_EXIT_USAGE after one error line on stderr.
 */
int bench_options_parse(bench_opts *o, int argc, char **argv);

#endif
