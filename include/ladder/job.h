/*
 * Queue jobs: one JSON spec in, one output directory out (`ladder job`).
 *
 *     ladder_job_spec *spec;
 *     char err[256];
 *     int ret = ladder_job_spec_parse(json_text, &spec, err, sizeof(err));
 *     ...then a ladder_job_runner (below) runs it...
 *     ladder_job_spec_free(spec);
 *
 * Every type writes into a hidden temporary directory inside output_root and
 * renames it to output_root/output on success, so a retried job never sees a
 * half-written result and a failed one leaves nothing at the final name.
 */
#ifndef LADDER_JOB_H
#define LADDER_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/error.h"
#include "ladder/export.h"

/* include/ladder/device_spec.h; a repeated typedef is fine in C11. */
typedef struct ladder_device_spec ladder_device_spec;

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ladder_job_type {
    LADDER_JOB_PROXY = 0,
    LADDER_JOB_THUMBNAIL,
    LADDER_JOB_FILMSTRIP,
    LADDER_JOB_CONFORM,
    LADDER_JOB_TRIM,
    LADDER_JOB_LADDER,
} ladder_job_type;

LADDER_API const char *ladder_job_type_name(ladder_job_type t);

typedef enum ladder_image_format { LADDER_IMAGE_JPEG = 0, LADDER_IMAGE_WEBP } ladder_image_format;
typedef enum ladder_fit { LADDER_FIT_PAD = 0, LADDER_FIT_CROP } ladder_fit;
typedef enum ladder_trim_mode { LADDER_TRIM_SMART = 0, LADDER_TRIM_REENCODE } ladder_trim_mode;

/*
 * A parsed, validated job. Strings are owned by the spec. A field a type does
 * not use keeps its default; 0 / NULL / negative means "not given" where the
 * comment says so.
 */
typedef struct ladder_job_spec {
    ladder_job_type type;
    char *id;                     /* "" when not given */
    char *input;
    char *output_root;
    char *output;                 /* one sanitised path component */
    /* proxy, conform */
    int width, height;            /* proxy: height only (default 540); conform: box;
                                     thumbnail/filmstrip: image box / tile size */
    int bitrate_kbps;             /* proxy default 2000; conform: 0 = use crf */
    int crf;                      /* conform: default 23 when no bitrate */
    int audio_bitrate_kbps;       /* default 128 */
    char *preset;                 /* x264 preset, default "veryfast" */
    /* conform */
    double fps;                   /* 0 = keep the source's */
    ladder_fit fit;
    char *pix_fmt;                /* default "yuv420p" */
    int audio_channels;           /* default 2 */
    int audio_rate;               /* default 48000 */
    bool has_loudness;
    double loudness;              /* integrated LUFS target */
    /* thumbnail, filmstrip */
    ladder_image_format image_format;
    int quality;                  /* 2..31 (mjpeg qscale) or 0..100 (webp); 0 = default */
    double time;                  /* thumbnail: < 0 = choose automatically */
    int count;                    /* filmstrip: tiles; 0 = from interval */
    double interval;              /* filmstrip: seconds per tile, default 10 */
    int columns;                  /* filmstrip: default 5 */
    int rows;                     /* filmstrip: rows per sheet, 0 = all in one sheet */
    /* trim */
    double in, out;
    ladder_trim_mode trim_mode;
    bool trim_mode_given;
    /* ladder */
    char *rungs_json;             /* the "rungs" array as JSON text, NULL = default ladder */
    unsigned formats;             /* 0 = default */
    int codec;                    /* ladder_codec; 0 = default */
    double segment_seconds;       /* 0 = default */
    bool deterministic;           /* ladder_job.deterministic */
    bool exact_shape;             /* ladder_job.exact_shape */
    bool close_gaps;              /* "gaps": "close" (ladder_job.close_gaps) */
    int64_t max_pixels;           /* limits (ladder_job): 0 = the defaults */
    double max_duration;
    int64_t max_memory;
    /* URL allow-list from the spec ("url_allow": [...]); the environment's
     * LADDER_JOB_URL_ALLOW is added when the job runs. */
    char **url_allow;
    int nb_url_allow;
    /* "class": "realtime" or "batch" (default): what `ladder encode
     * --priority` means, for the host CPU slots `ladder job` takes. */
    bool realtime;
    /* Keys that are not ladder's for this type (a producer's own fields:
     * "assetId", "userId"...), in the spec's order: not used, reported in
     * the result line ("ignored_keys") so a queue can echo them. A key a
     * slip away from one of the type's keys is an error instead
     * (ladder_job_key_typo). */
    char **ignored_keys;
    int nb_ignored_keys;
    /* Not from the JSON: set by whoever runs the job after it took its host
     * CPU slots (cli/cmd_job.c). The ladder type runs its session with
     * cpu_slots CPU workers (0 = one per core) and chunk_gate (see
     * ladder_job.chunk_gate: a batch job yields to a waiting realtime one);
     * the other types ignore them. */
    int cpu_slots;
    int (*chunk_gate)(void *opaque, int worker, const ladder_device_spec *device);
    void *chunk_gate_opaque;
    /* Private: the ladder type's options as libladder's option table read
     * them (the fields above under "ladder" are copies); NULL for the other
     * types. Freed by ladder_job_spec_free(). */
    struct job_options *options;
} ladder_job_spec;

