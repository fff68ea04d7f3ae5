/*
 * libladder public API: describe an adaptive-bitrate ladder job, run it,
 * watch it through a progress sink, cancel it.
 *
 *     ladder_job job;
 *     ladder_job_defaults(&job);
 *     job.input = "in.mp4";
 *     job.output_dir = "out";
 *     ladder_session *s;
 *     int err = ladder_session_init(&s, &job, &sink);
 *     if (!err) err = ladder_session_run(s);      // blocks until done
 *     ...ladder_session_report(s)...
 *     ladder_session_close(s);
 *
 * The job structure and everything it points to are copied by
 * ladder_session_init(); the caller may free them afterwards.
 */
#ifndef LADDER_LADDER_H
#define LADDER_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/error.h"
#include "ladder/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADDER_VERSION_STRING "0.1.0"

#define LADDER_NAME_MAX 32
#define LADDER_MAX_RUNGS 16
#define LADDER_MAX_DEVICES 16
#define LADDER_DEVICE_LABEL_MAX 24 /* a device's name, "cpu2" */
#define LADDER_CODEC_SLOTS 4       /* arrays indexed by ladder_codec */

typedef enum ladder_rate_mode {
    LADDER_RATE_CAPPED_VBR = 0, /* bitrate + maxrate/bufsize (VBV) */
    LADDER_RATE_CRF        = 1, /* constant quality, optionally capped */
} ladder_rate_mode;

/*
 * Video codec of a rung. LADDER_CODEC_DEFAULT in a rung means the job's
 * codec; in the job it means H.264. A rung whose codec's encoder is not
 * in the linked FFmpeg fails the run with LADDER_ECODEC.
 */
typedef enum ladder_codec {
    LADDER_CODEC_DEFAULT = 0,
    LADDER_CODEC_H264,          /* libx264, avc1 */
    LADDER_CODEC_HEVC,          /* libx265, hvc1 */
    LADDER_CODEC_AV1,           /* libsvtav1, av01 */
} ladder_codec;

/*
 * One rendition. width/height form a bounding box: the output keeps the
 * source's display aspect ratio inside it, with even dimensions, never larger
 * than the source. A zero dimension means "derive from the other".
 */
typedef struct ladder_rung {
    char name[LADDER_NAME_MAX];   /* "720p"; derived when empty */
    int width, height;
    ladder_rate_mode rate_mode;
    int bitrate_kbps;             /* target (capped VBR) */
    int maxrate_kbps;             /* 0 = 1.10 x bitrate */
    int bufsize_kbps;             /* 0 = 2 x maxrate */
    int crf;                      /* CRF mode; maxrate still applies if set */
    char profile[16];             /* H.264: "high", "main", "baseline"; "" = high.
                                     HEVC: "main", "main10" or "" (Main, or Main 10
                                     for a 10-bit rung). AV1: "main" or "" */
    double max_fps;               /* frame-rate cap, 0 = source rate */
    ladder_codec codec;           /* LADDER_CODEC_DEFAULT = the job's codec */
    /* 8 or 10 (0 = 8, or 10 for an HEVC "main10" rung). 10 needs HEVC or AV1
     * and is honoured when the source has more than 8 bits; from an 8-bit
     * source the rung is 8-bit (the report says which it got). */
    int bit_depth;
} ladder_rung;

/* Which source audio streams become renditions (--audio). */
typedef enum ladder_audio_mode {
    LADDER_AUDIO_ALL = 0,         /* every audio stream, each its own rendition */
    LADDER_AUDIO_FIRST,           /* the first audio stream (source order) */
    LADDER_AUDIO_NONE,            /* video only */
} ladder_audio_mode;

/* The codec audio renditions are encoded to (--audio-codec). */
typedef enum ladder_audio_codec {
    LADDER_AUDIO_AAC = 0,         /* AAC-LC, mp4a.40.2 */
    LADDER_AUDIO_OPUS,            /* libopus, "opus" (dOps in fMP4) */
} ladder_audio_codec;

