/*
 * `ladder encode`: parse options into a ladder_job, run it with progress on
 * the terminal or as JSON lines, print the summary. SIGINT/SIGTERM stop the
 * run at a chunk boundary (a second one cancels) through a watcher thread
 * (stop_watch.h; the engine is not signal-safe).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "commands.h"
#include "ladder/device_spec.h"
#include "engine/input_policy.h"
#include "encode_devices.h"
#include "encode_slots.h"
#include "stop_watch.h"
#include "host_config.h"
#include "ladder/ladder.h"
#include "ladder/ladder_config.h"
#include "progress_view.h"

static void encode_usage(FILE *out)
{
    fprintf(out,
        "Usage: ladder encode INPUT -o OUTDIR [options]\n"
        "\n"
        "Decode INPUT once and encode every rung of the ladder as CMAF fMP4 segments\n"
        "(OUTDIR/video/<rung>/{init.mp4,seg_NNNNN.m4s}, OUTDIR/audio/<N>-<lang>-<codec>/...) with\n"
        "HLS playlists (OUTDIR/master.m3u8, one index.m3u8 per rendition) and a DASH\n"
        "manifest (OUTDIR/manifest.mpd) over the same files, and OUTDIR/report.json.\n"
        "\n"
        "Ladder (default: 1080p 5000k, 720p 3000k, 480p 1400k, 360p 800k, 240p 400k,\n"
        "rungs taller than the source dropped):\n"
        "  --rung WxH:RATE[:key=value...]  add a rung; repeatable. W or H may be empty\n"
        "                     (x720:3000k). RATE: 3000k, 3M or crfN. Keys: maxrate,\n"
        "                     bufsize, fps (max frame rate), profile, name.\n"
        "                     Sizes are bounding boxes: aspect kept, even, no upscaling,\n"
        "                     square pixels (an even size may be a pixel or two off the\n"
        "                     source's shape)\n"
        "  --exact-shape      keep the source's exact shape instead: a rung whose even\n"
        "                     size is a pixel or two off it gets the sample aspect ratio\n"
        "                     that stretches it back (852x480 from 16:9: 640:639), and\n"
        "                     HLS RESOLUTION states the size shown (also \"exact_shape\":\n"
        "                     true in a --ladder file)\n"
        "  --gaps hold|close  a forward gap of up to 10 s in the input's timestamps:\n"
        "                     hold (default) keeps it, the picture held and the audio\n"
        "                     silent; close removes it on every stream (also \"gaps\"\n"
        "                     in a --ladder file; README \"Timelines\")\n"
        "  --ladder FILE      JSON ladder file (see samples/ladders/)\n"
        "  --segment SECONDS  segment length, snapped to whole frames (default 2)\n"
        "  --codec NAME       h264 (libx264, avc1; default), hevc (libx265, hvc1) or\n"
        "                     av1 (libsvtav1, av01) for every rung that names none (a\n"
        "                     --ladder file's rungs may say \"codec\"; its top-level\n"
        "                     \"codec\" applies when this option is not given). A codec\n"
        "                     whose encoder the linked FFmpeg lacks: exit 10\n"
        "  --preset NAME      encoder preset, x264/x265 names (default veryfast; AV1\n"
        "                     maps them to SVT presets, ultrafast 12 .. placebo 1)\n"
        "\n"
        "Audio (one rendition per source audio stream, OUTDIR/audio/<stream>-<lang>-<codec>;\n"
        "copied when the source already is the codec, channels and rate asked for):\n"
        "  --audio MODE       all (every audio stream; default), first (the first one)\n"
        "                     or none (video only; also \"audio\" in a --ladder file)\n"
        "  --no-audio         the same as --audio none\n"
        "  --audio-codec NAME aac (AAC-LC, default) or opus (libopus, 48 kHz)\n"
        "  --audio-channels N at most N channels: 6 (default: 5.1 kept, 7.1 downmixed\n"
        "                     to 5.1), 2 (everything stereo) or 1; mono stays mono\n"
        "  --audio-bitrate K  kb/s of every encoded rendition (default by codec and\n"
        "                     channels: AAC 64k per channel, 128k stereo, 384k 5.1;\n"
        "                     Opus 48k mono, 96k stereo, 256k 5.1)\n"
        "\n"
        "Devices and memory:\n"
        "  --devices LIST     devices to encode on, comma-separated, the first preferred:\n"
        "                     KIND[:SLOTS][:KEY=VALUE...]: cpu (SLOTS default one per\n"
        "                     core), nvidia (every NVENC GPU; SLOTS sessions per GPU,\n"
        "                     default its NVENC engines; gpu=N, uuid=GPU-...|MIG-...,\n"
        "                     min-free=8G pick GPUs), intel (every QSV GPU; gpu=N the\n"
        "                     Nth in PCI order; SLOTS sessions, default 1), auto (the CPU and every GPU that can encode), fault\n"
        "                     (tests: fail-after=N, fail-for=M); keys h264=, hevc=,\n"
        "                     av1= (encoder library, e.g. av1=libaom-av1; none keeps\n"
        "                     the codec off the device), preset=,\n"
        "                     name=. Default: cpu. No device matches: exit 11\n"
        "                     (e.g. cpu:3,cpu:1:av1=libaom-av1). A device whose encoder\n"
        "                     would change a rung's decoder configuration is kept off\n"
        "                     that rung (see report.json rungs[].devices)\n"
        "  --decode-device D  where the source is decoded: cpu (default), gpu (NVDEC on\n"
        "                     the first NVIDIA GPU that decodes the source's codec, size\n"
        "                     and depth; gpu:N or gpu:uuid=GPU-... picks one; none: exit\n"
        "                     11), intel (Quick Sync on the first Intel GPU that decodes\n"
        "                     it; intel:N picks one) or auto (NVDEC, else Quick Sync,\n"
        "                     else the CPU). On NVDEC every rung is scaled there\n"
        "                     (scale_cuda) and downloaded once, or left on the GPU for\n"
        "                     NVENC on it; a hardware decode error switches to the\n"
        "                     CPU decoder without losing a frame (report.json decode)\n"
        "  --parameter-sets MODE  out-of-band (default: avc1/hvc1, parameter sets in\n"
        "                     the init segment only) or in-band (avc3/hev1: also in\n"
        "                     every segment, so devices whose H.264/HEVC encoders make\n"
        "                     other parameter sets may share a rendition)\n"
        "  --memory-budget SIZE  raw frames held for encoders, e.g. 512M, 2G (default:\n"
        "                     (slots + 1) chunks of the top rung, at least 512M);\n"
        "                     the decoder waits when it is full\n"
        "  --no-helpers       a free slot never joins a rung another slot is encoding\n"
        "\n"
        "Input policy and limits (exit 13: refused by the policy; exit 12: over a limit):\n"
        "  --allow-protocols LIST  protocols an input may use besides local files:\n"
        "                     http, https (default: none)\n"
        "  --allow-playlist-inputs  accept inputs that open other files or URLs named\n"
        "                     inside them (HLS/DASH manifests, concat lists, image\n"
        "                     sequences, IMF); their opens keep to the allowed protocols\n"
        "  --max-pixels N|WxH|none  largest source picture (default 4096x2304)\n"
        "  --max-duration SECONDS  longest source, as claimed or decoded (default none)\n"
        "  --max-memory SIZE  most raw-frame memory: caps --memory-budget, and a ladder\n"
        "                     that cannot run within it is refused (default none)\n"
        "  (always: both sides at least 16 pixels, aspect ratio within 16:1)\n"
        "\n"
        "Sharing the host (slots are lock files in $LADDER_STATE_DIR, else\n"
        "$XDG_RUNTIME_DIR/ladder, else /run/ladder, else /tmp/ladder-<uid>; the job\n"
        "takes 1..N host CPU slots, N from --devices, and waits while none is free):\n"
        "  --host-cpu-slots N CPU slots on this host (default $LADDER_HOST_CPU_SLOTS,\n"
        "                     else one per core)\n"
        "  --no-wait          no free slot: exit 75 at once (retry later), naming the holders\n"
        "  --when-busy MODE   wait (default), cpu or fail (exit 75, like --no-wait) when the\n"
        "                     devices it may use are busy (also when_busy in the config)\n"
        "  --priority CLASS   batch (default) or realtime: while a realtime job waits for a\n"
        "                     slot, batch jobs on the host give theirs up at their next chunk\n"
        "                     boundary and resume when no realtime job waits\n"
        "  --config FILE      host configuration (default $LADDER_CONFIG, else\n"
        "                     $XDG_CONFIG_HOME/ladder/config.json, else /etc/ladder/config.json):\n"
        "                     defaults for the options above; see 'ladder config'\n"
        "\n"
        "Output:\n"
        "  -o, --output DIR   output directory (created)\n"
        "  --resume           continue an interrupted run into DIR: segments its journal\n"
        "                     (DIR/.ladder-resume) vouches for are kept, not encoded again,\n"
        "                     and the result is the uninterrupted run's; no journal: from\n"
        "                     the start; another job's journal: exit 15. SIGINT/SIGTERM stop\n"
        "                     a run at a chunk boundary (exit 14), a second one at once\n"
        "  --deterministic    the same job makes the same bytes every time (so a resumed\n"
        "                     run is the uninterrupted one): bitrate rungs are ABR in every\n"
        "                     chunk instead of the loop over finished chunks (1-2 dB less)\n"
        "  --format LIST      what to write, comma-separated: hls, dash, mp4 (one\n"
        "                     faststart MP4 per rung with the audio, OUTDIR/mp4/<rung>.mp4)\n"
        "                     (default hls,dash; also \"format\" in a --ladder file)\n"
        "  --progress MODE    auto (bars on a terminal), json (JSON lines on stdout),\n"
        "                     none (default auto)\n"
        "  -v, --verbose      more log lines on stderr (repeat for debug)\n"
        "  -q, --quiet        errors only\n"
        "  --test-invariant-fault N  testing: every Nth chunk's first encode uses\n"
        "                     settings that break the codec invariant\n"
        "  -h, --help         this help\n");
}

enum {
    OPT_RUNG = 256, OPT_LADDER, OPT_SEGMENT, OPT_PRESET, OPT_AUDIO_BITRATE, OPT_NO_AUDIO,
    OPT_DEVICES, OPT_DECODE_DEVICE, OPT_MEMORY, OPT_NO_HELPERS, OPT_PROGRESS, OPT_FAULT, OPT_FORMAT,
    OPT_CODEC, OPT_PARAMETER_SETS, OPT_AUDIO, OPT_AUDIO_CODEC, OPT_AUDIO_CHANNELS, OPT_HOST_CPU_SLOTS,
    OPT_NO_WAIT, OPT_PRIORITY, OPT_CONFIG, OPT_WHEN_BUSY,
    OPT_ALLOW_PROTOCOLS, OPT_ALLOW_PLAYLISTS, OPT_MAX_PIXELS, OPT_MAX_DURATION, OPT_MAX_MEMORY,
    OPT_RESUME, OPT_DETERMINISTIC, OPT_EXACT_SHAPE, OPT_GAPS,
};

static const struct option encode_options[] = {
    { "output", required_argument, NULL, 'o' },
    { "rung", required_argument, NULL, OPT_RUNG },
    { "ladder", required_argument, NULL, OPT_LADDER },
    { "segment", required_argument, NULL, OPT_SEGMENT },
    { "preset", required_argument, NULL, OPT_PRESET },
    { "codec", required_argument, NULL, OPT_CODEC },
    { "audio-bitrate", required_argument, NULL, OPT_AUDIO_BITRATE },
    { "no-audio", no_argument, NULL, OPT_NO_AUDIO },
    { "audio", required_argument, NULL, OPT_AUDIO },
    { "audio-codec", required_argument, NULL, OPT_AUDIO_CODEC },
    { "audio-channels", required_argument, NULL, OPT_AUDIO_CHANNELS },
    { "devices", required_argument, NULL, OPT_DEVICES },
    { "decode-device", required_argument, NULL, OPT_DECODE_DEVICE },
    { "parameter-sets", required_argument, NULL, OPT_PARAMETER_SETS },
    { "memory-budget", required_argument, NULL, OPT_MEMORY },
    { "no-helpers", no_argument, NULL, OPT_NO_HELPERS },
    { "host-cpu-slots", required_argument, NULL, OPT_HOST_CPU_SLOTS },
    { "priority", required_argument, NULL, OPT_PRIORITY },
    { "when-busy", required_argument, NULL, OPT_WHEN_BUSY },
    { "no-wait", no_argument, NULL, OPT_NO_WAIT },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "progress", required_argument, NULL, OPT_PROGRESS },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "allow-protocols", required_argument, NULL, OPT_ALLOW_PROTOCOLS },
    { "allow-playlist-inputs", no_argument, NULL, OPT_ALLOW_PLAYLISTS },
    { "max-pixels", required_argument, NULL, OPT_MAX_PIXELS },
    { "max-duration", required_argument, NULL, OPT_MAX_DURATION },
    { "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
    { "resume", no_argument, NULL, OPT_RESUME },
    { "deterministic", no_argument, NULL, OPT_DETERMINISTIC },
    { "exact-shape", no_argument, NULL, OPT_EXACT_SHAPE },
    { "gaps", required_argument, NULL, OPT_GAPS },
    { "test-invariant-fault", required_argument, NULL, OPT_FAULT },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int parse_int(const char *text, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static void stop_session(void *opaque)
{
    ladder_session_stop(opaque);
}

static void cancel_session(void *opaque)
{
    ladder_session_cancel(opaque);
}

/* --memory-budget: a size of at least 1 MiB. */
static int parse_memory_budget(const char *text, size_t *out)
{
    int64_t bytes;
    if (ladder_config_parse_size(text, &bytes) || bytes < 1024 * 1024)
        return -1;
    *out = (size_t)bytes;
    return 0;
}

