/*
 * The options of a ladder job, each described once.
 *
 * One row per option (in the manner of FFmpeg's AVOption tables): its name,
 * type and range, default, the `ladder encode` flag, the ladder-file key,
 * the job-spec key, the host-configuration key, a help group and text. Every
 * place an option can be written goes through the same row and the same
 * parser, so a value means the same thing wherever it is written, and each
 * value remembers where it came from. Precedence, lowest first:
 *
 *     built-in default < host config file < environment
 *                      < ladder file / job spec < command-line flag
 *
 * The caller applies the sources in that order (cli/encode_options.c does
 * it for `ladder encode`, jobs/job_spec.c for a ladder-type job spec);
 * job_options_to_job() then fills a ladder_job. `ladder encode --help`,
 * `--help-all`, the man page and the bash completion are printed from the
 * table (cli/encode_help.c); tests/unit/test_job_options.c checks that the
 * README's option list names exactly its flags.
 *
 * Adding an option: one row here, its field in job_option_values, and its
 * use in the engine (job_options_to_job and the engine code).
 */
#ifndef LADDER_ENGINE_JOB_OPTIONS_H
#define LADDER_ENGINE_JOB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/ladder.h"

struct json_object;

typedef enum job_option_source {
    JOB_OPT_DEFAULT = 0,
    JOB_OPT_CONFIG,               /* the host configuration file */
    JOB_OPT_ENV,                  /* the host configuration's environment variable */
    JOB_OPT_FILE,                 /* a --ladder file */
    JOB_OPT_SPEC,                 /* a job spec */
    JOB_OPT_FLAG,                 /* the command line */
} job_option_source;

typedef enum job_option_type {
    JOB_OPT_SWITCH,               /* no argument: writes the row's switch_value (JSON: true/false) */
    JOB_OPT_SECONDS,              /* double in [min, max] */
    JOB_OPT_INT,                  /* int in [min, max] */
    JOB_OPT_KBPS,                 /* kb/s in [min, max]: 128, "128k", "1M" */
    JOB_OPT_SIZE,                 /* bytes: 512M, 2G; at least min */
    JOB_OPT_PIXELS,               /* a pixel count, WxH or none (-1) */
    JOB_OPT_CHOICE,               /* one of the row's choices, stored as its value */
    JOB_OPT_TEXT,                 /* a non-empty string (paths), copied */
    JOB_OPT_PRESET,               /* an x264/x265 preset name or an SVT-AV1 number */
    JOB_OPT_FORMATS,              /* "hls,dash,mp4" (JSON: also an array) */
    JOB_OPT_CODEC,                /* h264 | hevc | av1 */
    JOB_OPT_DEVICES,              /* --devices syntax, checked, kept as text */
    JOB_OPT_DECODE,               /* --decode-device syntax, checked, kept as text */
    JOB_OPT_PROTOCOLS,            /* input protocols: "http,https" */
    JOB_OPT_RUNG,                 /* a --rung spec, appended (repeatable) */
    JOB_OPT_COUNT,                /* no argument: adds switch_value (-v) */
} job_option_type;

/* Row flags. */
enum {
    JOB_OPT_HIDDEN = 1 << 0,      /* testing only: not in --help, man or completion */
    JOB_OPT_BASIC  = 1 << 1,      /* in the short --help (its brief); the rest only in --help-all */
    JOB_OPT_CONFIG_ERROR = 1 << 2,/* a bad value is a bad ladder (exit 6), not a usage error */
};

typedef struct job_option_choice {
    const char *name;
    int value;
} job_option_choice;

/* The values of every option. Strings are owned (job_options_close frees). */
typedef struct job_option_values {
    char *input;
    char *output;
    ladder_rung rungs[LADDER_MAX_RUNGS];
    int nb_rungs;
    char *ladder_file;
    int exact_shape;              /* switches are ints: one parser writes them all */
    int gaps;                     /* 0 hold, 1 close */
    double segment_seconds;
    int codec;                    /* ladder_codec */
    char *preset;
    int audio;                    /* ladder_audio_mode */
    int audio_codec;              /* ladder_audio_codec */
    int audio_channels;
    int audio_bitrate_kbps;
    char *devices;                /* NULL: the engine's default (cpu) */
    char *decode_device;          /* NULL: cpu */
    int parameter_sets;           /* ladder_parameter_sets */
    int64_t memory_budget;
    int helpers;
    int no_cascade;
    char *allow_protocols;
    int allow_playlist_inputs;
    int64_t max_pixels;
    double max_duration;
    int64_t max_memory;
    int host_cpu_slots;           /* 0: one per core */
    int when_busy;                /* 0 wait, 1 cpu, 2 fail (policy/config.h's ladder_when_busy) */
    int priority;                 /* 0 batch, 1 realtime */
    char *config;
    int resume;
    int deterministic;
    int force;
    unsigned formats;             /* LADDER_FORMAT_* */
    int progress;                 /* ladder_progress_mode */
    int verbosity;                /* LADDER_LOG_* */
    int invariant_fault_every;
    int help;                     /* 1: --help, 2: --help-all */
} job_option_values;

