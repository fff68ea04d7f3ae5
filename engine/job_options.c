/*
 * The options of a ladder job: the table and its one parser (see
 * job_options.h). A value is parsed from text wherever it was written; a
 * JSON value is first checked for its JSON type and turned into the same
 * text, so a file, a spec and a flag cannot disagree on what it means.
 */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "job_options.h"
#include "engine/input_policy.h"
#include "ladder/device_spec.h"
#include "ladder/ladder_config.h"
#include "pool/decode_select.h"
#include "spell.h"

#define FIELD(f) offsetof(job_option_values, f)

static const job_option_choice gaps_choices[] = { { "hold", 0 }, { "close", 1 }, { NULL, 0 } };
static const job_option_choice audio_choices[] = {
    { "all", LADDER_AUDIO_ALL }, { "first", LADDER_AUDIO_FIRST }, { "none", LADDER_AUDIO_NONE }, { NULL, 0 } };
static const job_option_choice audio_codec_choices[] = {
    { "aac", LADDER_AUDIO_AAC }, { "opus", LADDER_AUDIO_OPUS }, { NULL, 0 } };
static const job_option_choice channel_choices[] = { { "1", 1 }, { "2", 2 }, { "6", 6 }, { NULL, 0 } };
static const job_option_choice parameter_set_choices[] = {
    { "out-of-band", LADDER_PARAMETER_SETS_OUT_OF_BAND }, { "in-band", LADDER_PARAMETER_SETS_IN_BAND },
    { NULL, 0 } };
static const job_option_choice when_busy_choices[] = { { "wait", 0 }, { "cpu", 1 }, { "fail", 2 }, { NULL, 0 } };
static const job_option_choice priority_choices[] = { { "realtime", 1 }, { "batch", 0 }, { NULL, 0 } };
static const job_option_choice progress_choices[] = {
    { "auto", LADDER_PROGRESS_AUTO }, { "json", LADDER_PROGRESS_JSON }, { "none", LADDER_PROGRESS_NONE },
    { NULL, 0 } };

static const char *const presets[] = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo",
    NULL,
};

#define G_LADDER "Ladder"
#define G_AUDIO "Audio"
#define G_DEVICES "Devices and memory"
#define G_LIMITS "Input policy and limits (exit 13: refused by the policy; exit 12: over a limit)"
#define G_HOST "Sharing the host"
#define G_OUTPUT "Output"

