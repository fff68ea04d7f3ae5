/*
 * Ladder descriptions: rung specs from the command line, JSON ladder files,
 * the default ladder derived from the source, the output size of a rung,
 * and the output format list.
 */
#ifndef LADDER_LADDER_CONFIG_H
#define LADDER_LADDER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ladder/export.h"
#include "ladder/ladder.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parse one --rung spec:
 *     WxH:BITRATE[:key=value...]
 * W or H may be empty ("x720:3000k" or "1280x:3000k") to derive it from the
 * source aspect. BITRATE is "3000k", "3M", "3000000" or "crfN" (CRF mode).
 * Keys: maxrate, bufsize (same units as BITRATE), fps (max frame rate, may be
 * "30000/1001"), profile (baseline|main|high), name.
 * On error returns LADDER_ECONFIG and writes a one-line reason to err.
 * Fields not given keep the zero/default values (out is cleared first).
 */
LADDER_API int ladder_config_parse_rung(const char *spec, ladder_rung *out,
                                        char *err, size_t err_size);

/*
 * Parse an output format list, "hls", "dash" or "hls,dash" (a set: order
 * and repeats do not matter), into LADDER_FORMAT_* flags. An unknown or
 * empty name is LADDER_ECONFIG with a one-line reason in err naming it;
 * *formats is then left unchanged.
 */
LADDER_API int ladder_config_parse_formats(const char *list, unsigned *formats,
                                           char *err, size_t err_size);

/*
 * Parse a codec name: "h264", "hevc" or "av1". Anything else is
 * LADDER_ECONFIG, err gets a one-line reason naming the value and *codec
 * is unchanged. (Whether the linked FFmpeg can encode the codec is checked
 * when a session starts: LADDER_ECODEC, exit 10.)
 */
LADDER_API int ladder_config_parse_codec(const char *name, ladder_codec *codec,
                                         char *err, size_t err_size);

/* "h264", "hevc", "av1"; LADDER_CODEC_DEFAULT is "h264". */
LADDER_API const char *ladder_config_codec_name(ladder_codec codec);

/*
 * The SVT-AV1 preset ("12" .. "1") that stands for an x264 preset name, so
 * that one --preset means comparable effort for every codec (ladder
 * encode's AV1 rungs and ladder bench's ffmpeg command lines use the same
 * table). A name not in the table is returned as given (an SVT number
 * passes through).
 */
LADDER_API const char *ladder_config_svt_preset(const char *x264_preset);

/* Job-level options a ladder file may give besides its rungs. */
typedef struct ladder_file_options {
    double segment_seconds;       /* valid when has_segment_seconds */
    bool has_segment_seconds;
    unsigned formats;             /* LADDER_FORMAT_* flags, valid when has_formats */
    bool has_formats;
    ladder_codec codec;           /* "codec": rungs that name none, valid when has_codec */
    bool has_codec;
    ladder_audio_mode audio_mode; /* "audio": "all" | "first" | "none" */
    bool has_audio_mode;
    ladder_audio_codec audio_codec; /* "audio_codec": "aac" | "opus" */
    bool has_audio_codec;
    int audio_channels;           /* "audio_channels": 1, 2 or 6 */
    bool has_audio_channels;
    ladder_parameter_sets parameter_sets; /* "parameter_sets": "out-of-band" | "in-band" */
    bool has_parameter_sets;
    bool exact_shape;             /* "exact_shape": true | false (ladder_job.exact_shape) */
    bool has_exact_shape;
    bool close_gaps;              /* "gaps": "hold" | "close" (ladder_job.close_gaps) */
    bool has_gaps;
} ladder_file_options;

/* A size in bytes: 1048576, 512M, 2G, 1.5GiB, 1T (binary units, optional
 * "i" and "B"), 0 up to 10^15. 0 or LADDER_ECONFIG; callers check their
 * own minimum (the memory budget's is 1 MiB). */
LADDER_API int ladder_config_parse_size(const char *text, int64_t *bytes);

/* "out-of-band" or "in-band" (--parameter-sets, "parameter_sets"). 0 or
 * LADDER_ECONFIG with what was expected in err. */
LADDER_API int ladder_config_parse_parameter_sets(const char *name, ladder_parameter_sets *out, char *err, size_t err_size);

/*
 * The audio options, shared by the command line and ladder files:
 * "all" | "first" | "none"; "aac" | "opus"; a channel limit of 1, 2 or 6.
 * Return 0 or LADDER_ECONFIG with what was expected in err.
 */
LADDER_API int ladder_config_parse_audio_mode(const char *name, ladder_audio_mode *out, char *err, size_t err_size);
LADDER_API int ladder_config_parse_audio_codec(const char *name, ladder_audio_codec *out, char *err, size_t err_size);
LADDER_API int ladder_config_parse_audio_channels(const char *text, int *out, char *err, size_t err_size);

