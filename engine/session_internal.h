/*
 * Private to engine/: the session object shared by the decode pump, the
 * per-rung scalers, the encoder workers and the finalizer. Nothing outside
 * engine/ includes this file.
 *
 * Threads:
 *   - the caller's thread runs ladder_session_run(): set-up, then the decode
 *     pump (demux, decode, audio), then joins everyone and writes playlists;
 *   - one scaler thread per rung;
 *   - one encoder worker thread per lease (CPU slot).
 * Locks:
 *   - chunk queue, frame FIFOs and lease pool each own one lock (their
 *     modules say why);
 *   - rung_ctx.finalize_lock serialises one rung's muxer and segment list;
 *   - session.progress_lock serialises progress counters and sink calls.
 */
#ifndef LADDER_ENGINE_SESSION_INTERNAL_H
#define LADDER_ENGINE_SESSION_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <libavutil/hwcontext.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "ladder/audio_plan.h"
#include "ladder/chunk_plan.h"
#include "ladder/chunk_queue.h"
#include "ladder/cmaf_writer.h"
#include "ladder/device_spec.h"
#include "ladder/frame_fifo.h"
#include "ladder/frame_pool.h"
#include "ladder/ladder.h"
#include "ladder/lease_pool.h"

typedef struct ladder_session ladder_session;

/* Decoded pictures each rung's frame FIFO holds (session.c makes them;
 * NVDEC's surface arithmetic counts them, video_decoder.c). */
#define FRAME_FIFO_CAPACITY 4

/* The frames of one chunk, owned by the chunk (payload). */
typedef struct chunk_frames {
    AVFrame **frames;             /* scaled, in presentation order */
    int64_t *durations;           /* per frame, in the source time base */
    int nb, cap;
    /* CUDA frames among them, counted in their rung's GPU budget
     * (gpu_budget.h); chunk_frames_free() gives them back to *gpu_in_use */
    int gpu_frames;
    atomic_int *gpu_in_use;
} chunk_frames;

/* One chunk's encoded output waiting for its turn in the finalizer. */
typedef struct encoded_chunk {
    int index;
    AVPacket **packets;           /* decode order */
    int nb_packets;
    int64_t bytes;                /* the packets' payload, summed */
    bool by_helper;
    char device[LADDER_DEVICE_NAME_MAX];
    struct encoded_chunk *next;   /* sorted by index */
} encoded_chunk;

/* How one device encodes one codec: the encoder library and its preset.
 * Devices with equal choices produce equal configurations. */
typedef struct encoder_devices encoder_devices;

typedef struct encoder_choice {
    const struct encoder_backend *backend;
    const char *preset;           /* the device's, else the job's */
    int gpu;                      /* the GPU's index for GPU encoders; -1 any */
    /* GPU encoders: what the device's inventory says its encoder can do
     * (caps_known false: not probed; the settings then stay conservative:
     * no B-frames, 8-bit only). */
    bool caps_known;
    int max_bframes;
    bool ten_bit;
    char render_node[32];  /* Intel: the adapter's DRM render node, "" default */
} encoder_choice;

/* One device of the job (--devices): a group of lease slots. */
typedef struct device_ctx {
    ladder_device_spec spec;
    encoder_choice choice[LADDER_CODEC_SLOTS];  /* by ladder_codec */
    /* health (device_health.c), under progress_lock */
    int chunks;                   /* encoded here */
    int busy;                     /* its workers encoding right now */
    bool quarantined, probation, probing;
    int consecutive_failures, failures;
    int quarantines;              /* in all */
    int quarantines_in_row;       /* since its last good chunk */
    double quarantine_until;      /* session_now() time of the next re-test */
    double backoff;               /* seconds until the next re-test */
    char last_error[160];
    atomic_int encodes;           /* encodes started (fault devices count them) */
} device_ctx;

/* What one device may do on one rung, decided by the pre-flight. */
typedef struct rung_device {
    bool usable;                  /* its workers may take this rung's chunks */
    uint8_t *config;              /* the configuration its encoder produces */
    int config_size;
    char why[192];                /* why not usable: one line for log and report */
    int chunks;                   /* encoded here, under progress_lock */
    /* rate control's model of the content as this device's encoder codes
     * it (rate_control.c), under progress_lock */
    bool rate_calibrated;         /* rate_log_complexity holds a measurement */
    double rate_log_complexity;   /* ln C in bits/s = C * exp(-K * crf) */
    double rate_last_crf;
    int rate_crf_chunks;
} rung_device;