/* The table. Order is the help's order within each group. */
static const job_option table[] = {
    { .name = "rung", .brief = "add a rung: 1280x720:3000k, x720:crf23 (repeatable)", .flag = "rung", .metavar = "WxH:RATE[:k=v...]", .type = JOB_OPT_RUNG, .group = G_LADDER,
      .flags = JOB_OPT_BASIC | JOB_OPT_CONFIG_ERROR, .offset = FIELD(rungs),
      .help = "add a rung; repeatable. W or H may be empty (x720:3000k). RATE: 3000k, 3M or crfN. Keys: "
              "maxrate, bufsize, fps (max frame rate), profile, name, codec, bit_depth. Sizes are bounding "
              "boxes: aspect kept, even, no upscaling, square pixels. Default ladder: 1080p 5000k, 720p "
              "3000k, 480p 1400k, 360p 800k, 240p 400k, rungs taller than the source dropped" },
    { .name = "ladder", .brief = "JSON ladder file: rungs and options (samples/ladders/)", .flag = "ladder", .metavar = "FILE", .type = JOB_OPT_TEXT, .group = G_LADDER,
      .flags = JOB_OPT_BASIC, .offset = FIELD(ladder_file),
      .help = "JSON ladder file (samples/ladders/): its rungs and its top-level options; flags win over it" },
    { .name = "segment_seconds", .brief = "segment length", .flag = "segment", .metavar = "SECONDS", .type = JOB_OPT_SECONDS, .min = 0.5,
      .max = 60, .file_key = "segment_seconds", .spec_key = "segment_seconds", .conf_key = "segment_seconds",
      .default_text = "2", .group = G_LADDER, .flags = JOB_OPT_BASIC, .offset = FIELD(segment_seconds),
      .help = "segment length, snapped to whole frames" },
    { .name = "codec", .brief = "h264 (avc1), hevc (hvc1), av1 (libsvtav1, av01)", .flag = "codec", .metavar = "NAME", .type = JOB_OPT_CODEC, .file_key = "codec",
      .spec_key = "codec", .default_text = "h264", .group = G_LADDER, .flags = JOB_OPT_BASIC,
      .offset = FIELD(codec),
      .help = "h264 (libx264, avc1), hevc (libx265, hvc1) or av1 (libsvtav1, av01) for every rung that "
              "names none. A codec whose encoder the linked FFmpeg lacks: exit 10" },
    { .name = "preset", .brief = "encoder preset, x264 names", .flag = "preset", .metavar = "NAME", .type = JOB_OPT_PRESET, .spec_key = "preset",
      .conf_key = "preset", .default_text = "veryfast", .group = G_LADDER, .flags = JOB_OPT_BASIC,
      .offset = FIELD(preset),
      .help = "encoder preset: ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow "
              "or placebo (AV1 maps them to SVT presets 12 .. 1; a number 0..13 is an SVT preset)" },
    { .name = "exact_shape", .brief = "keep the source's exact shape (non-square pixels)", .flag = "exact-shape", .type = JOB_OPT_SWITCH, .switch_value = 1,
      .file_key = "exact_shape", .spec_key = "exact_shape", .group = G_LADDER, .offset = FIELD(exact_shape),
      .help = "keep the source's exact shape: a rung whose even size is a pixel or two off it gets the "
              "sample aspect ratio that stretches it back (852x480 from 16:9: 640:639), and HLS RESOLUTION "
              "states the size shown" },
    { .name = "gaps", .brief = "timestamp gaps: hold them or close them", .flag = "gaps", .metavar = "hold|close", .type = JOB_OPT_CHOICE, .choices = gaps_choices,
      .file_key = "gaps", .spec_key = "gaps", .default_text = "hold", .group = G_LADDER, .offset = FIELD(gaps),
      .help = "a forward gap of up to 10 s in the input's timestamps: hold keeps it (the picture held, the "
              "audio silent); close removes it on every stream (docs/encoding.md \"Timelines\")" },
    { .name = "no_cascade", .brief = "scale every rung from the source", .flag = "no-cascade", .type = JOB_OPT_SWITCH,
      .switch_value = 1, .group = G_LADDER, .offset = FIELD(no_cascade),
      .help = "scale every rung from the source. By default a rung 2 to 2.5 times smaller than another "
              "(720p -> 360p) is scaled from that rung's pictures with lanczos, which costs less and "
              "measured closer to a high-quality downscale than bicubic from the source; report.json says "
              "where each rung came from (scaled_from)" },

    { .name = "audio", .brief = "audio streams: all, first or none", .flag = "audio", .metavar = "MODE", .type = JOB_OPT_CHOICE, .choices = audio_choices,
      .file_key = "audio", .spec_key = "audio", .default_text = "all", .group = G_AUDIO, .flags = JOB_OPT_BASIC,
      .offset = FIELD(audio),
      .help = "which source audio streams become renditions: all, first or none (video only). A stream "
              "already in the codec, channels and rate asked for is copied" },
    { .name = "no_audio", .brief = "video only", .flag = "no-audio", .type = JOB_OPT_SWITCH, .switch_value = LADDER_AUDIO_NONE,
      .group = G_AUDIO, .flags = JOB_OPT_BASIC, .offset = FIELD(audio), .help = "the same as --audio none" },
    { .name = "audio_codec", .brief = "aac or opus", .flag = "audio-codec", .metavar = "NAME", .type = JOB_OPT_CHOICE,
      .choices = audio_codec_choices, .file_key = "audio_codec", .spec_key = "audio_codec",
      .default_text = "aac", .group = G_AUDIO, .flags = JOB_OPT_BASIC, .offset = FIELD(audio_codec),
      .help = "aac (AAC-LC) or opus (libopus, 48 kHz)" },
    { .name = "audio_channels", .brief = "at most 1, 2 or 6 channels", .flag = "audio-channels", .metavar = "N", .type = JOB_OPT_CHOICE,
      .choices = channel_choices, .file_key = "audio_channels", .spec_key = "audio_channels",
      .default_text = "6", .group = G_AUDIO, .offset = FIELD(audio_channels),
      .help = "at most N channels: 6 (5.1 kept, 7.1 downmixed to 5.1), 2 (everything stereo) or 1; mono "
              "stays mono" },
    { .name = "audio_bitrate", .brief = "kb/s per audio rendition", .flag = "audio-bitrate", .metavar = "KBPS", .type = JOB_OPT_KBPS, .min = 32,
      .max = 512, .spec_key = "audio_bitrate", .group = G_AUDIO, .offset = FIELD(audio_bitrate_kbps),
      .help = "kb/s of every encoded rendition (default by codec and channels: AAC 64k per channel, 128k "
              "stereo, 384k 5.1; Opus 48k mono, 96k stereo, 256k 5.1)" },

    { .name = "devices", .brief = "where to encode: cpu, nvidia, intel, auto", .flag = "devices", .metavar = "LIST", .type = JOB_OPT_DEVICES, .conf_key = "devices",
      .default_text = "cpu", .group = G_DEVICES, .flags = JOB_OPT_BASIC, .offset = FIELD(devices),
      .help = "devices to encode on, comma-separated, the first preferred: KIND[:SLOTS][:KEY=VALUE...]: cpu "
              "(SLOTS default one per core), nvidia (every NVENC GPU; SLOTS sessions per GPU, default its "
              "NVENC engines; gpu=N, uuid=GPU-...|MIG-..., min-free=8G pick GPUs), intel (every QSV GPU; "
              "gpu=N the Nth in PCI order), auto (the CPU and every GPU that can encode), fault (tests: "
              "fail-after=N, fail-for=M); keys h264=, hevc=, av1= (encoder library, e.g. av1=libaom-av1; "
              "none keeps the codec off the device), preset=, name=. No device matches: exit 11. A device "
              "whose encoder would change a rung's decoder configuration is kept off that rung" },
    { .name = "decode_device", .brief = "where to decode: cpu, gpu, intel, auto", .flag = "decode-device", .metavar = "D", .type = JOB_OPT_DECODE,
      .conf_key = "decode_device", .default_text = "cpu", .group = G_DEVICES,
      .flags = JOB_OPT_BASIC | JOB_OPT_CONFIG_ERROR, .offset = FIELD(decode_device),
      .help = "where the source is decoded: cpu, gpu (NVDEC on the first NVIDIA GPU that decodes the "
              "source's codec, size and depth; gpu:N or gpu:uuid=GPU-... picks one; none: exit 11), intel "
              "(Quick Sync; intel:N picks one) or auto (NVDEC, else Quick Sync, else the CPU). A hardware "
              "decode error switches to the CPU decoder without losing a frame" },
    { .name = "parameter_sets", .brief = "out-of-band (avc1/hvc1) or in-band (avc3/hev1)", .flag = "parameter-sets", .metavar = "MODE", .type = JOB_OPT_CHOICE,
      .choices = parameter_set_choices, .file_key = "parameter_sets", .spec_key = "parameter_sets",
      .default_text = "out-of-band", .group = G_DEVICES, .offset = FIELD(parameter_sets),
      .help = "out-of-band (avc1/hvc1: parameter sets in the init segment only) or in-band (avc3/hev1: also "
              "in every segment, so devices whose H.264/HEVC encoders make other parameter sets may share a "
              "rendition)" },
    { .name = "memory_budget", .brief = "raw-frame memory for encoders: 512M, 2G", .flag = "memory-budget", .metavar = "SIZE", .type = JOB_OPT_SIZE, .min = 1 << 20,
      .conf_key = "memory_budget", .group = G_DEVICES, .offset = FIELD(memory_budget),
      .help = "raw frames held for encoders, e.g. 512M, 2G (default: (slots + 1) chunks of the top rung, or "
              "a chunk of every rung plus one of the top if more); the decoder waits when it is full" },
    { .name = "helpers", .brief = "free slots never help other rungs", .flag = "no-helpers", .type = JOB_OPT_SWITCH, .switch_value = 0, .group = G_DEVICES,
      .offset = FIELD(helpers), .help = "a free slot never joins a rung another slot is encoding" },

    { .name = "allow_protocols", .brief = "input protocols besides files: http,https", .flag = "allow-protocols", .metavar = "LIST", .type = JOB_OPT_PROTOCOLS,
      .conf_key = "allow_protocols", .group = G_LIMITS, .offset = FIELD(allow_protocols),
      .help = "protocols an input may use besides local files: http, https (default: none)" },
    { .name = "allow_playlist_inputs", .brief = "accept playlists, concat lists, image sequences", .flag = "allow-playlist-inputs", .type = JOB_OPT_SWITCH,
      .switch_value = 1, .group = G_LIMITS, .offset = FIELD(allow_playlist_inputs),
      .help = "accept inputs that open other files or URLs named inside them (HLS/DASH manifests, concat "
              "lists, image sequences, IMF); their opens keep to the allowed protocols" },
    { .name = "max_pixels", .brief = "largest source picture", .flag = "max-pixels", .metavar = "N|WxH|none", .type = JOB_OPT_PIXELS,
      .spec_key = "max_pixels", .conf_key = "max_pixels", .default_text = "4096x2304", .group = G_LIMITS,
      .offset = FIELD(max_pixels), .help = "largest source picture" },
    { .name = "max_duration", .brief = "longest source", .flag = "max-duration", .metavar = "SECONDS", .type = JOB_OPT_SECONDS,
      .min = 0.001, .max = 1e9, .spec_key = "max_duration", .group = G_LIMITS, .offset = FIELD(max_duration),
      .help = "longest source, as claimed or decoded (default none)" },
    { .name = "max_memory", .brief = "most raw-frame memory", .flag = "max-memory", .metavar = "SIZE", .type = JOB_OPT_SIZE, .min = 1 << 20,
      .spec_key = "max_memory", .conf_key = "max_memory", .group = G_LIMITS, .offset = FIELD(max_memory),
      .help = "most raw-frame memory: caps --memory-budget, and a ladder that cannot run within it is "
              "refused (default none). Always: both sides at least 16 pixels, aspect ratio within 16:1" },

    { .name = "host_cpu_slots", .brief = "CPU slots all ladder processes here share", .flag = "host-cpu-slots", .metavar = "N", .type = JOB_OPT_INT, .min = 1,
      .max = 4096, .conf_key = "host_cpu_slots", .group = G_HOST, .offset = FIELD(host_cpu_slots),
      .help = "CPU slots every ladder process on this host shares (default one per core). Slots are lock "
              "files in $LADDER_STATE_DIR, else $XDG_RUNTIME_DIR/ladder, else /run/ladder, else "
              "/tmp/ladder-<uid>; the job takes 1..N of them and waits while none is free" },
    { .name = "no_wait", .brief = "no free slot: exit 75 at once", .flag = "no-wait", .type = JOB_OPT_SWITCH, .switch_value = 2, .group = G_HOST,
      .offset = FIELD(when_busy), .help = "no free slot: exit 75 at once (retry later), naming the holders" },
    { .name = "when_busy", .brief = "devices busy: wait, cpu or fail", .flag = "when-busy", .metavar = "MODE", .type = JOB_OPT_CHOICE,
      .choices = when_busy_choices, .conf_key = "when_busy", .default_text = "wait", .group = G_HOST,
      .offset = FIELD(when_busy),
      .help = "wait, cpu or fail (exit 75, like --no-wait) when the devices it may use are busy" },
    { .name = "priority", .brief = "batch or realtime", .flag = "priority", .metavar = "CLASS", .type = JOB_OPT_CHOICE,
      .choices = priority_choices, .default_text = "batch", .group = G_HOST, .offset = FIELD(priority),
      .help = "batch or realtime: while a realtime job waits for a slot, batch jobs on the host give theirs "
              "up at their next chunk boundary and resume when no realtime job waits" },
    { .name = "config", .brief = "host configuration file", .flag = "config", .metavar = "FILE", .type = JOB_OPT_TEXT, .group = G_HOST,
      .offset = FIELD(config),
      .help = "host configuration (default $LADDER_CONFIG, else $XDG_CONFIG_HOME/ladder/config.json, else "
              "/etc/ladder/config.json): defaults for the options above; see 'ladder config'" },

    { .name = "input", .brief = "the source", .metavar = "INPUT", .type = JOB_OPT_TEXT, .group = G_OUTPUT,
      .help = "the source: a media file (or an allowed URL)", .offset = FIELD(input) },
    { .name = "output", .brief = "output directory (created)", .flag = "output", .short_flag = 'o', .metavar = "DIR", .type = JOB_OPT_TEXT,
      .group = G_OUTPUT, .flags = JOB_OPT_BASIC, .offset = FIELD(output),
      .help = "output directory (created). A non-empty directory ladder did not make is refused "
              "unless --force" },
    { .name = "force", .brief = "write into a non-empty directory ladder did not make", .flag = "force", .short_flag = 'y', .type = JOB_OPT_SWITCH, .switch_value = 1,
      .group = G_OUTPUT, .flags = JOB_OPT_BASIC, .offset = FIELD(force),
      .help = "write into a non-empty output directory ladder did not make" },
    { .name = "resume", .brief = "continue an interrupted run", .flag = "resume", .type = JOB_OPT_SWITCH, .switch_value = 1, .group = G_OUTPUT,
      .flags = JOB_OPT_BASIC, .offset = FIELD(resume),
      .help = "continue an interrupted run into DIR: segments its journal (DIR/.ladder-resume) vouches for "
              "are kept, and the result is the uninterrupted run's; no journal: from the start; another "
              "job's journal: exit 15. SIGINT/SIGTERM stop a run at a chunk boundary (exit 14), a second one "
              "at once" },
    { .name = "deterministic", .brief = "same job, same bytes", .flag = "deterministic", .type = JOB_OPT_SWITCH, .switch_value = 1,
      .spec_key = "deterministic", .group = G_OUTPUT, .offset = FIELD(deterministic),
      .help = "the same job makes the same bytes every time (so a resumed run is the uninterrupted one): "
              "bitrate rungs are ABR in every chunk instead of the loop over finished chunks (1-2 dB less)" },
    { .name = "format", .brief = "hls, dash, mp4 (comma-separated)", .flag = "format", .metavar = "LIST", .type = JOB_OPT_FORMATS, .file_key = "format",
      .spec_key = "format", .default_text = "hls,dash", .group = G_OUTPUT, .flags = JOB_OPT_BASIC,
      .offset = FIELD(formats),
      .help = "what to write, comma-separated: hls, dash, mp4 (one faststart MP4 per rung with the audio, "
              "DIR/mp4/<rung>.mp4)" },
    { .name = "progress", .brief = "auto, json or none", .flag = "progress", .metavar = "MODE", .type = JOB_OPT_CHOICE,
      .choices = progress_choices, .default_text = "auto", .group = G_OUTPUT, .flags = JOB_OPT_BASIC, .offset = FIELD(progress),
      .help = "auto (bars on a terminal), json (JSON lines on stdout, docs/PROGRESS.md) or none" },
    { .name = "verbose", .brief = "more log lines (repeat for debug)", .flag = "verbose", .short_flag = 'v', .type = JOB_OPT_COUNT, .switch_value = 1,
      .group = G_OUTPUT, .flags = JOB_OPT_BASIC, .offset = FIELD(verbosity),
      .help = "more log lines on stderr (repeat for debug)" },
    { .name = "quiet", .brief = "errors only", .flag = "quiet", .short_flag = 'q', .type = JOB_OPT_SWITCH,
      .switch_value = LADDER_LOG_ERROR, .group = G_OUTPUT, .flags = JOB_OPT_BASIC, .offset = FIELD(verbosity), .help = "errors only" },
    { .name = "invariant_fault", .brief = "testing only", .flag = "test-invariant-fault", .metavar = "N", .type = JOB_OPT_INT, .min = 1,
      .max = 1000000, .group = G_OUTPUT, .flags = JOB_OPT_HIDDEN, .offset = FIELD(invariant_fault_every),
      .help = "testing: every Nth chunk's first encode uses settings that break the codec invariant" },
    { .name = "help", .brief = "the common options", .flag = "help", .short_flag = 'h', .type = JOB_OPT_SWITCH,
      .switch_value = 1, .group = G_OUTPUT, .flags = JOB_OPT_BASIC, .offset = FIELD(help),
      .help = "the common options and examples" },
    { .name = "help_all", .brief = "every option", .flag = "help-all", .type = JOB_OPT_SWITCH, .switch_value = 2,
      .group = G_OUTPUT, .flags = JOB_OPT_BASIC, .offset = FIELD(help),
      .help = "every option, and where else (ladder file, job spec, host configuration) it may be written" },
};

