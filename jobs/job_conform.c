/*
 * conform: normalise to a house spec. Frame rate (fps filter: frames are
 * dropped or repeated, timestamps regular), a fixed frame size reached by
 * letterboxing / pillarboxing (pad) or by cropping the overflow (crop), a
 * pixel format, the audio's channels and rate, and optionally a loudness
 * target: libavfilter's loudnorm in its single-pass (dynamic) mode, which
 * reaches the target within about 1 LU on programme material without a
 * measuring pass.
 */
#include <stdio.h>

#include "job_internal.h"

int job_run_conform(job_ctx *c)
{
    const ladder_job_spec *s = c->spec;
    job_input in;
    int ret = job_input_open(c, &in, true);
    if (ret)
        goto done;
    char vf[512], af[256], fps[32] = "";
    if (s->fps > 0)
        snprintf(fps, sizeof(fps), "fps=%.6g,", s->fps);
    /* pad / crop fit the picture by its storage size: make the pixels
     * square first so an anamorphic source is fitted by its display shape. */
    const char *square = "scale=w='trunc(iw*sar/2+0.5)*2':h=ih,setsar=1,";
    if (s->fit == LADDER_FIT_PAD)
        snprintf(vf, sizeof(vf),
                 "%s%sscale=%d:%d:force_original_aspect_ratio=decrease:force_divisible_by=2,"
                 "pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1,format=%s",
                 fps, square, s->width, s->height, s->width, s->height, s->pix_fmt);
    else
        snprintf(vf, sizeof(vf),
                 "%s%sscale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,setsar=1,format=%s",
                 fps, square, s->width, s->height, s->width, s->height, s->pix_fmt);
    char loud[96] = "";
    if (s->has_loudness)
        snprintf(loud, sizeof(loud), "loudnorm=I=%.3g:TP=-1.5:LRA=11,", s->loudness);
    /* loudnorm works at 192 kHz: the resampler after it sets the house rate. */
    snprintf(af, sizeof(af), "%saresample=%d,aformat=sample_fmts=fltp:channel_layouts=%s", loud, s->audio_rate,
             s->audio_channels == 1 ? "mono" : "stereo");
    char *path = job_path(c, "conform.mp4");
    if (!path) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    job_transcode_opts o = {
        .path = path, .vfilter = vf, .afilter = af, .bitrate_kbps = s->bitrate_kbps, .crf = s->crf,
        .preset = s->preset, .audio_bitrate_kbps = s->audio_bitrate_kbps, .audio_channels = s->audio_channels,
        .audio_rate = s->audio_rate, .seek = -1, .stop = -1, .expected_duration = in.duration,
    };
    ret = job_transcode(c, &in, &o);
    if (!ret)
        ret = job_add_output(c, path, 0, 0, 0);
    free(path);
    if (!ret && s->has_loudness)
        ret = job_extra(c, "\"loudness_target\":%.2f,\"loudness_mode\":\"loudnorm-single-pass\"", s->loudness);
done:
    job_input_close(&in);
    return ret;
}