typedef struct rung_ctx {
    ladder_session *session;
    int index;
    ladder_rung cfg;
    int width, height;
    int bit_depth;                /* 8 or 10: what the rung asked and the source allows */
    enum AVPixelFormat pix_fmt;   /* scaled pictures and encoder input: yuv420p(10) */
    AVRational sar;               /* keeps the source's display shape */
    AVRational frame_rate;        /* output nominal rate */
    int64_t min_frame_ticks;      /* frame-rate cap: minimum pts step, 0 = none */
    char dir[PATH_MAX];

    /* scaler thread */
    pthread_t scaler_thread;
    bool scaler_started;
    ladder_frame_fifo *input;
    struct SwsContext *sws;
    ladder_frame_pool *pool;      /* scaled frame buffers, recycled */
    struct gpu_scale *gpu;        /* GPU pictures: scale_cuda (+ download) (gpu_scale.c) */
    /* Scaled pictures stay in GPU memory, CUDA frames in the chunks: the
     * source decodes on NVDEC and the rung's canonical encoder is NVENC on
     * that GPU (gpu_scale_plan()). Workers on other devices download. */
    bool cuda_frames;
    /* NVENC fed CUDA frames made another configuration than its pre-flight
     * (never seen; checked on every chunk): workers download instead. */
    atomic_bool cuda_input_refused;
    /* GPU budget of a cuda_frames rung (gpu_budget.h), set by the pump
     * before it hands out the first NVDEC picture: CUDA frames its chunks
     * may hold at once, and one chunk's frames (estimate). in_use: taken by
     * the scaler, given back by whoever frees a chunk. */
    int gpu_frames_max;
    int gpu_chunk_frames;
    atomic_int gpu_frames_in_use;
    bool building_on_gpu;         /* the chunk being filled keeps CUDA frames */
    ladder_chunk *building;       /* chunk being filled */
    size_t frame_bytes;           /* one output picture (pix_fmt), for the budget */
    int64_t last_kept_pts;
    int64_t source_end;           /* end time of the latest source frame */

    /* codec invariant: the decoder configuration every chunk must match is
     * on_device[canonical_device].config (extradata; for AV1 the sequence
     * header OBU, see encoder_probe_config()), in the init segment */
    AVCodecParameters *codecpar;
    char codecs[64];
    int canonical_device;         /* the device whose configuration defines the rung */
    /* per device, as in session.devices; usable and why change under
     * progress_lock when a device surprises (encode_worker.c) */
    rung_device on_device[LADDER_MAX_DEVICES];

    /* resume (resume.c): chunks 0..kept_chunks-1 are segments an
     * interrupted run left, already in segments[]; not encoded again */
    int kept_chunks;

    /* finalizer */
    pthread_mutex_t finalize_lock;
    ladder_cmaf_writer *writer;
    encoded_chunk *pending;
    int next_chunk;
    ladder_cmaf_segment *segments;
    int nb_segments, cap_segments;

    /* progress, under session.progress_lock */
    ladder_rung_state state;
    int64_t frames_done;
    int64_t frames_total;
    int64_t bytes;
    double encode_seconds;
    double encode_cpu_seconds;
    int chunks;
    int chunks_by_helpers;
    int invariant_requeues;
    int failure_requeues;         /* chunks given back after their device failed */
    /* rate control across chunks, see rate_control.c */
    double rate_target_bits;      /* the rung's share of bits for the chunks done */
    double rate_actual_bits;      /* what they used */
    int rate_abr_chunks, rate_crf_chunks;
    double rate_crf_sum;
    /* chunks planned but not yet recorded (another worker may be encoding
     * them): their share of the target and the bits they were planned for */
    double rate_pending_target_bits;
    double rate_pending_planned_bits;
    char last_device[LADDER_DEVICE_NAME_MAX];
} rung_ctx;

/*
 * The source's video decoder (video_decoder.c). It starts on the job's
 * decode device; a hardware failure switches it to a CPU decoder that
 * decodes again the packets kept since the key frame before the last one,
 * and frames already delivered are skipped, so the rungs see every frame
 * once. Only the pump thread touches it.
 */