#define NB_ROWS ((int)(sizeof(table) / sizeof(table[0])))

struct job_options {
    job_option_values v;
    job_option_source source[NB_ROWS];
    char origin[NB_ROWS][96];
};

int job_option_count(void)
{
    return NB_ROWS;
}

const job_option *job_option_at(int i)
{
    return i >= 0 && i < NB_ROWS ? &table[i] : NULL;
}

static int row_index(const job_option *row)
{
    return (int)(row - table);
}

const job_option *job_option_by_flag(const char *flag)
{
    for (int i = 0; flag && i < NB_ROWS; i++)
        if (table[i].flag && !strcmp(table[i].flag, flag))
            return &table[i];
    return NULL;
}

const job_option *job_option_by_short(char c)
{
    for (int i = 0; c && i < NB_ROWS; i++)
        if (table[i].short_flag == c)
            return &table[i];
    return NULL;
}

const job_option *job_option_by_file_key(const char *key)
{
    for (int i = 0; key && i < NB_ROWS; i++)
        if (table[i].file_key && !strcmp(table[i].file_key, key))
            return &table[i];
    return NULL;
}

const job_option *job_option_by_spec_key(const char *key)
{
    for (int i = 0; key && i < NB_ROWS; i++)
        if (table[i].spec_key && !strcmp(table[i].spec_key, key))
            return &table[i];
    return NULL;
}