typedef struct job_option {
    const char *name;             /* canonical; the key in files, specs and report */
    const char *flag;             /* `ladder encode --flag`; NULL: none */
    char short_flag;              /* 'o', 'v'; 0: none */
    const char *metavar;          /* the argument in help ("SECONDS"); NULL: none */
    job_option_type type;
    double min, max;              /* SECONDS, INT, KBPS; SIZE: min only */
    int switch_value;             /* SWITCH, COUNT */
    const job_option_choice *choices; /* CHOICE: NULL-terminated */
    const char *file_key;         /* --ladder file key; NULL: none */
    const char *spec_key;         /* ladder-type job spec key; NULL: none */
    const char *conf_key;         /* host configuration key (policy/config.c); NULL: none */
    const char *default_text;     /* for help; NULL: none shown */
    const char *group;            /* help section */
    const char *brief;            /* a few words: --help's line */
    const char *help;             /* one paragraph: --help-all, the man page */
    unsigned flags;               /* JOB_OPT_HIDDEN, ... */
    size_t offset;                /* of the field in job_option_values */
} job_option;

typedef struct job_options job_options;

/* Built-in defaults for every option. LADDER_ENOMEM. */
int job_options_init(job_options **out);
void job_options_close(job_options *o);

int job_option_count(void);
const job_option *job_option_at(int i);
/* Lookups; NULL when no row has it. flag without "--". */
const job_option *job_option_by_flag(const char *flag);
const job_option *job_option_by_short(char c);
const job_option *job_option_by_file_key(const char *key);
const job_option *job_option_by_spec_key(const char *key);
const job_option *job_option_by_name(const char *name);

/*
 * Set row's value from text (a flag's argument, NULL for a switch; a host
 * configuration value), recording source and origin ("file:PATH",
 * "env:NAME"; NULL: the source's own name). 0, or LADDER_ECONFIG (LADDER_ECODEC
 * for a codec this build lacks) with one line in err naming the option as
 * that source spells it: "--segment '0.1': expected seconds between 0.5 and 60".
 */
int job_options_set(job_options *o, const job_option *row, const char *text, job_option_source source,
                    const char *origin, char *err, size_t err_size);

/* The same from a JSON value of a ladder file (JOB_OPT_FILE: "KEY: expected
 * ...") or a job spec (JOB_OPT_SPEC: "job spec: \"KEY\" must be ..."). */
int job_options_set_json(job_options *o, const job_option *row, struct json_object *value,
                         job_option_source source, const char *origin, char *err, size_t err_size);

/* Replace the rungs (a ladder file's, a job spec's). LADDER_ECONFIG past
 * LADDER_MAX_RUNGS. */
int job_options_set_rungs(job_options *o, const ladder_rung *rungs, int nb, job_option_source source,
                          const char *origin);

const job_option_values *job_options_values(const job_options *o);
job_option_source job_options_source(const job_options *o, const job_option *row);
/* "default", "config file:PATH", "env:NAME", "ladder file PATH", "job spec", "flag --NAME". */
const char *job_options_origin(const job_options *o, const job_option *row);
/* The value as text, as it would be written on the command line. */
void job_options_format(const job_options *o, const job_option *row, char *buf, size_t size);

/*
 * Fill job with the options' values. Strings point into o, which must
 * outlive the job's use; devices (LADDER_MAX_DEVICES entries) receives the
 * parsed --devices list. Input, output and rungs are set too. The decode
 * device request, slots, priority and progress stay with the caller.
 */
int job_options_to_job(const job_options *o, ladder_job *job, ladder_device_spec *devices, char *err,
                       size_t err_size);

#endif