#define LADDER_MAX_AUDIO 16       /* renditions; further streams are skipped */

typedef enum ladder_progress_mode {
    LADDER_PROGRESS_AUTO = 0,
    LADDER_PROGRESS_JSON,
    LADDER_PROGRESS_NONE,
} ladder_progress_mode;

/*
 * Output formats, a set of flags (ladder_config_parse_formats() reads
 * "hls,dash,mp4"). HLS: master.m3u8 and one index.m3u8 per rendition; DASH:
 * manifest.mpd. Both describe the same CMAF segment files. MP4: one
 * progressive faststart file per rung with every audio rendition, mp4/<rung>.mp4,
 * stitched from those segments; alone, the segments are removed after.
 */
enum {
    LADDER_FORMAT_HLS  = 1 << 0,
    LADDER_FORMAT_DASH = 1 << 1,
    LADDER_FORMAT_MP4  = 1 << 2,
};
#define LADDER_FORMATS_DEFAULT (LADDER_FORMAT_HLS | LADDER_FORMAT_DASH)

/* One device a job may encode on: include/ladder/device_spec.h. */
typedef struct ladder_device_spec ladder_device_spec;
/* Device leases: include/ladder/lease_pool.h. */
typedef struct ladder_lease_pool ladder_lease_pool;

/*
 * Where a rung's parameter sets live.
 * OUT_OF_BAND (default): only in the init segment (avc1/hvc1 with
 *   avcC/hvcC); every chunk of a rung must have the same configuration,
 *   so devices whose encoder differs are kept off the rung.
 * IN_BAND: also at the start of every segment (avc3/hev1), so chunks from
 *   encoders with different parameter sets may share a rendition as long
 *   as a decoder set up from the init segment's profile and level can
 *   decode them. H.264 and HEVC only; AV1 always carries its sequence
 *   header in band, and its rungs still need one sequence header.
 */
typedef enum ladder_parameter_sets {
    LADDER_PARAMETER_SETS_OUT_OF_BAND = 0,
    LADDER_PARAMETER_SETS_IN_BAND,
} ladder_parameter_sets;

/*
 * Where the source is decoded (the CLI resolves a `--decode-device`
 * request into one: pool/decode_select.c). NVDEC keeps the decoded pictures in
 * GPU memory: every rung is scaled there (scale_cuda) and downloaded once
 * per rung frame. A hardware decode error switches the input to the CPU
 * decoder at once (the packets since the last key frames are decoded again,
 * nothing is lost); the report says when and why.
 */
typedef enum ladder_decode_kind {
    LADDER_DECODE_CPU = 0,
    LADDER_DECODE_NVDEC,
    /* A drill for that switch: decodes on the CPU and reports a hardware
     * failure after fail_after frames, as a GPU decoder could. */
    LADDER_DECODE_FAULT,
    /* Intel Quick Sync (libavcodec's *_qsv decoders, oneVPL) on adapter
     * gpu; pictures come down to system memory (NV12/P010). */
    LADDER_DECODE_QSV,
} ladder_decode_kind;

typedef struct ladder_decode_device {
    ladder_decode_kind kind;
    int gpu;                      /* NVDEC: CUDA device index; QSV: Intel adapter index */
    char render_node[32];         /* QSV: the adapter's DRM render node; "" = FFmpeg's default */
    int fail_after;               /* FAULT: frames before the failure */
    char name[LADDER_DEVICE_LABEL_MAX]; /* "cpu", "nvidia0", "intel0", "fault"; "" = "cpu" */
    char requested[64];           /* the request as written ("auto"); "" = none */
    char reason[192];             /* why this device, one line; "" = default */
} ladder_decode_device;

/* What a session does with an output directory an earlier run left. */
typedef enum ladder_resume_mode {
    LADDER_RESUME_OFF = 0,        /* start over (the journal is replaced) */
    LADDER_RESUME_ON,             /* keep what matches; another job's journal is
                                     LADDER_ERESUME, nothing touched */
    LADDER_RESUME_IF_SAME_JOB,    /* keep what matches; another job's journal:
                                     start over (a job runner's own directory) */
} ladder_resume_mode;