const job_option *job_option_by_name(const char *name)
{
    for (int i = 0; name && i < NB_ROWS; i++)
        if (!strcmp(table[i].name, name))
            return &table[i];
    return NULL;
}

int job_options_init(job_options **out)
{
    job_options *o = calloc(1, sizeof(*o));
    if (!o)
        return LADDER_ENOMEM;
    ladder_job defaults;
    ladder_job_defaults(&defaults);
    o->v.segment_seconds = defaults.segment_seconds;
    o->v.helpers = true;
    o->v.verbosity = LADDER_LOG_WARNING;
    o->v.progress = LADDER_PROGRESS_AUTO;
    o->v.codec = LADDER_CODEC_DEFAULT;
    o->v.preset = strdup(defaults.preset ? defaults.preset : "veryfast");
    if (!o->v.preset) {
        free(o);
        return LADDER_ENOMEM;
    }
    *out = o;
    return 0;
}

void job_options_close(job_options *o)
{
    if (!o)
        return;
    for (int i = 0; i < NB_ROWS; i++) {
        job_option_type t = table[i].type;
        if (t == JOB_OPT_TEXT || t == JOB_OPT_PRESET || t == JOB_OPT_DEVICES || t == JOB_OPT_DECODE ||
            t == JOB_OPT_PROTOCOLS) {
            char **field = (char **)((char *)&o->v + table[i].offset);
            free(*field);
            *field = NULL;
        }
    }
    free(o);
}