/*
 * Parse and validate a JSON spec. On error returns LADDER_ECONFIG (or
 * LADDER_ENOMEM) and writes one line to err naming the offending key.
 */
LADDER_API int ladder_job_spec_parse(const char *json, ladder_job_spec **out, char *err, size_t err_size);
LADDER_API void ladder_job_spec_free(ladder_job_spec *spec);

/*
 * Whether name is a safe single output name: not empty, no '/', not "." or
 * "..", no leading '.', no control characters, at most 128 bytes.
 */
LADDER_API bool ladder_job_output_name_ok(const char *name);

/*
 * Whether a key of a job spec that is not one of its type's keys is a typo
 * of one: its distance to a key (edits: insert, delete, substitute, swap
 * two neighbours; case ignored) is at most 0 for keys of 1-2 characters
 * ("ID" for "id"), 1 for 3-5, 2 for 6-11 and 3 for longer ones, and it is
 * not one of the few producer names that fall that close ("code", "mime",
 * "node"). Returns the key it is a typo of, else NULL (a foreign key,
 * ignored). key must not be one of the type's keys.
 */
LADDER_API const char *ladder_job_key_typo(ladder_job_type type, const char *key);

/*
 * Whether input is a URL rather than a local path: it starts with
 * "scheme://" (RFC 3986 scheme: a letter, then letters, digits, '+', '-',
 * '.'), or with "file:" (any case). A colon elsewhere does not make a URL:
 * "/media/Interview: part 1.mp4" and "clip:v2.mp4" are paths.
 */
LADDER_API bool ladder_job_input_is_url(const char *input);

/*
 * Whether input is allowed: a local path, or a URL that starts with one of
 * the comma-separated prefixes in env_list or one of the spec's prefixes.
 * A file: URL is never allowed (it would dodge input_allow): give the path.
 */
LADDER_API bool ladder_job_input_allowed(const char *input, const char *const *allow, int nb_allow,
                                         const char *env_list);

/*
 * What libavformat is given for input (malloc'ed; NULL when out of memory):
 * a URL or an absolute path as is; a relative path whose first component
 * holds a ':' gets "./" in front, since FFmpeg would read "name:" as a
 * protocol ("concat:", "pipe:", "subfile,") instead of a file name.
 */
LADDER_API char *ladder_job_input_open_path(const char *input);

/* ---- atomic output directory (jobs/job_output.c) ---- */
typedef struct ladder_job_output {
    char *final_path;             /* output_root/output */
    char *tmp_path;               /* output_root/.output.tmp-XXXXXX */
    bool adopted;                 /* tmp_path is a dead attempt's, with a resume journal */
    bool keep;                    /* close leaves tmp_path for a later attempt to adopt */
} ladder_job_output;

/*
 * Create the temporary directory root/.name.tmp-PID-XXXXXX (removing the
 * ones left by dead processes for the same name). LADDER_ECONFIG for a bad
 * name; LADDER_EOUTPUT (one line in err) when root is not a writable
 * directory or when something other than a directory (a symlink, a file)
 * sits at the final name: a symlink there could send the result outside
 * root.
 */
LADDER_API int ladder_job_output_init(ladder_job_output *o, const char *root, const char *name,
                                      char *err, size_t err_size);
/*
 * The same, for a job that can continue what an earlier attempt left (a
 * ladder job stopped at a chunk boundary, or killed): a temporary
 * directory of a writer that is gone and that holds a resume journal is
 * renamed to this process's temporary name and used (o->adopted) instead
 * of a fresh one; the newest such directory wins, the others are removed.
 */
LADDER_API int ladder_job_output_init_resumable(ladder_job_output *o, const char *root, const char *name,
                                                char *err, size_t err_size);
/* Rename the temporary directory to the final name. A previous result is
 * replaced only when it was made by the same job (its .ladder-job owner
 * line names the same type and id, or neither directory has one); another
 * job's is refused with LADDER_EOWNED. On error the temporary directory is
 * removed. */
LADDER_API int ladder_job_output_commit(ladder_job_output *o, char *err, size_t err_size);
/* Remove the temporary directory (if still there, unless o->keep) and free
 * the paths. */
LADDER_API void ladder_job_output_close(ladder_job_output *o);
/*
 * Whether path, every symlink and ".." resolved, is root or lies under it
 * (root resolved too). False when either does not exist. The host
 * configuration's output_root and input_allow are held to it by `ladder job`.
 */
LADDER_API bool ladder_job_path_under(const char *path, const char *root);
/*
 * For a path that does not exist (ENOENT): whether it would lie under root,
 * judged by its deepest existing ancestor (resolved as ladder_job_path_under
 * does) with the missing rest appended; a "." or ".." in that rest: false.
 * So a missing input inside input_allow can say "missing" (exit 3) while
 * one outside stays "refused" (exit 13) whether it exists or not.
 */