typedef struct ladder_job {
    const char *input;
    const char *output_dir;
    const ladder_rung *rungs;     /* NULL/0 = default ladder from the source */
    int nb_rungs;
    double segment_seconds;       /* default 2.0 */
    int cpu_slots;                /* 0 = one per core; with no devices: one CPU device */
    /* The devices to encode on, the first one preferred (its encoders
     * define each rung's canonical configuration); NULL/0 = one CPU device
     * with cpu_slots slots. */
    const ladder_device_spec *devices;
    int nb_devices;
    ladder_parameter_sets parameter_sets;
    ladder_decode_device decode;  /* zero = the CPU */
    /* Device health: a device whose encodes fail this many times in a row
     * is quarantined (default 3); it is re-tested after backoff seconds
     * (default 1, doubling each time it fails again). */
    int device_failure_limit;
    double device_backoff_seconds;
    /*
     * Called by every encoder worker at each chunk boundary, before it
     * takes a chunk: worker is its lease's index in the whole pool
     * (0..total slots-1, stable), device the device it encodes on (its
     * kind, and for a GPU its UUID or index: which host session it
     * holds). It may block: a batch job yields its device to a realtime
     * one there (the CLI's host slots). Returns 1 when
     * it waited, 0 when not, negative to stop this worker (its chunks go to
     * the others). NULL: no gate.
     */
    int (*chunk_gate)(void *opaque, int worker, const ladder_device_spec *device);
    void *chunk_gate_opaque;
    /*
     * Borrowed, optional: take device leases from this pool, which other
     * sessions of this process may share at the same time, instead of a
     * pool of the session's own. Every device of the job (or "cpu" when the
     * job names none) must be a device of the pool with the same name; the
     * pool's slot counts replace the job's. A worker gives its lease back at
     * each chunk boundary where a worker of another session waits for that
     * device, so concurrent jobs take turns chunk by chunk instead of the
     * first one holding the devices to its end. Must outlive the session.
     */
    ladder_lease_pool *lease_pool;
    bool realtime;                /* priority class for the report: realtime or batch */
    size_t memory_budget;         /* bytes of raw frames held for encoders, chunks
                                     being built included; 0 = automatic: (slots
                                     + 1) chunks of the largest rung, or a chunk of
                                     every rung plus one of the largest if more */
    bool helpers;                 /* default true */
    const char *preset;           /* encoder preset (x264 and x265 share the names),
                                     default "veryfast" */
    ladder_codec codec;           /* rungs that name none; DEFAULT = H.264 */
    ladder_audio_mode audio_mode; /* default LADDER_AUDIO_ALL */
    ladder_audio_codec audio_codec; /* default AAC */
    int audio_channels;           /* most channels per rendition: 1, 2 or 6;
                                     0 = 6 (5.1; wider sources are downmixed) */
    int audio_bitrate_kbps;       /* every encoded rendition; 0 = by codec and
                                     channels (ladder_audio_default_kbps()) */
    unsigned formats;             /* LADDER_FORMAT_* flags; 0 = LADDER_FORMATS_DEFAULT */
    /*
     * Fault injection for tests of the codec invariant: when > 0, the first
     * attempt of every Nth chunk is encoded with settings that change the
     * decoder configuration, so the check must catch and requeue it.
     */
    int invariant_fault_every;
    /* Routing (policy/route.c, decided by the caller): the route chosen for
     * this job ("cpu", "gpu:<uuid>", ...) and its one-line reason, copied
     * into the report as given; NULL = none recorded. The engine encodes on
     * the devices above whatever the route says. */
    const char *route;
    const char *route_reason;
    /*
     * Input policy and limits (README "Security and limits"). Inputs are
     * local files only unless allow_protocols names more ("http,https");
     * formats that open other files named inside them (HLS, DASH, concat,
     * image sequences, IMF) only with allow_playlist_inputs. A source
     * outside the limits fails with LADDER_ELIMIT before anything is
     * written: max_pixels (width x height as displayed; 0 =
     * LADDER_DEFAULT_MAX_PIXELS, < 0 = none), max_duration (seconds,
     * claimed by the container or decoded; 0 = none), and always sides of
     * at least LADDER_MIN_SIDE pixels and an aspect ratio within
     * LADDER_MAX_ASPECT:1.
     */
    const char *allow_protocols;
    bool allow_playlist_inputs;
    int64_t max_pixels;
    double max_duration;
    /* Bytes of raw frames the job may hold at most; 0 = no cap. The
     * memory budget is held to it, and a ladder that cannot run within it
     * (one chunk of every rung being built at once, plus the decoder's
     * pictures) fails with LADDER_ELIMIT before anything is written. */
    size_t max_memory;
    /*
     * Continue an interrupted run into the same output_dir: the segments
     * its resume journal (OUTDIR/.ladder-resume, engine/
     * resume_journal.c) vouches for, and whose files still match, are kept
     * and not encoded again; the rest is made as an uninterrupted run
     * makes it. No journal: a run from the start.
     */
    ladder_resume_mode resume;
    /*
     * An output_dir that holds files but no ladder journal (not made by
     * ladder; README "Output directories") is refused with LADDER_EEXIST
     * before anything is written, unless this is set: then the run writes
     * into it, replacing only ladder's own names there (video/, audio/,
     * mp4/, the manifests, report.json, .ladder-resume) once it is
     * complete. A directory ladder made is replaced whole either way.
     */
    bool force_output;
    /*
     * Two runs of the same job make the same bytes (docs/ARCHITECTURE.md
     * "Determinism"), so a resumed run's new segments are the ones an
     * uninterrupted run makes whatever the rungs: every chunk of a bitrate
     * rung is one-pass ABR at the rung's rate (no loop over the chunks
     * finished so far, which depends on timing; it costs quality: 1.0 dB
     * PSNR at 320x180 300k and 2.0 dB at 640x360 800k on a 16 s testsrc2
     * clip), and libx264 runs without its macroblock tree at
     * widths that are not a multiple of 128 (where libx264 0.164 reads
     * memory it never wrote). CRF rungs at other widths are deterministic
     * either way.
     */
    bool deterministic;
    /*
     * Every rung keeps the source's exact display shape: a rung whose even
     * size is a pixel or two off that shape (852x480 from 16:9, 574x240
     * from 1280x534) gets the sample aspect ratio that stretches it back
     * (640:639), and the HLS RESOLUTION states the displayed size (width x
     * SAR rounded). Off (the default): square pixels (1:1) on every rung,
     * so RESOLUTION, the MPD's @width/@height and the decoded picture are
     * one size, and the picture's shape is off the source's by what
     * rounding to even sizes costs (0.2 % at 574x240 from 1280x534).
     */
    bool exact_shape;
    /*
     * Forward gaps in the input's timestamps (README "Timelines"): off (the
     * default), a gap of up to 10 s is kept as it is presented, the video
     * holding its last picture and the audio silent for as long; longer
     * jumps are closed. On: every forward gap (over 250 ms) is closed on
     * every stream at once, so the output has no held picture or silence.
     */
    bool close_gaps;
    /*
     * Off (the default): a rung may be scaled from a larger rung's pictures
     * instead of the source's, where that costs less and loses no quality
     * (the larger one 2 to 2.5 times its size, or the same size; CPU
     * decoding only; report: scaled_from). On: every rung from the source.
     */
    bool no_cascade;
} ladder_job;

