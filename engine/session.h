/*
 * Private to engine/: the session object and its rungs, shared by the
 * decode pump (decode_pump.c), the per-rung scalers (rung_scaler.c), the
 * encoder workers (encode_worker.c) and the finalizer (finalizer.c).
 * Nothing outside engine/ includes this file. What one module owns is a
 * struct of that module's header, embedded here, so ownership shows in
 * the type; every other module has a small header of its own beside its
 * .c file and each .c includes only the headers it uses.
 *
 * Threads:
 *   - the caller's thread runs ladder_session_run() (session.c): set-up,
 *     then the decode pump, then joins everyone and writes the outputs;
 *   - one scaler thread per rung (rung_scaler.c);
 *   - one encoder worker thread per lease (encode_worker.c).
 * Locks:
 *   - chunk queue, frame FIFOs and lease pool each own one lock (their
 *     modules say why);
 *   - rung_ctx.fin.lock serialises one rung's muxer and segment list
 *     (finalizer.c);
 *   - session.progress_lock serialises progress counters, rate control,
 *     device health and sink calls;
 *   - session.error_lock: the first error wins.
 */
#ifndef LADDER_ENGINE_SESSION_H
#define LADDER_ENGINE_SESSION_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "chunk_plan.h"
#include "chunk_queue.h"
#include "ladder/device_spec.h"
#include "frame_fifo.h"
#include "frame_pool.h"
#include "ladder/ladder.h"
#include "ladder/lease_pool.h"
#include "audio_renditions.h"
#include "device_health.h"
#include "encoder_backend.h"
#include "finalizer.h"
#include "gpu_scale.h"
#include "rate_control.h"
#include "rotate.h"
#include "rung_devices.h"
#include "rung_scaler.h"
#include "video_decoder.h"

typedef struct ladder_session ladder_session;
typedef struct encoder_devices encoder_devices;

/* Decoded pictures each rung's frame FIFO holds (session.c makes them;
 * NVDEC's surface arithmetic counts them, video_decoder.c). */
#define FRAME_FIFO_CAPACITY 4

/* One device of the job (--devices): a group of lease slots. */
typedef struct device_ctx {
    ladder_device_spec spec;      /* rung_devices_init(); read-only once threads run */
    /* by ladder_codec: rung_devices_resolve(), read-only once threads run */
    encoder_choice choice[LADDER_CODEC_SLOTS];
    device_health health;         /* device_health.c; under progress_lock */
    atomic_int encodes;           /* encodes started (fault devices count them) */
} device_ctx;

/* A rung's progress: under progress_lock, reported by session_progress(). */
typedef struct rung_progress {
    ladder_rung_state state;      /* workers (running), the session (failed, finalizing, completed) */
    int64_t frames_done;          /* workers; the scaler for frames of kept chunks */
    int64_t frames_encoding;      /* workers: frames out of the encoders of chunks in hand */
    int64_t frames_total;         /* resolve_ladder()'s estimate; the outputs at the end */
    int64_t bytes;                /* segments written: the finalizer; resume.c for kept ones */
    int segments;                 /* ... how many: the finalizer; resume.c */
    double encode_seconds;        /* workers: */
    double encode_cpu_seconds;
    int chunks;
    int chunks_by_helpers;
    int invariant_requeues;
    int failure_requeues;         /* chunks given back after their device failed */
    char last_device[LADDER_DEVICE_NAME_MAX]; /* the worker that took its latest chunk */
} rung_progress;

typedef struct rung_ctx {
    /* What the rung is: set by resolve_ladder() (session.c) on the
     * caller's thread before any other thread starts; read-only after. */
    ladder_session *session;
    int index;
    ladder_rung cfg;
    int width, height;
    int clamped_w, clamped_h;     /* the box the rung asked for when the source is smaller
                                     (not upscaled: width x height is the source's); 0 x 0: not */
    int bit_depth;                /* 8 or 10: what the rung asked and the source allows */
    enum AVPixelFormat pix_fmt;   /* scaled pictures and encoder input: yuv420p(10) */
    AVRational sar;               /* keeps the source's display shape */
    AVRational frame_rate;        /* output nominal rate */
    int64_t min_frame_ticks;      /* frame-rate cap: minimum pts step, 0 = none */
    size_t frame_bytes;           /* one output picture (pix_fmt), for the budget */
    char dir[PATH_MAX];

    /* The codec invariant, set by the pre-flight (prepare_rungs() and
     * rung_devices.c) before any other thread starts: the decoder
     * configuration every chunk must match is
     * on_device[canonical_device].config (extradata; for AV1 the sequence
     * header OBU, see encoder_probe_config()), in the init segment. */
    AVCodecParameters *codecpar;
    char codecs[64];
    int canonical_device;         /* the device whose configuration defines the rung */
    /* per device, as in session.devices (rung_devices.h says who writes
     * what, and under which lock) */
    rung_device on_device[LADDER_MAX_DEVICES];

    /* resume.c, before the threads: chunks 0..kept_chunks-1 are segments
     * an interrupted run left, already in fin.segments; not encoded again */
    int kept_chunks;

    /* The pump pushes, the scaler pops (the FIFO's own lock); made by
     * prepare_rungs(), closed by the session. */
    ladder_frame_fifo *input;
    /* The scaler thread: started and joined by session.c (caller's thread). */
    pthread_t scaler_thread;
    bool scaler_started;
    rung_scaler scaler;           /* rung_scaler.c: its thread only */
    rung_gpu gpu;                 /* gpu_scale.c: pictures kept in GPU memory (fields say who writes) */
    rung_finalize fin;            /* finalizer.c: under fin.lock */
    rung_progress progress;       /* under session.progress_lock */
    rung_rate rate;               /* rate_control.c's state, under session.progress_lock */
} rung_ctx;