LADDER_API bool ladder_job_missing_path_under(const char *path, const char *root);
/* Remove a directory tree (no symlinks followed). 0 or LADDER_EIO. */
LADDER_API int ladder_job_rmtree(const char *path);

/* ---- filmstrip geometry (pure) ---- */
typedef struct ladder_filmstrip_tile {
    int sheet;                    /* index of the sprite image */
    int x, y, w, h;               /* inside the sheet */
    double start, end;            /* cue times, seconds */
    double sample_time;           /* the frame shown */
} ladder_filmstrip_tile;

/*
 * Lay out count tiles of tile_w x tile_h, columns per row, rows_per_sheet
 * rows per sprite image (0 = one sheet), over duration seconds: tile i covers
 * [i*d/count, (i+1)*d/count) (the last ends exactly at duration) and shows
 * the frame in the middle of its span. tiles has count entries.
 */
LADDER_API int ladder_filmstrip_layout(int count, int columns, int rows_per_sheet, int tile_w, int tile_h,
                                       double duration, ladder_filmstrip_tile *tiles);
/* Tiles for a duration: count if > 0, else ceil(duration / interval), at
 * least 1, at most 1000. */
LADDER_API int ladder_filmstrip_count(int count, double interval, double duration);
/* Sheet size in pixels for a layout of count tiles. */
LADDER_API void ladder_filmstrip_sheet_size(int count, int columns, int rows_per_sheet, int tile_w, int tile_h,
                                            int sheet, int *w, int *h);
/*
 * The WebVTT text: "WEBVTT", then one cue per tile "HH:MM:SS.mmm -->
 * HH:MM:SS.mmm" and "sheet_name#xywh=x,y,w,h". sheet_names[tile.sheet].
 * Malloc'ed; NULL on allocation failure.
 */
LADDER_API char *ladder_filmstrip_vtt(const ladder_filmstrip_tile *tiles, int count, const char *const *sheet_names);

/* ---- thumbnail frame score (pure) ---- */
typedef struct ladder_luma_stats {
    double mean;                  /* 0..255 */
    double stddev;
} ladder_luma_stats;

/* Mean and standard deviation of an 8-bit luma plane (sampled on a grid). */
LADDER_API ladder_luma_stats ladder_luma_measure(const uint8_t *plane, int linesize, int width, int height);
/* Whether a frame with these statistics is usable as a thumbnail: neither
 * near-black (mean < 24), near-white (mean > 235) nor flat (stddev < 12). */
LADDER_API bool ladder_luma_usable(ladder_luma_stats s);

/* ---- running a job ---- */
typedef struct ladder_job_sink {
    void *opaque;
    /* stage ("decode", "encode", "mux", ...) and 0..100; throttled by the caller */
    void (*on_progress)(void *opaque, const char *stage, double percent);
} ladder_job_sink;

typedef struct ladder_job_file {
    char *path;                   /* final path */
    int64_t bytes;
    double duration;              /* seconds; 0 for images */
    int width, height;
} ladder_job_file;

typedef struct ladder_job_result {
    ladder_job_file *outputs;
    int nb_outputs;
    /* type-specific fields, as one JSON object's members text without the
     * braces (e.g. "\"time\":2.5"); malloc'ed, may be NULL */
    char *extra_json;
} ladder_job_result;

/*
 * A job being run (opaque, libuv style):
 *
 *     ladder_job_runner *r;
 *     ladder_job_runner_init(&r, spec, &sink);   // spec must outlive r
 *     int ret = ladder_job_runner_run(r);        // blocks
 *     ret ? ladder_job_runner_error(r) : ladder_job_runner_result(r)->outputs
 *     ladder_job_runner_close(r);
 *
 * On error the error text is one line naming the input, output or spec key,
 * and nothing is left at the final output name.
 */
typedef struct ladder_job_runner ladder_job_runner;

LADDER_API int ladder_job_runner_init(ladder_job_runner **out, const ladder_job_spec *spec, const ladder_job_sink *sink);
/* Run to completion: 0 or a negative LADDER_E* code (LADDER_ECANCELED after
 * ladder_job_runner_cancel()). Once per runner. */
LADDER_API int ladder_job_runner_run(ladder_job_runner *r);
/* Stop a running job soon; safe from any thread (not from a signal
 * handler). A ladder job cancels its session. */
LADDER_API void ladder_job_runner_cancel(ladder_job_runner *r);
/* Stop at the next chunk boundary where there is one: a ladder job stops
 * its session (run returns LADDER_ESTOPPED, the temporary directory and its
 * journal stay for the next attempt at the same output, which continues
 * from them); any other type cancels. Safe from any thread. */
LADDER_API void ladder_job_runner_stop(ladder_job_runner *r);
/* Valid after a successful run, until close. Output paths are final. */
LADDER_API const ladder_job_result *ladder_job_runner_result(const ladder_job_runner *r);
LADDER_API const char *ladder_job_runner_error(const ladder_job_runner *r);
LADDER_API void ladder_job_runner_close(ladder_job_runner *r);

/* Free what a result holds (the runner does it on close). */
LADDER_API void ladder_job_result_clear(ladder_job_result *r);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_JOB_H */