#define LADDER_DEFAULT_MAX_PIXELS ((int64_t)4096 * 2304)
#define LADDER_MIN_SIDE 16
#define LADDER_MAX_ASPECT 16

/* Fill job with the defaults documented above. */
LADDER_API void ladder_job_defaults(ladder_job *job);

typedef enum ladder_rung_state {
    LADDER_RUNG_PENDING = 0,
    LADDER_RUNG_RUNNING,
    LADDER_RUNG_FINALIZING,
    LADDER_RUNG_COMPLETED,
    LADDER_RUNG_FAILED,
} ladder_rung_state;

LADDER_API const char *ladder_rung_state_name(ladder_rung_state s);

/* A device's health, as progress events and the report show it. */
typedef enum ladder_device_state {
    LADDER_DEVICE_STATE_IDLE = 0,    /* waiting for work */
    LADDER_DEVICE_STATE_BUSY,        /* encoding */
    LADDER_DEVICE_STATE_QUARANTINED, /* failed too often: no work until a re-test passes */
    LADDER_DEVICE_STATE_PROBATION,   /* passed its re-test; one good chunk clears it */
} ladder_device_state;

LADDER_API const char *ladder_device_state_name(ladder_device_state s);

typedef struct ladder_device_progress {
    const char *name;             /* "cpu", "fault" */
    ladder_device_state state;
    int chunks;                   /* encoded there so far */
    int failures;                 /* encodes that failed there */
    int quarantines;
    const char *last_error;       /* "" when none */
} ladder_device_progress;