typedef struct video_decoder {
    AVCodecContext *ctx;
    const AVCodec *codec;
    AVBufferRef *hw_device;       /* CUDA device while decoding on NVDEC */
    bool on_device;               /* still on the job's NVDEC/fault device */
    /* packets since the key frame before the last one, decode order, kept
     * only while on_device: what a switch decodes again */
    AVPacket **history;
    int nb_history, cap_history;
    int last_key;                 /* index of the latest key frame in history */
    size_t history_bytes;
    bool history_trimmed;         /* over the cap: a switch would miss frames */
    int replay_pos;               /* next history packet to resend after a switch */
    bool flushing, flush_sent;
    int64_t last_ts;              /* best_effort_timestamp of the last frame given out */
    bool have_last_ts;
    bool skipping;                /* after a switch: frames up to last_ts were given out */
    /* NVDEC pictures ladder holds (see video_decoder.c): counted by a
     * reference each carries, released on any thread, under surface_lock */
    pthread_mutex_t surface_lock;
    pthread_cond_t surface_freed;
    bool surface_gate;            /* lock and cond made (NVDEC jobs) */
    int surfaces_live;
    int surfaces_allowed;         /* at a decoder call; 0 = not sized yet */
    int surface_pool;             /* the decoder's surfaces (nvdec_surfaces_plan()) */
    bool gpu_budget_planned;      /* gpu_budget_start() ran */
} video_decoder;

typedef struct audio_track audio_track;

/* One audio rendition: the track that makes its media (audio_track.c) and
 * what the manifests call it (set up by session.c, from the source's tags). */
typedef struct audio_rendition {
    audio_track *track;           /* owned */
    int stream_index;             /* the source stream */
    char language[8];             /* RFC 5646 ("en"); "" when untagged */
    char name[128];               /* HLS NAME: unique among the renditions */
    char dir[64];                 /* "audio/1-en-aac", relative to output_dir */
    bool is_default;              /* exactly one rendition is */
} audio_rendition;

struct ladder_session {
    ladder_job job;               /* deep copy: strings below */
    char *input;
    char *output_dir;
    char *preset;
    char *allow_protocols;        /* the job's, copied */
    ladder_rung *job_rungs;
    ladder_progress_sink sink;

    char error[512];              /* first error, one line */
    int error_code;
    pthread_mutex_t error_lock;   /* first error wins */
    atomic_bool cancelled;
    atomic_bool stopping;         /* ladder_session_stop(): finish the chunks in hand */
    struct ladder_resume_journal *journal; /* appended by finalizers (its own lock) */
    struct ladder_resume_state *resume_state; /* job.resume: the journal found, until kept */
    char *fingerprint;            /* this job's identity (resume.c) */

    /* input */
    AVFormatContext *in;
    video_decoder vdec;           /* the source's video decoder, pump thread only */
    /* the source's colour description, read once at open: encoders and
     * manifests on other threads use it while the decoder may be switched */
    enum AVColorPrimaries src_primaries;
    enum AVColorTransferCharacteristic src_trc;
    enum AVColorSpace src_colorspace;
    enum AVPixelFormat src_pix_fmt; /* software format of the decoded pictures */
    enum AVCodecID src_codec_id;
    ladder_frame_pool *dec_pool;  /* decoded picture buffers, see input.c */
    pthread_mutex_t dec_pool_lock; /* decoder threads allocate concurrently */
    encoder_devices *enc_devices; /* one hardware context per GPU for encoders */
    int video_stream;
    AVRational src_tb;
    AVRational src_rate;
    bool src_cfr;
    int src_w, src_h;             /* coded size */
    int display_w, display_h;     /* after sample aspect ratio */
    int64_t origin_pts;           /* first video pts: output time zero */
    int64_t nominal_frame_ticks;  /* one frame at the nominal rate, in src_tb */
    bool retime_video;            /* implausible rate: pictures timed by count */
    double rate_replaced_from;    /* ... the header's rate it replaced */
    struct timeline *timeline;    /* one presentation timeline (pump thread) */
    int64_t frames_estimate;
    /* The display matrix's rotation, clockwise degrees (0, 90, 180, 270):
     * the pump turns every decoded picture upright (rotate.c) and
     * display_w/display_h are the upright size. */
    int rotation;
    struct AVFilterGraph *rot_graph;
    struct AVFilterContext *rot_src, *rot_sink;
    int rot_w, rot_h, rot_fmt;    /* the pictures the graph was built for */
    ladder_chunk_plan plan;