const job_option_values *job_options_values(const job_options *o)
{
    return &o->v;
}

job_option_source job_options_source(const job_options *o, const job_option *row)
{
    return o->source[row_index(row)];
}

const char *job_options_origin(const job_options *o, const job_option *row)
{
    int i = row_index(row);
    return o->source[i] == JOB_OPT_DEFAULT ? "default" : o->origin[i];
}

/* ---- parsing: one parser per type, from text ------------------------------ */

/* A problem with a value: either the expected form ("seconds between 0.5
 * and 60"), which each source words its own way, or a whole sentence from
 * a parser of its own (rungs, formats, devices). */
typedef struct problem {
    char text[320];
    bool whole;
} problem;

static int expected(problem *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int expected(problem *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof(p->text), fmt, ap);
    va_end(ap);
    p->whole = false;
    return LADDER_ECONFIG;
}

static int sentence(problem *p, int code, const char *text)
{
    snprintf(p->text, sizeof(p->text), "%s", text);
    p->whole = true;
    return code;
}

/* "a, b or c", each name quoted when JSON spells it. */
static void choice_list(const job_option_choice *c, bool quoted, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; c[i].name; i++) {
        const char *sep = i == 0 ? "" : c[i + 1].name ? ", " : " or ";
        int w = snprintf(buf + used, size - used, quoted ? "%s\"%s\"" : "%s%s", sep, c[i].name);
        if (w < 0 || (size_t)w >= size - used)
            return;
        used += (size_t)w;
    }
}

static int set_text(char **field, const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        return LADDER_ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

static int parse_seconds(const job_option *row, const char *text, double *out, problem *p)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !isfinite(v) || v < row->min || v > row->max)
        return row->max >= 1e9 ? expected(p, "seconds above 0")
                               : expected(p, "seconds between %g and %g", row->min, row->max);
    *out = v;
    return 0;
}

static int parse_int(const job_option *row, const char *text, int *out, problem *p)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < row->min || v > row->max)
        return expected(p, "a whole number between %g and %g", row->min, row->max);
    *out = (int)v;
    return 0;
}

/* 128, "128k" or "1M": kb/s. */
static int parse_kbps(const job_option *row, const char *text, int *out, problem *p)
{
    char *end;
    double v = strtod(text, &end);
    if (end != text && (!strcmp(end, "M") || !strcmp(end, "m")))
        v *= 1000;
    else if (end == text || (*end && strcmp(end, "k") && strcmp(end, "K")))
        v = NAN;
    if (!(v >= row->min && v <= row->max))
        return expected(p, "kb/s between %g and %g", row->min, row->max);
    *out = (int)lround(v);
    return 0;
}

static int parse_size(const job_option *row, const char *text, int64_t *out, problem *p)
{
    int64_t bytes;
    if (ladder_config_parse_size(text, &bytes) || bytes < (int64_t)row->min)
        return expected(p, "a size like 512M or 2G (at least %gM)", row->min / 1048576);
    *out = bytes;
    return 0;
}

/* A pixel count, WxH, or "none" (-1: no limit). */
static int parse_pixels(const char *text, int64_t *out, problem *p)
{
    if (!strcmp(text, "none")) {
        *out = -1;
        return 0;
    }
    char *end;
    errno = 0;
    long long a = strtoll(text, &end, 10);
    if (!errno && end != text && a >= 1 && *end == 'x') {
        const char *h = end + 1;
        long long b = strtoll(h, &end, 10);
        if (!errno && end != h && !*end && b >= 1 && a <= (1LL << 20) && b <= (1LL << 20)) {
            *out = a * b;
            return 0;
        }
    } else if (!errno && end != text && a >= 0 && !*end) {
        *out = a;                 /* 0: the built-in limit (a host configuration's "unset") */
        return 0;
    }
    return expected(p, "a pixel count, WxH or none");
}