typedef struct ladder_rung_progress {
    int rung;                     /* index in the resolved ladder */
    const char *name;
    int width, height;
    ladder_rung_state state;
    /* Frames out of the rung's encoders: whole chunks, and (at most every
     * 250 ms per encoder) those of the chunks being encoded, so progress
     * moves by frames. It can step back when a chunk is encoded again (its
     * device failed, or its configuration differed). */
    int64_t frames_done;
    int64_t frames_total;         /* estimate until the input ends */
    int segments_written;
    int64_t bytes;                /* media bytes written so far */
    double fps;                   /* encode rate, frames per wall second */
    double eta_seconds;           /* < 0 when unknown */
    const char *device;           /* last device that encoded a chunk */
    int64_t frames_encoding;      /* of frames_done: those of chunks still being encoded */
    double frame_rate;            /* the rung's nominal output rate (frames per media second) */
    double elapsed;               /* wall seconds since ladder_session_run() began */
} ladder_rung_progress;

/*
 * Progress sink. Callbacks are called from engine threads, one at a time
 * (the session serialises them), and must not block for long. Every rung
 * is reported once (pending) before the first frame is decoded.
 */
typedef struct ladder_progress_sink {
    void *opaque;
    void (*on_rung)(void *opaque, const ladder_rung_progress *p);
    /* One line per engine event: rung, chunk and device it concerns. */
    void (*on_log)(void *opaque, int level, const char *line);
    /* A device changed state (optional). */
    void (*on_device)(void *opaque, const ladder_device_progress *p);
} ladder_progress_sink;

enum { LADDER_LOG_ERROR = 0, LADDER_LOG_WARNING = 1, LADDER_LOG_INFO = 2, LADDER_LOG_DEBUG = 3 };