/* --max-pixels: a count, WxH, or "none" (-1: no limit). */
static int parse_max_pixels(const char *text, int64_t *out)
{
    if (!strcmp(text, "none")) {
        *out = -1;
        return 0;
    }
    char *end;
    errno = 0;
    long long a = strtoll(text, &end, 10);
    if (errno || end == text || a < 1)
        return -1;
    if (*end == 'x') {
        const char *h = end + 1;
        long long b = strtoll(h, &end, 10);
        if (errno || end == h || *end || b < 1 || a > (1LL << 20) || b > (1LL << 20))
            return -1;
        a *= b;
    } else if (*end) {
        return -1;
    }
    *out = a;
    return 0;
}

static int encode_main(int argc, char **argv, stop_watch *watch)
{
    ladder_job job;
    ladder_job_defaults(&job);
    ladder_rung rungs[LADDER_MAX_RUNGS];
    ladder_device_spec devices[LADDER_MAX_DEVICES];
    int nb_rungs = 0;
    const char *ladder_file = NULL;
    const char *output = NULL;
    ladder_progress_mode progress = LADDER_PROGRESS_AUTO;
    int verbosity = LADDER_LOG_WARNING;
    char err[256];
    bool segment_given = false;
    bool format_given = false;
    bool codec_given = false;
    bool audio_mode_given = false, audio_codec_given = false, audio_channels_given = false;
    bool parameter_sets_given = false;
    bool exact_shape_given = false;
    bool gaps_given = false;
    encode_slots_options slot_opts = { 0 };
    const char *decode_request = NULL;
    /* Host configuration (default < file < environment) before the flags,
     * so every flag parsed below overrides it. */
    ladder_conf_values host_conf;
    int conf_status = host_config_apply_encode(argc, argv, &host_conf, &job, devices, &slot_opts);
    if (conf_status)
        return conf_status;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+o:vqh", encode_options, NULL)) != -1 ||
           (optind < argc && !job.input)) {
        if (c == -1) {
            /* A positional argument: the input. Options may follow it. */
            job.input = argv[optind++];
            continue;
        }
        switch (c) {
        case 'o': output = optarg; break;
        case 'v': verbosity++; break;
        case 'q': verbosity = LADDER_LOG_ERROR; break;
        case 'h': encode_usage(stdout); return 0;
        case OPT_RUNG:
            if (nb_rungs == LADDER_MAX_RUNGS) {
                fprintf(stderr, "ladder: at most %d rungs\n", LADDER_MAX_RUNGS);
                return 6;
            }
            if (ladder_config_parse_rung(optarg, &rungs[nb_rungs], err, sizeof(err))) {
                fprintf(stderr, "ladder: %s\n", err);
                return 6;
            }
            nb_rungs++;
            break;
        case OPT_LADDER: ladder_file = optarg; break;
        case OPT_SEGMENT: {
            char *end;
            segment_given = true;
            job.segment_seconds = strtod(optarg, &end);
            if (*end || !(job.segment_seconds >= 0.5 && job.segment_seconds <= 60)) {
                fprintf(stderr, "ladder: --segment '%s': expected seconds between 0.5 and 60\n", optarg);
                return 2;
            }
            break;
        }
        case OPT_PRESET: job.preset = optarg; break;
        case OPT_CODEC: {
            /* An unknown name is a usage error. A known codec whose encoder
             * the linked FFmpeg lacks is exit 10 when the session starts
             * (before anything is written). */
            int ret = ladder_config_parse_codec(optarg, &job.codec, err, sizeof(err));
            if (ret) {
                fprintf(stderr, "ladder: --codec: %s\n", err);
                return ret == LADDER_ECODEC ? ladder_exit_code(ret) : 2;
            }
            codec_given = true;
            break;
        }
        case OPT_AUDIO_BITRATE:
            if (parse_int(optarg, 32, 512, &job.audio_bitrate_kbps)) {
                fprintf(stderr, "ladder: --audio-bitrate '%s': expected kb/s between 32 and 512\n", optarg);
                return 2;
            }
            break;
        case OPT_NO_AUDIO:
            job.audio_mode = LADDER_AUDIO_NONE;
            audio_mode_given = true;
            break;
        case OPT_AUDIO:
            if (ladder_config_parse_audio_mode(optarg, &job.audio_mode, err, sizeof(err))) {
                fprintf(stderr, "ladder: --audio '%s': %s\n", optarg, err);
                return 2;
            }
            audio_mode_given = true;
            break;
        case OPT_AUDIO_CODEC:
            if (ladder_config_parse_audio_codec(optarg, &job.audio_codec, err, sizeof(err))) {
                fprintf(stderr, "ladder: --audio-codec '%s': %s\n", optarg, err);
                return 2;
            }
            audio_codec_given = true;
            break;
        case OPT_AUDIO_CHANNELS:
            if (ladder_config_parse_audio_channels(optarg, &job.audio_channels, err, sizeof(err))) {
                fprintf(stderr, "ladder: --audio-channels '%s': %s\n", optarg, err);
                return 2;
            }
            audio_channels_given = true;
            break;
        case OPT_DECODE_DEVICE:
            decode_request = optarg;
            break;
        case OPT_DEVICES: {
            long cores = sysconf(_SC_NPROCESSORS_ONLN);
            if (ladder_device_spec_parse(optarg, cores > 0 ? (int)cores : 1, devices, LADDER_MAX_DEVICES,
                                         &job.nb_devices, err, sizeof(err))) {
                fprintf(stderr, "ladder: --devices: %s\n", err);
                return 2;
            }
            job.devices = devices;
            break;
        }
        case OPT_PARAMETER_SETS:
            if (ladder_config_parse_parameter_sets(optarg, &job.parameter_sets, err, sizeof(err))) {
                fprintf(stderr, "ladder: --parameter-sets '%s': %s\n", optarg, err);
                return 2;
            }
            parameter_sets_given = true;
            break;
        case OPT_MEMORY:
            if (parse_memory_budget(optarg, &job.memory_budget)) {
                fprintf(stderr, "ladder: --memory-budget '%s': expected a size like 512M or 2G (at least 1M)\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_NO_HELPERS: job.helpers = false; break;
        case OPT_RESUME: job.resume = LADDER_RESUME_ON; break;
        case OPT_DETERMINISTIC: job.deterministic = true; break;
        case OPT_EXACT_SHAPE:
            job.exact_shape = true;
            exact_shape_given = true;
            break;
        case OPT_GAPS:
            if (ladder_config_parse_gaps(optarg, &job.close_gaps)) {
                fprintf(stderr, "ladder: --gaps '%s': expected hold or close\n", optarg);
                return 2;
            }
            gaps_given = true;
            break;
        case OPT_HOST_CPU_SLOTS:
            if (encode_slots_parse_capacity(optarg, &slot_opts.host_cpu_slots)) {
                fprintf(stderr, "ladder: --host-cpu-slots '%s': expected a slot count between 1 and 4096\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_NO_WAIT: slot_opts.no_wait = true; break;
        case OPT_PRIORITY:
            if (strcmp(optarg, "realtime") && strcmp(optarg, "batch")) {
                fprintf(stderr, "ladder: --priority '%s': expected realtime or batch\n", optarg);
                return 2;
            }
            slot_opts.realtime = job.realtime = !strcmp(optarg, "realtime");
            break;
        case OPT_CONFIG: break;   /* read by host_config_apply_encode() */
        case OPT_WHEN_BUSY:
            /* The flag beats the configuration's when_busy. For a CPU job
             * "cpu" is waiting for a CPU slot, like "wait". */
            if (strcmp(optarg, "wait") && strcmp(optarg, "cpu") && strcmp(optarg, "fail")) {
                fprintf(stderr, "ladder: --when-busy '%s': expected wait, cpu or fail\n", optarg);
                return 2;
            }
            slot_opts.no_wait = !strcmp(optarg, "fail");
            slot_opts.gpu_busy_to_cpu = !strcmp(optarg, "cpu");
            break;
        case OPT_PROGRESS:
            if (!strcmp(optarg, "auto")) progress = LADDER_PROGRESS_AUTO;
            else if (!strcmp(optarg, "json")) progress = LADDER_PROGRESS_JSON;
            else if (!strcmp(optarg, "none")) progress = LADDER_PROGRESS_NONE;
            else {
                fprintf(stderr, "ladder: --progress '%s': expected auto, json or none\n", optarg);
                return 2;
            }
            break;
        case OPT_FORMAT:
            if (ladder_config_parse_formats(optarg, &job.formats, err, sizeof(err))) {
                fprintf(stderr, "ladder: --format '%s': %s\n", optarg, err);
                return 2;
            }
            format_given = true;
            break;
        case OPT_ALLOW_PROTOCOLS:
            if (ladder_input_policy_check(optarg, err, sizeof(err))) {
                fprintf(stderr, "ladder: --allow-protocols '%s': %s\n", optarg, err);
                return 2;
            }
            job.allow_protocols = optarg;
            break;
        case OPT_ALLOW_PLAYLISTS: job.allow_playlist_inputs = true; break;
        case OPT_MAX_PIXELS:
            if (parse_max_pixels(optarg, &job.max_pixels)) {
                fprintf(stderr, "ladder: --max-pixels '%s': expected a pixel count, WxH or none\n", optarg);
                return 2;
            }
            break;
        case OPT_MAX_DURATION: {
            char *end;
            job.max_duration = strtod(optarg, &end);
            if (end == optarg || *end || !(job.max_duration > 0 && job.max_duration < 1e9)) {
                fprintf(stderr, "ladder: --max-duration '%s': expected seconds above 0\n", optarg);
                return 2;
            }
            break;
        }
        case OPT_MAX_MEMORY:
            if (parse_memory_budget(optarg, &job.max_memory)) {
                fprintf(stderr, "ladder: --max-memory '%s': expected a size like 512M or 2G (at least 1M)\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_FAULT:
            if (parse_int(optarg, 1, 1000000, &job.invariant_fault_every)) {
                fprintf(stderr, "ladder: --test-invariant-fault '%s': expected a positive integer\n", optarg);
                return 2;
            }
            break;
        default:
            fprintf(stderr, "ladder: encode: unknown or incomplete option '%s' (try 'ladder encode --help')\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ladder: encode: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!job.input || !output) {
        fprintf(stderr, "ladder: encode: %s (try 'ladder encode --help')\n",
                !job.input ? "missing INPUT" : "missing -o OUTDIR");
        return 2;
    }
    if (ladder_file && nb_rungs) {
        fprintf(stderr, "ladder: use either --ladder or --rung, not both\n");
        return 2;
    }
    ladder_rung *file_rungs = NULL;
    if (ladder_file) {
        /* --segment, --format and --codec on the command line win over the
         * file's top level; a rung's own "codec" wins over both. */
        ladder_file_options file_opts = { 0 };
        int ret = ladder_config_load_file_options(ladder_file, &file_rungs, &nb_rungs, &file_opts,
                                                  err, sizeof(err));
        if (ret) {
            fprintf(stderr, "ladder: %s\n", err);
            return ladder_exit_code(ret == LADDER_EINPUT_MISSING ? LADDER_ECONFIG : ret);
        }
        if (!segment_given && file_opts.has_segment_seconds)
            job.segment_seconds = file_opts.segment_seconds;
        if (!format_given && file_opts.has_formats)
            job.formats = file_opts.formats;
        if (!codec_given && file_opts.has_codec)
            job.codec = file_opts.codec;
        if (!parameter_sets_given && file_opts.has_parameter_sets)
            job.parameter_sets = file_opts.parameter_sets;
        if (!audio_mode_given && file_opts.has_audio_mode)
            job.audio_mode = file_opts.audio_mode;
        if (!audio_codec_given && file_opts.has_audio_codec)
            job.audio_codec = file_opts.audio_codec;
        if (!audio_channels_given && file_opts.has_audio_channels)
            job.audio_channels = file_opts.audio_channels;
        if (!exact_shape_given && file_opts.has_exact_shape)
            job.exact_shape = file_opts.exact_shape;
        if (!gaps_given && file_opts.has_gaps)
            job.close_gaps = file_opts.close_gaps;
        memcpy(rungs, file_rungs, (size_t)nb_rungs * sizeof(*rungs));
        free(file_rungs);
    }
    /* FFmpeg's own messages only when asked for: errors reach the user as
     * ladder's one line naming the input. */
    av_log_set_level(verbosity >= LADDER_LOG_INFO ? AV_LOG_WARNING : AV_LOG_QUIET);
    job.output_dir = output;
    job.rungs = nb_rungs ? rungs : NULL;
    job.nb_rungs = nb_rungs;

    progress_view *view = NULL;
    if (progress_view_init(&view, progress, verbosity))
        return 1;
    ladder_progress_sink sink = progress_view_sink(view);
    /* Routing, --devices, tiers and the decode device all ask the host's
     * inventory: one probe serves them (host_inventory.h). */
    host_inventory hosts = { 0 };
    /* Decide and record the route (report.json, a JSON "route" line). A
     * GPU route becomes the device list when the job named none. */
    char route[96], route_reason[512], gpu_devices[160];
    host_config_route_encode(&host_conf, &hosts, &job, progress_view_is_json(view), verbosity, job.nb_devices == 0, route,
                             sizeof(route), route_reason, sizeof(route_reason), gpu_devices, sizeof(gpu_devices));
    job.route = route;
    job.route_reason = route_reason;
    if (gpu_devices[0]) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        if (ladder_device_spec_parse(gpu_devices, cores > 0 ? (int)cores : 1, devices, LADDER_MAX_DEVICES,
                                     &job.nb_devices, err, sizeof(err))) {
            fprintf(stderr, "ladder: route %s: %s\n", route, err);
            host_inventory_close(&hosts);
            progress_view_close(view);
            return ladder_exit_code(LADDER_EINTERNAL);
        }
        job.devices = devices;
    }
    /* Host CPU slots first: job.cpu_slots becomes what this job got. CPU
     * devices (the fault device too) ask for all their slots together. */
    if (job.nb_devices > 0) {
        int err_devices = encode_devices_resolve(&hosts, devices, &job.nb_devices);
        if (err_devices) {
            host_inventory_close(&hosts);
            progress_view_close(view);
            return ladder_exit_code(err_devices);
        }
    }
    /* A heavy job never lands on a light device (README, Tiers). */
    char tier_err[1024];
    int err_tiers = host_config_enforce_tiers(&host_conf, &hosts, "ladder", devices, &job.nb_devices, tier_err,
                                              sizeof(tier_err));
    if (err_tiers) {
        fprintf(stderr, "ladder: %s\n", tier_err);
        host_inventory_close(&hosts);
        progress_view_close(view);
        return ladder_exit_code(err_tiers);
    }
    if (job.nb_devices > 0) {
        int cpu_devices = 0;
        job.cpu_slots = encode_devices_cpu_slots(devices, job.nb_devices, &cpu_devices);
        /* GPU devices still decode and scale on the CPU: one slot at least. */
        if (job.cpu_slots == 0)
            job.cpu_slots = 1;
        slot_opts.min_slots = cpu_devices;
    }
    if (!decode_request)
        decode_request = host_conf.decode_device[0] ? host_conf.decode_device : "cpu";
    int err_decode = encode_decode_resolve(&hosts, decode_request, job.input, &job.decode);
    if (err_decode) {
        host_inventory_close(&hosts);
        progress_view_close(view);
        return ladder_exit_code(err_decode);
    }
    host_inventory_close(&hosts);
    slot_opts.devices = devices;
    slot_opts.nb_devices = &job.nb_devices;
    slot_opts.gpu_sessions = host_conf.gpu_sessions;
    encode_slots *host_slots = NULL;
    slot_opts.interruptible = watch != NULL;
    slot_opts.interrupt_fd = stop_watch_interrupt_fd(watch);
    int ret = encode_slots_claim(&host_slots, &job, &slot_opts, progress_view_is_json(view), verbosity);
    if (ret == LADDER_ECANCELED) {
        /* A signal while waiting for a slot: nothing was started or written. */
        progress_view_close(view);
        if (stop_watch_received(watch) > 1) {
            fprintf(stderr, "ladder: cancelled\n");
            return ladder_exit_code(LADDER_ECANCELED);
        }
        fprintf(stderr, "ladder: output '%s': stopped while waiting for a host slot, before anything was "
                "written; run it again to start\n", output);
        return ladder_exit_code(LADDER_ESTOPPED);
    }
    if (ret) {
        progress_view_close(view);
        return ladder_exit_code(ret);
    }
    if (job.nb_devices > 0)
        encode_devices_fit(devices, &job.nb_devices, job.cpu_slots);
    /* Batch jobs give their CPU slots to waiting realtime jobs at chunk
     * boundaries; realtime jobs never yield. */
    if (!job.realtime) {
        job.chunk_gate = encode_slots_gate;
        job.chunk_gate_opaque = host_slots;
    }
    ladder_session *session = NULL;
    ret = ladder_session_init(&session, &job, &sink);
    if (ret) {
        fprintf(stderr, "ladder: %s\n", ladder_strerror(ret));
        encode_slots_close(host_slots);
        progress_view_close(view);
        return ladder_exit_code(ret);
    }

    /* A signal from here on stops or cancels the session; one that came
     * during the set-up above does so now, before it starts. */
    stop_watch_attach(watch, (stop_watch_target){ .stop = stop_session, .cancel = cancel_session,
                                                  .opaque = session });

    ret = ladder_session_run(session);
    encode_slots_release(host_slots);
    progress_view_finish(view);
    const ladder_report *rep = ladder_session_report(session);
    if (ret == 0) {
        if (progress_view_is_json(view)) {
            char *json = ladder_report_json(rep, job.input);
            if (json) {
                /* {"type":"report", ...report fields...} */
                printf("{\"type\":\"report\",%s\n", json + 1);
                free(json);
            }
        }
        if (verbosity >= LADDER_LOG_WARNING)
            progress_view_summary(view, rep, output, job.formats ? job.formats : LADDER_FORMATS_DEFAULT);
    } else {
        fprintf(stderr, "ladder: %s\n", ladder_session_error(session));
    }

    stop_watch_detach(watch);
    ladder_session_close(session);
    encode_slots_close(host_slots);
    progress_view_close(view);
    return ladder_exit_code(ret);
}

int cmd_encode(int argc, char **argv)
{
    /* First, before any thread exists (the progress view's, FFmpeg's in
     * the route probe): a signal during set-up is a stop like any other. */
    stop_watch *watch = NULL;
    if (stop_watch_start(&watch, true))
        watch = NULL;             /* signals keep their default action */
    int code = encode_main(argc, argv, watch);
    stop_watch_close(watch);
    return code;
}