static int parse_choice(const job_option *row, const char *text, int *out, problem *p, bool quoted)
{
    for (int i = 0; row->choices[i].name; i++)
        if (!strcmp(text, row->choices[i].name)) {
            *out = row->choices[i].value;
            return 0;
        }
    char list[160];
    choice_list(row->choices, quoted, list, sizeof(list));
    const char *names[16];
    int n = 0;
    for (; row->choices[n].name && n < 15; n++)
        names[n] = row->choices[n].name;
    names[n] = NULL;
    const char *meant = spell_nearest(text, names);
    if (meant)
        return expected(p, "%s (did you mean %s?)", list, meant);
    return expected(p, "%s", list);
}

static int parse_preset(const char *text, char **out, problem *p)
{
    bool ok = false;
    for (int i = 0; presets[i]; i++)
        ok |= !strcmp(text, presets[i]);
    char *end;
    long svt = strtol(text, &end, 10);
    ok |= end != text && !*end && svt >= 0 && svt <= 13;
    const char *meant = ok ? NULL : spell_nearest(text, presets);
    if (!ok)
        return expected(p, "a preset: ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, "
                           "veryslow or placebo (or an SVT-AV1 preset 0..13)%s%s%s",
                        meant ? "; did you mean " : "", meant ? meant : "", meant ? "?" : "");
    return set_text(out, text);
}

static int parse_rung(job_option_values *v, const char *text, problem *p)
{
    char err[200];
    if (v->nb_rungs == LADDER_MAX_RUNGS) {
        snprintf(err, sizeof(err), "at most %d rungs", LADDER_MAX_RUNGS);
        return sentence(p, LADDER_ECONFIG, err);
    }
    if (ladder_config_parse_rung(text, &v->rungs[v->nb_rungs], err, sizeof(err)))
        return sentence(p, LADDER_ECONFIG, err);
    v->nb_rungs++;
    return 0;
}

static int parse_checked_text(const job_option *row, const char *text, char **out, problem *p)
{
    char why[256];
    int ret = 0;
    if (row->type == JOB_OPT_DEVICES) {
        ladder_device_spec specs[LADDER_MAX_DEVICES];
        int nb;
        ret = ladder_device_spec_parse(text, 1, specs, LADDER_MAX_DEVICES, &nb, why, sizeof(why));
    } else if (row->type == JOB_OPT_DECODE) {
        ladder_decode_request req;
        ret = ladder_decode_request_parse(text, &req, why, sizeof(why));
    } else if (row->type == JOB_OPT_PROTOCOLS) {
        ret = ladder_input_policy_check(text, why, sizeof(why));
    } else if (!text[0]) {
        return expected(p, "a non-empty string");
    }
    if (ret)
        return sentence(p, LADDER_ECONFIG, why);
    return set_text(out, text);
}

/* Parse text into row's field of v. quoted: name choices as JSON does. */
static int parse_value(const job_option *row, job_option_values *v, const char *text, problem *p, bool quoted)
{
    void *field = (char *)v + row->offset;
    char why[200];
    int ret;
    switch (row->type) {
    case JOB_OPT_SWITCH: *(int *)field = row->switch_value; return 0;
    case JOB_OPT_COUNT: *(int *)field += row->switch_value; return 0;
    case JOB_OPT_SECONDS: return parse_seconds(row, text, field, p);
    case JOB_OPT_INT: return parse_int(row, text, field, p);
    case JOB_OPT_KBPS: return parse_kbps(row, text, field, p);
    case JOB_OPT_SIZE: return parse_size(row, text, field, p);
    case JOB_OPT_PIXELS: return parse_pixels(text, field, p);
    case JOB_OPT_CHOICE: return parse_choice(row, text, field, p, quoted);
    case JOB_OPT_PRESET: return parse_preset(text, field, p);
    case JOB_OPT_RUNG: return parse_rung(v, text, p);
    case JOB_OPT_FORMATS:
        if (ladder_config_parse_formats(text, field, why, sizeof(why)))
            return sentence(p, LADDER_ECONFIG, why);
        return 0;
    case JOB_OPT_CODEC: {
        ladder_codec codec;
        if ((ret = ladder_config_parse_codec(text, &codec, why, sizeof(why))))
            return sentence(p, ret, why);
        *(int *)field = (int)codec;
        return 0;
    }
    case JOB_OPT_TEXT: case JOB_OPT_DEVICES: case JOB_OPT_DECODE: case JOB_OPT_PROTOCOLS:
        return parse_checked_text(row, text, field, p);
    }
    return expected(p, "a value");
}

/* ---- the sources ----------------------------------------------------------- */

static void record(job_options *o, const job_option *row, job_option_source source, const char *origin)
{
    static const char *const names[] = { "default", "config file", "environment", "ladder file", "job spec",
                                          "flag" };
    int i = row_index(row);
    o->source[i] = source;
    if (origin)
        snprintf(o->origin[i], sizeof(o->origin[i]), "%s", origin);
    else if (source == JOB_OPT_FLAG && row->flag)
        snprintf(o->origin[i], sizeof(o->origin[i]), "flag --%s", row->flag);
    else
        snprintf(o->origin[i], sizeof(o->origin[i]), "%s", names[source]);
}