typedef struct ladder_rung_report {
    char name[LADDER_NAME_MAX];
    int width, height;
    double frame_rate;            /* output frames per second (average) */
    int64_t frames;
    int segments;
    int64_t bytes;                /* media bytes, init segment excluded */
    double avg_bitrate;           /* bits/s over the rung's duration */
    double peak_bitrate;          /* bits/s of the largest segment */
    double duration;              /* seconds */
    double encode_seconds;        /* summed wall time spent in encoders */
    double encode_cpu_seconds;    /* CPU time of the encoding threads while they encoded:
                                     what the encodes cost without contention */
    int abr_chunks, crf_chunks;   /* how chunks were rate-controlled (rate_control.c) */
    double crf_mean;              /* mean rate factor of the CRF chunks; 0 if none */
    int chunks;                   /* encoded by this run */
    int segments_kept;            /* kept from an interrupted run (resume) */
    int chunks_by_helpers;
    int invariant_requeues;       /* chunks encoded again: configuration differed */
    int failure_requeues;         /* chunks encoded again: their device failed */
    /* per device of ladder_report.devices: chunks encoded there, and why
     * the device was kept off this rung ("" = it was not) */
    int chunks_by_device[LADDER_MAX_DEVICES];
    char canonical_device[LADDER_DEVICE_LABEL_MAX]; /* whose configuration defines the rung */
    char device_excluded[LADDER_MAX_DEVICES][192];
    char codecs[64];              /* RFC 6381, from the bitstream */
    int bit_depth;                /* 8 or 10, as encoded */
    int sar_num, sar_den;         /* sample aspect ratio of the encoded pictures */
    int display_width, display_height; /* as shown: width x SAR rounded, height */
    /* The box the rung asked for when the source was smaller, so the rung
     * was clamped to the source's size (not upscaled); 0 x 0 when not. A
     * dimension the rung left free is 0. */
    int clamped_from_width, clamped_from_height;
    ladder_rung_state state;
    char scaled_from[LADDER_NAME_MAX]; /* the rung its pictures were scaled from; "" = the source */
} ladder_rung_report;

typedef struct ladder_device_report {
    char name[LADDER_DEVICE_LABEL_MAX];
    char kind[8];
    int slots;
    char preset[16];              /* the preset its encoders ran */
    char encoders[LADDER_CODEC_SLOTS][24];  /* by ladder_codec; "" = not used */
    int chunks;
    ladder_device_state state;    /* at the end of the run */
    int failures;                 /* encodes (and re-tests) that failed there */
    int quarantines;
    char last_error[160];
} ladder_device_report;

/* One audio rendition. */
typedef struct ladder_audio_report {
    int index;                    /* the source stream's index (ffprobe #0:N) */
    char language[8];             /* RFC 5646 ("en"); "" when untagged */
    char name[128];               /* HLS NAME */
    char dir[64];                 /* "audio/1-en-aac", relative to the output */
    char codecs[32];              /* RFC 6381 ("mp4a.40.2", "opus") */
    int channels;
    int sample_rate;
    bool copied;
    bool is_default;
    double bitrate;               /* measured average, bits/s */
    double peak_bitrate;          /* bits/s of the largest segment */
    double duration;              /* seconds */
    int segments;
} ladder_audio_report;

/* What the input's timeline held and what was done about it (engine/
 * timeline.h): one entry per discontinuity found, in input order. */
#define LADDER_MAX_TIMELINE_EVENTS 32
typedef struct ladder_timeline_event {
    char kind[24];                /* gap, jump_forward, jump_back, out_of_line,
                                   * audio_format, audio_past_video, frame_rate */
    int stream;                   /* input stream index */
    double at;                    /* output time, seconds */
    double size;                  /* seconds: the jump (signed), gap or hold */
    char action[64];
} ladder_timeline_event;