/*
 * Load a JSON ladder file (json-c), e.g. samples/ladders/default.json:
 *   { "segment_seconds": 2,            (optional)
 *     "format": "hls,dash",            (optional; or ["hls", "dash"])
 *     "rungs": [ { "name": "720p", "width": 1280, "height": 720,
 *                  "bitrate": "3000k", "maxrate": "3300k", "bufsize": "6000k",
 *                  "crf": 23, "profile": "high", "max_fps": 30,
 *                  "codec": "hevc" }, ... ],
 *     "codec": "h264",                 (optional: rungs without "codec")
 *     "audio": "all", "audio_codec": "aac", "audio_channels": 2, (optional)
 *     "parameter_sets": "in-band",     (optional)
 *     "exact_shape": true,             (optional; default false)
 *     "gaps": "close" }                (optional; default "hold")
 * "bitrate" may be a string with unit or a number in kb/s; "crf" selects CRF
 * mode. Unknown keys are an error (typos must not pass silently). A rung's
 * "codec" is kept in the rung; the top-level one goes to opts (a rung that
 * names none keeps LADDER_CODEC_DEFAULT, so a command-line codec can still
 * apply to it). "av1" anywhere is LADDER_ECODEC.
 * On success *rungs is malloc'ed (caller frees), *nb_rungs >= 1, and *opts
 * (may be NULL) tells which job-level options the file gave.
 * On error returns LADDER_ECONFIG (or LADDER_EINPUT_MISSING when the file
 * cannot be opened) with a one-line reason naming the file in err, and
 * leaves *rungs, *nb_rungs and *opts unchanged.
 */
LADDER_API int ladder_config_load_file_options(const char *path, ladder_rung **rungs, int *nb_rungs,
                                               ladder_file_options *opts, char *err, size_t err_size);

/*
 * The same for callers that only take the segment length: *segment_seconds
 * is set when the file gives it (else left unchanged). A "format" key is
 * still checked.
 */
LADDER_API int ladder_config_load_file(const char *path, ladder_rung **rungs, int *nb_rungs,
                                       double *segment_seconds, char *err, size_t err_size);

/*
 * Default ladder for a source of display size src_w x src_h:
 * 1080p 5000k, 720p 3000k, 480p 1400k, 360p 800k, 240p 400k, dropping rungs
 * whose height is above the source's (a source smaller than 240p keeps one
 * rung at source size, 400k). *rungs is malloc'ed.
 */
LADDER_API int ladder_config_default_ladder(int src_w, int src_h, ladder_rung **rungs,
                                            int *nb_rungs);

/*
 * Output size of rung r for a source of display size src_w x src_h (already
 * corrected for sample aspect ratio): fit inside r's bounding box keeping the
 * aspect ratio, never above the source, both dimensions even and >= 2.
 * Returns 0 or LADDER_ECONFIG when both dimensions are zero.
 */
LADDER_API int ladder_config_output_size(const ladder_rung *r, int src_w, int src_h,
                                         int *out_w, int *out_h);

/* "hold" (false) or "close" (true): what a forward gap in the input's
 * timestamps becomes (ladder_job.close_gaps). 0 or LADDER_ECONFIG. */
LADDER_API int ladder_config_parse_gaps(const char *text, bool *close_gaps);

/*
 * Sample aspect ratio of a rung of out_w x out_h made from a source of
 * display size src_w x src_h (ladder_job.exact_shape): 1:1 unless
 * exact_shape, then the ratio that stretches the rung back to the source's
 * exact shape (852x480 from 1920x1080: 640:639), reduced, terms at most
 * 4096 (what libx264 keeps). Any size <= 0: 1:1.
 */
LADDER_API void ladder_config_rung_sar(bool exact_shape, int src_w, int src_h, int out_w, int out_h,
                                       int *sar_num, int *sar_den);

/* Width of width pixels shown at sar_num:sar_den, rounded to the nearest
 * pixel (half up): what a player displays, and HLS's RESOLUTION. A SAR
 * with a term <= 0 counts as 1:1. */
LADDER_API int ladder_config_display_width(int width, int sar_num, int sar_den);

/*
 * Check a resolved ladder: 1..LADDER_MAX_RUNGS rungs, positive bitrates or
 * CRF in 0..51, known profiles, unique names (names are filled in as
 * "<height>p" when empty, "<height>p_2" on clashes). LADDER_ECONFIG + err.
 */
LADDER_API int ladder_config_validate(ladder_rung *rungs, int nb_rungs, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_LADDER_CONFIG_H */
