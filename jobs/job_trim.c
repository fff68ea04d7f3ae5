/*
 * trim: cut in..out (seconds of the source) frame-accurately. The re-encode
 * mode decodes from the key frame before `in` and lets libavfilter's trim /
 * atrim cut on exact timestamps (audio to the sample), then restarts both
 * streams' time at 0, so the first frame is the one at `in` and audio stays
 * in sync. Smart mode (copy the GOPs between the edges) is not implemented:
 * it runs as re-encode and the result says so in "mode_used".
 */
#include <stdio.h>

#include "job_internal.h"

int job_run_trim(job_ctx *c)
{
    const ladder_job_spec *s = c->spec;
    job_input in;
    int ret = job_input_open(c, &in, true);
    if (ret)
        goto done;
    if (in.duration > 0 && s->in >= in.duration) {
        ret = job_fail(c, LADDER_ECONFIG, "job spec: \"in\" (%g) is at or after the end of the input (%.3f s)",
                       s->in, in.duration);
        goto done;
    }
    double out = in.duration > 0 && s->out > in.duration ? in.duration : s->out;
    /* trim works on the stream's own timestamps: add the container start. */
    double a = s->in + in.start, b = out + in.start;
    char vf[256], af[256];
    snprintf(vf, sizeof(vf), "trim=start=%.6f:end=%.6f,setpts=PTS-STARTPTS,format=yuv420p", a, b);
    snprintf(af, sizeof(af),
             "atrim=start=%.6f:end=%.6f,asetpts=PTS-STARTPTS,aresample=48000,"
             "aformat=sample_fmts=fltp:channel_layouts=stereo", a, b);
    char *path = job_path(c, "trim.mp4");
    if (!path) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    job_transcode_opts o = {
        .path = path, .vfilter = vf, .afilter = af, .bitrate_kbps = s->bitrate_kbps, .crf = s->crf,
        .preset = s->preset, .audio_bitrate_kbps = s->audio_bitrate_kbps, .audio_channels = 2,
        .audio_rate = 48000, .seek = s->in > 1 ? s->in - 1 : -1, .stop = out, .expected_duration = out - s->in,
    };
    ret = job_transcode(c, &in, &o);
    if (!ret)
        ret = job_add_output(c, path, 0, 0, 0);
    free(path);
    if (!ret)
        ret = job_extra(c, "\"mode_requested\":\"%s\",\"mode_used\":\"reencode\",\"in\":%.6f,\"out\":%.6f",
                        s->trim_mode == LADDER_TRIM_SMART ? "smart" : "reencode", s->in, out);
done:
    job_input_close(&in);
    return ret;
}