typedef struct ladder_report {
    int nb_rungs;
    ladder_rung_report rungs[LADDER_MAX_RUNGS];
    int nb_devices;
    ladder_device_report devices[LADDER_MAX_DEVICES];
    ladder_parameter_sets parameter_sets;
    int nb_audio;
    ladder_audio_report audio[LADDER_MAX_AUDIO];
    int64_t frames_in;            /* decoded source frames */
    int64_t frames_held;          /* copies of a picture over gaps and to the audio's end */
    int nb_timeline_events;       /* in timeline_events (the first ones) */
    int64_t timeline_events_total;
    ladder_timeline_event timeline_events[LADDER_MAX_TIMELINE_EVENTS];
    /* Decoding: the device asked for and used, and a switch to the CPU
     * decoder if a hardware error forced one (at frame decode_frames_device:
     * the device decodes nothing after it). */
    ladder_decode_device decode;
    int64_t decode_frames_device;   /* frames the device decoded (NVDEC/fault) */
    int64_t decode_frames_cpu;      /* frames the CPU decoder gave after a switch or for a CPU job */
    char decode_fallback[256];      /* why it switched; "" = it did not */
    int64_t decode_replayed_packets; /* packets decoded again after the switch */
    double source_duration;
    double wall_seconds;
    int cpu_slots;
    bool helpers;
    /* Memory: what the bound allowed and what the run used. Raw frames held
     * for encoders at the worst moment, and what the frame buffer pools
     * (decoder + scalers) allocated, which is their peak: they recycle. */
    int64_t memory_budget;
    int64_t queue_peak_bytes;
    int64_t frame_pool_bytes;
    /* Chunk boundaries at which a worker gave its device away (chunk_gate
     * waited), and the seconds it waited there. */
    bool realtime;
    int yields;
    double yield_seconds;
    /* Routing: ladder_job.route and route_reason as given ("" = none). */
    char route[96];
    char route_reason[512];
    /* Resume: whether this run continued an interrupted one, and the
     * segments it kept (all rungs). */
    bool resumed;
    int segments_kept;
    bool deterministic;           /* job.deterministic */
    bool exact_shape;             /* job.exact_shape */
} ladder_report;

typedef struct ladder_session ladder_session;

/* Validate and copy job; nothing is read or written yet. */
LADDER_API int ladder_session_init(ladder_session **out, const ladder_job *job,
                                   const ladder_progress_sink *sink);

/*
 * Run the job to completion. Returns 0 when every rung completed and all
 * outputs were renamed into place; on error the output directory holds no
 * playlist that names a missing or partial segment.
 */
LADDER_API int ladder_session_run(ladder_session *s);

/* Ask a running session to stop; safe from any thread (not from a signal
 * handler: use a watcher thread there). Run returns LADDER_ECANCELED. */
LADDER_API void ladder_session_cancel(ladder_session *s);

/*
 * Ask a running session to stop at a chunk boundary: no more input is
 * read, chunks not yet taken are dropped, every chunk being encoded is
 * finished and its segment written (and journaled). Run then returns
 * LADDER_ESTOPPED, and job.resume continues from there. Safe from any
 * thread, like cancel; a cancel after it stops at once.
 */
LADDER_API void ladder_session_stop(ladder_session *s);

/* Valid after ladder_session_run() returned, until close. */
LADDER_API const ladder_report *ladder_session_report(const ladder_session *s);

/* One line describing the last error, naming the input or output concerned. */
LADDER_API const char *ladder_session_error(const ladder_session *s);

LADDER_API void ladder_session_close(ladder_session *s);

/*
 * The report as one JSON object (the format of OUTDIR/report.json, field
 * names documented in README.md). Malloc'ed text, caller frees; NULL on
 * allocation failure.
 */
LADDER_API char *ladder_report_json(const ladder_report *r, const char *input);

/*
 * Whether an audio stream is packaged as it is rather than re-encoded by a
 * job with --audio-codec aac --audio-channels 2 --audio-bitrate
 * bitrate_kbps (0: the default rate): AAC-LC, mono or stereo, at 44.1 or
 * 48 kHz, with its AudioSpecificConfig, and not much richer than asked
 * (the engine's audio plan, engine/audio_plan.c, decides). Public so tools
 * that compare against ladder (ladder bench, which runs ladder with those
 * options and FFmpeg with -ac 2) treat audio exactly as the engine does.
 */
struct AVCodecParameters;
LADDER_API bool ladder_audio_source_copyable(const struct AVCodecParameters *par, int bitrate_kbps);

/*
 * The clockwise quarter turn (0, 90, 180 or 270) a stream's display matrix
 * asks players to apply; 0 without one or for a turn that is not a quarter.
 * ladder encode and the transcode jobs turn the pictures upright with it.
 */
struct AVStream;
LADDER_API int ladder_stream_rotation(const struct AVStream *st);

/* The libavfilter chain that applies it ("transpose=clock", ...), "" for 0. */
LADDER_API const char *ladder_rotation_filter(int degrees);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_LADDER_H */