/* One line naming the option as the source spells it. */
static void word_problem(const job_option *row, const char *text, job_option_source source, const char *origin,
                         const problem *p, char *err, size_t n)
{
    const char *key = source == JOB_OPT_FILE ? row->file_key : source == JOB_OPT_SPEC ? row->spec_key
                    : row->conf_key ? row->conf_key : row->name;
    if (source == JOB_OPT_FLAG && row->type == JOB_OPT_RUNG)
        snprintf(err, n, "%s", p->text);
    else if (source == JOB_OPT_FLAG)
        snprintf(err, n, "%s%s '%s': %s%s", row->flag ? "--" : "", row->flag ? row->flag : row->metavar,
                 text ? text : "", p->whole ? "" : "expected ", p->text);
    else if (source == JOB_OPT_FILE)
        snprintf(err, n, "%s: %s%s", key, p->whole ? "" : "expected ", p->text);
    else if (source == JOB_OPT_SPEC)
        snprintf(err, n, p->whole ? "job spec: \"%s\": %s%s" : "job spec: \"%s\" %s%s", key,
                 p->whole ? "" : "must be ", p->text);
    else
        snprintf(err, n, "%s: key %s: %s%s", origin ? origin : "config", key, p->whole ? "" : "expected ",
                 p->text);
}

int job_options_set(job_options *o, const job_option *row, const char *text, job_option_source source,
                    const char *origin, char *err, size_t err_size)
{
    problem p;
    bool takes_text = row->type != JOB_OPT_SWITCH && row->type != JOB_OPT_COUNT;
    if (takes_text && !text) {
        expected(&p, "a value");
        word_problem(row, "", source, origin, &p, err, err_size);
        return LADDER_ECONFIG;
    }
    int ret = parse_value(row, &o->v, text, &p, source == JOB_OPT_FILE || source == JOB_OPT_SPEC);
    if (ret == LADDER_ENOMEM) {
        snprintf(err, err_size, "out of memory");
        return ret;
    }
    if (ret) {
        word_problem(row, text, source, origin, &p, err, err_size);
        return ret;
    }
    record(o, row, source, origin);
    return 0;
}

/* What JSON type a row takes, in words, when the value has another. */
static const char *json_kind(const job_option *row)
{
    switch (row->type) {
    case JOB_OPT_SWITCH: return "true or false";
    case JOB_OPT_SECONDS: return "a number of seconds";
    case JOB_OPT_INT: return "a whole number";
    case JOB_OPT_FORMATS: return "a string like \"hls,dash\" or an array of format names";
    case JOB_OPT_CODEC: return "a string (h264, hevc or av1)";
    default: return "a string";
    }
}

/* Whether a JSON value of this type may stand for the row's text. */
static bool json_fits(const job_option *row, json_type t)
{
    bool number = t == json_type_int || t == json_type_double;
    switch (row->type) {
    case JOB_OPT_SWITCH: return t == json_type_boolean;
    case JOB_OPT_SECONDS: return number;
    case JOB_OPT_INT: return t == json_type_int;
    case JOB_OPT_KBPS: case JOB_OPT_SIZE: case JOB_OPT_PIXELS: return number || t == json_type_string;
    case JOB_OPT_CHOICE: return t == json_type_string || (t == json_type_int && row->choices[0].name[0] >= '0' &&
                                                          row->choices[0].name[0] <= '9');
    case JOB_OPT_FORMATS: return t == json_type_string || t == json_type_array;
    default: return t == json_type_string;
    }
}

/* The JSON value as the text a flag would carry. Arrays (formats) are
 * joined with commas; their items must be strings. */
static bool json_text(json_object *value, char *buf, size_t size)
{
    switch (json_object_get_type(value)) {
    case json_type_string: snprintf(buf, size, "%s", json_object_get_string(value)); return true;
    case json_type_int: snprintf(buf, size, "%lld", (long long)json_object_get_int64(value)); return true;
    case json_type_double: snprintf(buf, size, "%.17g", json_object_get_double(value)); return true;
    case json_type_array: {
        size_t used = 0, n = json_object_array_length(value);
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            json_object *item = json_object_array_get_idx(value, i);
            if (!json_object_is_type(item, json_type_string))
                return false;
            int w = snprintf(buf + used, size - used, "%s%s", i ? "," : "", json_object_get_string(item));
            if (w < 0 || (size_t)w >= size - used)
                return false;
            used += (size_t)w;
        }
        return n > 0;
    }
    default: return false;
    }
}

int job_options_set_json(job_options *o, const job_option *row, json_object *value, job_option_source source,
                         const char *origin, char *err, size_t err_size)
{
    problem p;
    char text[512];
    if (!json_fits(row, json_object_get_type(value)) ||
        (row->type != JOB_OPT_SWITCH && !json_text(value, text, sizeof(text)))) {
        if (row->type == JOB_OPT_CHOICE) {
            char list[160];
            choice_list(row->choices, true, list, sizeof(list));
            expected(&p, "%s", list);
        } else {
            expected(&p, "%s", json_kind(row));
        }
        word_problem(row, NULL, source, origin, &p, err, err_size);
        return LADDER_ECONFIG;
    }
    if (row->type == JOB_OPT_FORMATS && json_object_is_type(value, json_type_array))
        for (size_t i = 0; i < json_object_array_length(value); i++) {
            /* Each name on its own, so the error says which item. */
            unsigned one;
            char why[200];
            if (ladder_config_parse_formats(json_object_get_string(json_object_array_get_idx(value, i)), &one, why,
                                            sizeof(why)) == 0)
                continue;
            const char *key = source == JOB_OPT_SPEC ? row->spec_key : row->file_key;
            snprintf(err, err_size, source == JOB_OPT_SPEC ? "job spec: \"%s[%zu]\": %s" : "%s[%zu]: %s", key, i,
                     why);
            return LADDER_ECONFIG;
        }
    if (row->type == JOB_OPT_SWITCH) {
        /* false is the switch's "off": its field's opposite value. */
        *(int *)((char *)&o->v + row->offset) = json_object_get_boolean(value) ? row->switch_value
                                                                              : !row->switch_value;
        record(o, row, source, origin);
        return 0;
    }
    return job_options_set(o, row, text, source, origin, err, err_size);
}

