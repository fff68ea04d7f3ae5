/*
 * Private to engine/: the encoder libraries ladder drives
 * (encoder_backend.c), how one device encodes one codec (encoder_choice),
 * and the encoders a rung's chunks and pre-flight open. Their settings
 * are encoder_settings.c's pure function (encoder_settings.h).
 */
#ifndef LADDER_ENGINE_ENCODER_BACKEND_H
#define LADDER_ENGINE_ENCODER_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "ladder/ladder.h"
#include "rate_control.h"

typedef struct ladder_session ladder_session;
typedef struct rung_ctx rung_ctx;

typedef struct encoder_backend encoder_backend;

/* How one device encodes one codec: the encoder library and its preset.
 * Devices with equal choices produce equal configurations. Decided by
 * rung_devices_resolve() before any thread starts; read-only after. */
typedef struct encoder_choice {
    const encoder_backend *backend;
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
/* choice's encoder cannot encode rung r the way the rung asks (10-bit on
 * an encoder without it, a capped CRF rung where the VBV would be lost):
 * true with the reason in why. No encoder is opened. */
bool encoder_refuses(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice, char *why,
                     size_t why_size);
/* > 0: the worker remakes the dts of choice's packets from their pts with
 * this reorder depth (encoder_dts_from_pts(): the wrapper's own rule
 * assumes every frame lasts one nominal frame). */
int encoder_dts_reorder_depth(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice);
/* A chunk's encoder. rate: NULL = the rung's own settings (nominal
 * bitrate or its CRF). hw_frames: the CUDA frames context of the pictures
 * it will get (NVENC fed GPU memory), NULL for system-memory pictures. */
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

#endif /* LADDER_ENGINE_ENCODER_BACKEND_H */
