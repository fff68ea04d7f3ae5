/*
 * Private to engine/: how each encoder library is set up for one rung on
 * one device, as a pure function of what it depends on (the encoder, the
 * rung, the source's timing, the device's capabilities). No codec is
 * opened here, so every combination (every preset, codec, bit depth and
 * GPU generation) is unit-tested on a machine without any GPU
 * (tests/unit/test_encoder_settings.c); encoder_open() only applies the
 * result.
 */
#ifndef LADDER_ENGINE_ENCODER_SETTINGS_H
#define LADDER_ENGINE_ENCODER_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include <libavutil/dict.h>
#include <libavutil/pixfmt.h>
#include <libavutil/rational.h>

#include "ladder/ladder.h"

/* What the settings of one encoder for one chunk depend on. */
typedef struct encoder_target {
    const char *encoder;          /* libavcodec name: "libx264", "h264_nvenc", ... */
    ladder_codec codec;
    const char *preset;           /* x264's names; NULL: the encoder's default */
    const char *profile;          /* the rung's, "" or NULL: the encoder's default for ladder */
    int bit_depth;                /* 8 or 10 */
    int width;
    AVRational frame_rate;        /* nominal; {0, 1} unknown */
    AVRational time_base;         /* the encoder's (the source's) */
    int gop_size;                 /* the rung's fixed GOP length */
    /* Rate: a CRF rung (crf, capped when maxrate_bps > 0), or one chunk
     * of a bitrate rung (bitrate_bps, or the rate loop's chunk_crf). */
    bool crf_rung;
    int crf;
    bool chunk_uses_crf;
    double chunk_crf;
    int64_t bitrate_bps;
    int64_t maxrate_bps;          /* 0: uncapped */
    int64_t bufsize_bits;
    bool deterministic;           /* the job asks for byte-identical reruns */
    /* The device (GPU encoders): its index and what its encoder can do;
     * caps_known false: not probed, conservative settings. */
    int gpu;
    bool caps_known;
    int max_bframes;
    bool ten_bit;
} encoder_target;

/* What encoder_open() applies: codec-private options and context fields. */
typedef struct encoder_settings {
    /* Owned. Every key is an option of the encoder's private class (a unit
     * test checks them against the linked libavcodec). */
    AVDictionary *options;
    enum AVPixelFormat pix_fmt;   /* of system-memory input */
    const char *profile;          /* also in options; NULL: none (AV1) */
    int max_b_frames;             /* -1: leave the context's default */
    int ticks_per_frame;          /* 0: leave it */
    int64_t bit_rate;
    int64_t rc_max_rate;
    int64_t rc_buffer_size;
    int global_quality;           /* 0: leave it (Quick Sync's constant quality) */
    /* The encoder's dts for a chunk are remade from its pts with this
     * reorder depth (encoder_dts_from_pts()); 0: the encoder's are kept. */
    int dts_reorder_depth;
    /* Not empty: this encoder cannot encode the rung this way on this
     * device; one line saying why (the pre-flight keeps the device off
     * the rung with it). options is then empty. */
    char refused[160];
} encoder_settings;

/* Fill *out (zeroed first) for t. 0, or LADDER_ENOMEM. A refusal is not
 * an error: see refused. encoder_settings_free() in every case. */
int encoder_settings_build(const encoder_target *t, encoder_settings *out);
void encoder_settings_free(encoder_settings *s);

/* The system-memory pixel format encoder takes a rung of bit_depth in:
 * the rung's planar one, or the semi-planar one the encoder needs (the
 * worker converts, one pass, no scaling). */
enum AVPixelFormat encoder_input_pix_fmt(const char *encoder, int bit_depth);

/* The libaom/NVENC rate and timestamp field: one nominal frame in time
 * base units (1 when the rate is unknown or the value out of range). */
int encoder_ticks_per_frame(AVRational frame_rate, AVRational time_base);

/*
 * Decode times for the packets of one chunk, in decode order (pts[i] is
 * packet i's): dts[i] is the (i - depth)th smallest pts, and the first
 * depth packets step back from the smallest by step each. Always
 * dts[i] <= pts[i] when no frame is shown more than depth places after it
 * is decoded, whatever the frame rate does (held pictures, VFR), and
 * strictly increasing for distinct pts. 0, or LADDER_ENOMEM.
 */
int encoder_dts_from_pts(const int64_t *pts, int n, int depth, int64_t step, int64_t *dts);

#endif