    rung_ctx *rungs;
    int nb_rungs;

    ladder_chunk_queue *queue;
    device_ctx devices[LADDER_MAX_DEVICES];
    int nb_devices;
    ladder_lease_pool *leases;    /* the session's own, or job.lease_pool (borrowed) */
    bool leases_shared;           /* job.lease_pool: never aborted or closed by us */
    atomic_bool leases_closed;    /* shared pool: this session's waiters give up */
    /* The session device of each pool device (-1: not ours) and back. */
    int device_of_pool[LADDER_LEASE_POOL_MAX_DEVICES];
    int pool_device[LADDER_MAX_DEVICES];
    pthread_t *workers;
    int nb_workers;

    audio_rendition audio[LADDER_MAX_AUDIO]; /* in source stream order */
    int nb_audio;

    pthread_mutex_t progress_lock;
    double start_time;
    ladder_report report;
};

/* Record the first error (later ones are logged only) and abort the run. */
void session_fail(ladder_session *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void session_log(ladder_session *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Emit a progress event for rung r (takes progress_lock). */
void session_progress(ladder_session *s, rung_ctx *r);
double session_now(void);

/* video_decoder.c (pump thread). Open: on the job's decode device, the CPU
 * decoder if that fails (the report says why). send(NULL) flushes.
 * receive: 1 with a frame, 0 when it needs input or is done, or a fatal
 * LADDER_E* (after session_fail). Undecodable data counts in *errors. */
int video_decoder_open(ladder_session *s, AVStream *st);
int video_decoder_send(ladder_session *s, const AVPacket *pkt, int64_t *errors);
int video_decoder_receive(ladder_session *s, AVFrame *frame, int64_t *errors);
void video_decoder_close(video_decoder *vd);

/* rung_scaler.c */
void *rung_scaler_main(void *arg);
void chunk_frames_free(chunk_frames *cf);
/* filter_chain.c: link src to sink through the chain desc and configure the
 * graph; 0 or an AVERROR. */
struct AVFilterGraph;
struct AVFilterContext;
int filter_chain_link(struct AVFilterGraph *graph, struct AVFilterContext *src, struct AVFilterContext *sink,
                      const char *desc);
/* gpu_scale.c: a GPU (CUDA) picture to the rung's size as yuv420p or p010:
 * left in GPU memory when r->cuda_frames, else downloaded to system memory;
 * NULL with *err set on failure. Scaler thread. */
AVFrame *gpu_scale_frame(rung_ctx *r, const AVFrame *src, int *err);
void gpu_scale_close(struct gpu_scale **g);
/* After the pre-flight, before the threads: decide r->cuda_frames. */
void gpu_scale_plan(ladder_session *s);
/* Whether device d's encoder for choice takes the decoding GPU's CUDA
 * frames as they are (NVENC on that GPU). */
bool gpu_frames_encodable(const ladder_session *s, int d, const encoder_choice *choice);
/* encoder_devices.c: one hardware device context per GPU, shared by the
 * session's encoders (see why there). get: a new reference in *out, or
 * a negative code (the device cannot be opened). Any thread. */
int encoder_devices_init(encoder_devices **out);
void encoder_devices_close(encoder_devices **d);
int encoder_devices_get(encoder_devices *d, enum AVHWDeviceType type, int gpu, const char *render_node,
                        AVBufferRef **out);
/* qsv_device.c: the Intel adapter at render_node (the inventory's,
 * "/dev/dri/renderD129"; NULL or "" = FFmpeg's default) as a QSV device;
 * node gets what was opened, for messages. An AVERROR on failure. */
int qsv_device_create(AVBufferRef **out, const char *render_node, char *node, size_t node_size);
/* A CUDA frame's picture in system memory (its sw_format), props copied;
 * NULL on failure. Any thread. */
AVFrame *gpu_frame_download(const AVFrame *f);
/* Pump thread, at the first NVDEC picture (first), the decoder's
 * pool_surfaces made: the GPU budget of the cuda_frames rungs
 * (gpu_budget.h) into their gpu_frames_max / gpu_chunk_frames. */
void gpu_budget_start(ladder_session *s, const AVFrame *first, int pool_surfaces);
void chunk_free(ladder_chunk *c);

/* rate_control.c: how one chunk's encoder spends bits. */
typedef struct chunk_rate {
    int device;                   /* the device whose model planned it */
    bool use_crf;
    double crf;                   /* the encoder's rate factor, when use_crf */
    int64_t bitrate_bps;          /* one-pass ABR otherwise; 0 = the rung's nominal */
    double pending_target_bits;   /* what plan added to the rung's pending sums */
    double pending_planned_bits;
} chunk_rate;
/* All zero for a rung in CRF mode (its own rate factor applies). */
chunk_rate rate_control_plan(ladder_session *s, rung_ctx *r, int device);
/* A chunk encoded with plan is done: account for its bits, learn from it. */
void rate_control_record(ladder_session *s, rung_ctx *r, const chunk_rate *plan,
                         const chunk_frames *cf, const encoded_chunk *ec);
/* A segment kept from an interrupted run (resume): its seconds and bytes
 * count toward the rung's target and spending; the model learns nothing. */
void rate_control_record_kept(ladder_session *s, rung_ctx *r, double seconds, int64_t bytes);

/* encoder_backend.c: the encoder libraries ladder drives. */
typedef struct encoder_backend encoder_backend;
/* A codec's backend by libavcodec encoder name; NULL or "" = ladder's
 * default for the codec on the CPU. NULL when ladder has no such backend. */
const encoder_backend *encoder_backend_find(ladder_codec codec, const char *encoder);
/* The same for a device kind ("cpu", "fault", "nvidia"): by name, or the
 * kind's default for the codec; NULL when there is none. */
const encoder_backend *encoder_backend_for(ladder_codec codec, const char *encoder, const char *device_kind);
/* Whether devices of this kind can run it (x264 on a CPU, NVENC on a GPU). */
bool encoder_backend_runs_on(const encoder_backend *backend, const char *device_kind);
/* Rate control gives its chunks ABR only (no calibrated rate factor model). */
bool encoder_backend_abr_only(const encoder_backend *backend);
const char *encoder_backend_name(const encoder_backend *backend);
/* The pixel format its encoder takes for rung r: the rung's own, or NV12/P010. */
enum AVPixelFormat encoder_input_format(const encoder_backend *backend, const rung_ctx *r);
/* The configuration the invariant compares is the sequence header the
 * key frames carry (AV1), not the extradata. */
bool encoder_backend_in_band_config(const encoder_backend *backend);
/* "libsvtav1, libaom-av1": the backends of a codec, for messages. */
void encoder_backend_list(ladder_codec codec, char *buf, size_t size);
/* libavcodec's name of the default encoder of a codec ("libx264"), or
 * NULL when ladder has none for it. */
const char *encoder_name(ladder_codec codec);
/* rate: NULL = the rung's own settings (nominal bitrate or its CRF). */
/* hw_frames: the CUDA frames context of the pictures it will get (NVENC
 * fed GPU memory), NULL for system-memory pictures. */
/* choice's encoder cannot encode rung r the way the rung asks (10-bit on
 * an encoder without it, a capped CRF rung where the VBV would be lost):
 * true with the reason in why. No encoder is opened. */
bool encoder_refuses(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice, char *why,
                     size_t why_size);
/* > 0: the worker remakes the dts of choice's packets from their pts with
 * this reorder depth (encoder_dts_from_pts(): the wrapper's own rule
 * assumes every frame lasts one nominal frame). */
int encoder_dts_reorder_depth(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice);
int encoder_open(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice, bool perturb,
                 const chunk_rate *rate, AVBufferRef *hw_frames, AVCodecContext **out);
/* Flush to EOS, drain and free (see why in encoder_backend.c). */
void encoder_close(AVCodecContext **enc);
/*
 * The decoder configuration choice produces for rung r, from an encoder
 * with the rung's settings: *config (malloc'd, the caller frees it) is
 * what chunks are compared with. H.264/HEVC: the extradata (avcC/hvcC
 * content). AV1: the sequence header OBU of the first key frame of a
 * short pre-flight encode. par, when not NULL, gets the encoder's
 * parameters (for AV1 with that sequence header as extradata: the muxer
 * builds av1C from it).
 */
int encoder_probe_config(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice,
                         AVCodecParameters *par, uint8_t **config, int *config_size);
/* A tiny real encode (a few grey frames of rung r to a key frame): the
 * re-test of a quarantined device. */
int encoder_probe_encode(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice);

/* rung_devices.c: which device may encode which rung. */
/* The job's devices (or one CPU device) into session.devices. */
int rung_devices_init(ladder_session *s);
/* Lease slots of all devices together. */
int rung_devices_slots(const ladder_session *s);
/* Every device's encoder for every codec the resolved ladder uses. */
int rung_devices_resolve(ladder_session *s);
/* The pre-flight of rung r on every device: its canonical configuration
 * (and r->codecpar) from the first, usable or not for the others. */
int rung_devices_preflight(ladder_session *s, rung_ctx *r);
/* Devices and chunks per device into session.report. */
void rung_devices_report(ladder_session *s);
void rung_devices_close(rung_ctx *r);

/* device_health.c: failures charged to devices, quarantine, re-tests. */
/* Before an encode on device d: false when a fault device must fail it. */
bool device_health_start(ladder_session *s, int d);
/* After it: ok, or the error (one line) it failed with. */
void device_health_end(ladder_session *s, int d, bool ok, const char *error);
/*
 * For a worker of device d before it takes work: returns 0 when the device
 * may work, 1 when its worker should stop (nothing left for it, or the run
 * is failing). Waits out a quarantine and runs the re-test.
 */
int device_health_gate(ladder_session *s, int d, uint32_t eligible);
ladder_device_state device_health_state(const device_ctx *dev);

/* encode_worker.c */
void *encode_worker_main(void *arg);

/* resume.c: the resume journal's side of the session. */
/* After the pre-flight, before anything in the output directory changes:
 * with job.resume, read its journal and check it against this job
 * (LADDER_ERESUME when it is another job's, unless IF_SAME_JOB). */
int resume_check(ladder_session *s);
/* Then, before the writers open: keep what the journal vouches for and
 * start a fresh journal. */
int resume_prepare(ladder_session *s);
/* "video/<rung>": the track name in the journal. */
void resume_track_name(const rung_ctx *r, char *buf, size_t size);
/* A segment of rung r is in place (finalizer, under finalize_lock). */
int resume_record(ladder_session *s, rung_ctx *r, const ladder_cmaf_segment *seg);
void resume_stopped(ladder_session *s, const char *reason);
void resume_close(ladder_session *s);

/* finalizer.c */
void encoded_chunk_free(encoded_chunk *ec);
/* Takes ownership of ec. Writes every chunk that is now contiguous. */
int finalizer_submit(rung_ctx *r, encoded_chunk *ec);

/* audio_renditions.c: choose the source's audio streams (job.audio_mode),
 * plan, label and open one rendition each; LADDER_E* after session_fail. */
int audio_renditions_open(ladder_session *s);
void audio_renditions_close(ladder_session *s);

/* audio_track.c: one rendition's media, as plan says. dir: absolute. */
int audio_track_open(audio_track **out, ladder_session *s, AVStream *in_st,
                     const ladder_audio_plan *plan, const char *dir);
/* A packet of the track's source stream, after video time zero is known;
 * discontinuity: the timeline found one at this packet (timeline.h). */
int audio_track_packet(audio_track *a, AVPacket *pkt, bool discontinuity);
/* End of input: everything decoded and encoded (idempotent); then
 * end_seconds is where the track's last packet ends, output time. */
int audio_track_drain(audio_track *a);
double audio_track_end_seconds(const audio_track *a);
/* Drains, drops what starts at or after video_end_seconds (a fraction of
 * a frame: the video is held to the audio's end) and writes the last
 * segment. */
int audio_track_finish(audio_track *a, double video_end_seconds);
void audio_track_close(audio_track *a);
/* The plan's view of a source stream. */
ladder_audio_source audio_track_source_of(const AVCodecParameters *par);
/* Results after finish. */
int audio_track_segments(const audio_track *a, const ladder_cmaf_segment **segs);
const char *audio_track_codecs(const audio_track *a);
/* Codec, channels, sample rate, copied or not: what the track does. */
const ladder_audio_plan *audio_track_plan(const audio_track *a);
/* The time base of the segment times audio_track_segments() reports. */
AVRational audio_track_time_base(const audio_track *a);

/* rotate.c: turn a decoded picture upright (s->rotation != 0), in place:
 * frame is replaced by the turned one. */
int rotate_frame(ladder_session *s, AVFrame *frame);
void rotate_close(ladder_session *s);

#endif /* LADDER_ENGINE_SESSION_INTERNAL_H */