/* ---- reading the values back ------------------------------------------------ */

void job_options_format(const job_options *o, const job_option *row, char *buf, size_t size)
{
    const void *field = (const char *)&o->v + row->offset;
    buf[0] = '\0';
    switch (row->type) {
    case JOB_OPT_SWITCH: snprintf(buf, size, "%s", *(const int *)field == row->switch_value ? "yes" : "no"); break;
    case JOB_OPT_COUNT: case JOB_OPT_INT: case JOB_OPT_KBPS: snprintf(buf, size, "%d", *(const int *)field); break;
    case JOB_OPT_SECONDS: snprintf(buf, size, "%g", *(const double *)field); break;
    case JOB_OPT_SIZE: case JOB_OPT_PIXELS: snprintf(buf, size, "%lld", (long long)*(const int64_t *)field); break;
    case JOB_OPT_CHOICE:
        for (int i = 0; row->choices[i].name; i++)
            if (row->choices[i].value == *(const int *)field)
                snprintf(buf, size, "%s", row->choices[i].name);
        break;
    case JOB_OPT_CODEC: snprintf(buf, size, "%s", ladder_config_codec_name((ladder_codec)*(const int *)field)); break;
    case JOB_OPT_FORMATS: {
        unsigned f = *(const unsigned *)field ? *(const unsigned *)field : LADDER_FORMATS_DEFAULT;
        snprintf(buf, size, "%s%s%s%s%s", f & LADDER_FORMAT_HLS ? "hls" : "",
                 (f & LADDER_FORMAT_HLS) && (f & ~LADDER_FORMAT_HLS) ? "," : "", f & LADDER_FORMAT_DASH ? "dash" : "",
                 (f & LADDER_FORMAT_DASH) && (f & LADDER_FORMAT_MP4) ? "," : "", f & LADDER_FORMAT_MP4 ? "mp4" : "");
        break;
    }
    case JOB_OPT_RUNG: snprintf(buf, size, "%d rungs", o->v.nb_rungs); break;
    default: {
        const char *s = *(char *const *)field;
        snprintf(buf, size, "%s", s ? s : "");
    }
    }
}

int job_options_to_job(const job_options *o, ladder_job *job, ladder_device_spec *devices, char *err,
                       size_t err_size)
{
    const job_option_values *v = &o->v;
    job->input = v->input;
    job->output_dir = v->output;
    job->rungs = v->nb_rungs ? v->rungs : NULL;
    job->nb_rungs = v->nb_rungs;
    job->segment_seconds = v->segment_seconds;
    job->codec = (ladder_codec)v->codec;
    job->preset = v->preset;
    job->exact_shape = v->exact_shape;
    job->close_gaps = v->gaps == 1;
    job->audio_mode = (ladder_audio_mode)v->audio;
    job->audio_codec = (ladder_audio_codec)v->audio_codec;
    job->audio_channels = v->audio_channels;
    job->audio_bitrate_kbps = v->audio_bitrate_kbps;
    job->parameter_sets = (ladder_parameter_sets)v->parameter_sets;
    job->memory_budget = (size_t)v->memory_budget;
    job->helpers = v->helpers;
    job->no_cascade = v->no_cascade;
    job->allow_protocols = v->allow_protocols;
    job->allow_playlist_inputs = v->allow_playlist_inputs;
    job->max_pixels = v->max_pixels;
    job->max_duration = v->max_duration;
    job->max_memory = (size_t)v->max_memory;
    job->realtime = v->priority == 1;
    job->resume = v->resume ? LADDER_RESUME_ON : LADDER_RESUME_OFF;
    job->deterministic = v->deterministic;
    job->formats = v->formats;
    job->invariant_fault_every = v->invariant_fault_every;
    job->force_output = v->force;
    if (!v->devices || !devices)
        return 0;
    /* The list was checked when it was set; SLOTS default to the cores. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const job_option *row = job_option_by_name("devices");
    char why[256];
    if (ladder_device_spec_parse(v->devices, cores > 0 ? (int)cores : 1, devices, LADDER_MAX_DEVICES,
                                 &job->nb_devices, why, sizeof(why))) {
        snprintf(err, err_size, "%s: --devices: %s", job_options_origin(o, row), why);
        return LADDER_ECONFIG;
    }
    job->devices = devices;
    return 0;
}

int job_options_set_rungs(job_options *o, const ladder_rung *rungs, int nb, job_option_source source,
                          const char *origin)
{
    if (nb < 0 || nb > LADDER_MAX_RUNGS)
        return LADDER_ECONFIG;
    memcpy(o->v.rungs, rungs, (size_t)nb * sizeof(*rungs));
    o->v.nb_rungs = nb;
    record(o, job_option_by_name("rung"), source, origin);
    return 0;
}
