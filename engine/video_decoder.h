/*
 * Private to engine/: the source's video decoder (video_decoder.c). It
 * starts on the job's decode device; a hardware failure switches it to a
 * CPU decoder that decodes again the packets kept since the key frame
 * before the last one, and frames already delivered are skipped, so the
 * rungs see every frame once. Only the pump thread calls it; the NVDEC
 * picture count is released on any thread (under surface_lock).
 */
#ifndef LADDER_ENGINE_VIDEO_DECODER_H
#define LADDER_ENGINE_VIDEO_DECODER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

typedef struct ladder_session ladder_session;

/* session.vdec: pump thread only, except the surface count. */
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

/* Open: on the job's decode device, the CPU decoder if that fails (the
 * report says why). send(NULL) flushes. receive: 1 with a frame, 0 when
 * it needs input or is done, or a fatal LADDER_E* (after session_fail).
 * Undecodable data counts in *errors. */
int video_decoder_open(ladder_session *s, AVStream *st);
int video_decoder_send(ladder_session *s, const AVPacket *pkt, int64_t *errors);
int video_decoder_receive(ladder_session *s, AVFrame *frame, int64_t *errors);
void video_decoder_close(video_decoder *vd);

#endif /* LADDER_ENGINE_VIDEO_DECODER_H */