struct ladder_session {
    /* The job, copied by ladder_session_init(); read-only after the set-up
     * (rung_devices_init() and ladder_session_run() settle defaults). */
    ladder_job job;               /* deep copy: strings below */
    char *input;
    char *output_dir;             /* where the run writes: OUTDIR, or while a re-run is
                                     staged OUTDIR/.ladder-next (output_dir.c) */
    char *final_dir;              /* output_dir.c: OUTDIR while staged, else NULL */
    char *preset;
    char *allow_protocols;        /* the job's, copied */
    ladder_rung *job_rungs;
    ladder_progress_sink sink;

    char error[512];              /* first error, one line; under error_lock */
    int error_code;
    pthread_mutex_t error_lock;   /* first error wins */
    atomic_bool cancelled;
    atomic_bool stopping;         /* ladder_session_stop(): finish the chunks in hand */
    struct ladder_resume_journal *journal; /* appended by finalizers (its own lock) */
    struct ladder_resume_state *resume_state; /* job.resume: the journal found, until kept */
    char *fingerprint;            /* this job's identity (resume.c) */

    /* The input: opened by input.c on the caller's thread; the source's
     * description is read-only once the threads run. */
    AVFormatContext *in;
    struct frame_rate_prefetch *prefetch; /* input.c: packets read to measure the rate, read first */
    video_decoder vdec;           /* the source's video decoder, pump thread only */
    /* the source's colour description, read once at open: encoders and
     * manifests on other threads use it while the decoder may be switched */
    enum AVColorPrimaries src_primaries;
    enum AVColorTransferCharacteristic src_trc;
    enum AVColorSpace src_colorspace;
    enum AVPixelFormat src_pix_fmt; /* software format of the decoded pictures */
    enum AVCodecID src_codec_id;
    ladder_frame_pool *dec_pool;  /* decoded picture buffers, see video_decoder.c */
    pthread_mutex_t dec_pool_lock; /* decoder threads allocate concurrently */
    encoder_devices *enc_devices; /* one hardware context per GPU for encoders (its own lock) */
    int video_stream;
    AVRational src_tb;
    AVRational src_rate;
    bool src_cfr;
    int src_w, src_h;             /* coded size */
    int display_w, display_h;     /* after sample aspect ratio */
    int64_t origin_pts;           /* first video pts: output time zero (set by the pump) */
    int64_t nominal_frame_ticks;  /* one frame at the nominal rate, in src_tb */
    bool retime_video;            /* implausible rate: pictures timed by count */
    double rate_replaced_from;    /* ... the header's rate it replaced */
    struct timeline *timeline;    /* one presentation timeline (pump thread) */
    int64_t frames_estimate;
    /* The display matrix's rotation, clockwise degrees (0, 90, 180, 270):
     * the pump turns every decoded picture upright (rotate.c) and
     * display_w/display_h are the upright size. */
    int rotation;
    rotate_state rotate;          /* rotate.c's graph, pump thread only */
    ladder_chunk_plan plan;       /* chunk boundaries: pump thread (and the encoders' GOP, read-only) */

    /* resolve_ladder() (session.c), before any thread starts */
    rung_ctx *rungs;
    int nb_rungs;

    /* start_threads() (session.c) makes the queue and takes the pool, the
     * caller's thread, before the workers start; each has its own lock. */
    ladder_chunk_queue *queue;
    /* rung_devices_init() and rung_devices_resolve(), before the threads;
     * each device_ctx field says what changes later */
    device_ctx devices[LADDER_MAX_DEVICES];
    int nb_devices;
    ladder_lease_pool *leases;    /* the session's own, or job.lease_pool (borrowed) */
    bool leases_shared;           /* job.lease_pool: never aborted or closed by us */
    atomic_bool leases_closed;    /* shared pool: this session's waiters give up */
    /* The session device of each pool device (-1: not ours) and back. */
    int device_of_pool[LADDER_LEASE_POOL_MAX_DEVICES];
    int pool_device[LADDER_MAX_DEVICES];
    pthread_t *workers;           /* started and joined on the caller's thread */
    int nb_workers;

    /* audio_renditions_open() before the threads; then the pump's */
    audio_rendition audio[LADDER_MAX_AUDIO]; /* in source stream order */
    int nb_audio;

    pthread_mutex_t progress_lock;
    double start_time;            /* ladder_session_run(), before the threads */
    ladder_report report;         /* the caller's thread, but yields under progress_lock */
};

/* Record the first error (later ones are logged only) and abort the run. */
void session_fail(ladder_session *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void session_log(ladder_session *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Emit a progress event for rung r (takes progress_lock). */
void session_progress(ladder_session *s, rung_ctx *r);
double session_now(void);

#endif /* LADDER_ENGINE_SESSION_H */
