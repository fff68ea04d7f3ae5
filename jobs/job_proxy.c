/*
 * proxy: an editing / preview copy. H.264 at a fixed height (default 540,
 * never above the source's), the source's aspect, every source frame kept
 * (no rate conversion), AAC stereo, faststart MP4.
 */
#include <stdio.h>

#include "job_internal.h"

int job_run_proxy(job_ctx *c)
{
    const ladder_job_spec *s = c->spec;
    job_input in;
    int ret = job_input_open(c, &in, true);
    if (ret)
        goto done;
    /* Display height: never upscale; -2 keeps the aspect with an even width. */
    int h = s->height;
    if (in.vdec->height > 0 && in.vdec->height < h)
        h = in.vdec->height & ~1;
    char vf[256], af[128];
    /* Square pixels first (an anamorphic source keeps its display shape),
     * then the height; -2 keeps the aspect with an even width. */
    snprintf(vf, sizeof(vf), "scale=w='trunc(iw*sar/2+0.5)*2':h=ih,setsar=1,scale=-2:%d,format=yuv420p", h);
    snprintf(af, sizeof(af), "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo");
    char *path = job_path(c, "proxy.mp4");
    if (!path) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    job_transcode_opts o = {
        .path = path, .vfilter = vf, .afilter = af, .bitrate_kbps = s->bitrate_kbps, .preset = s->preset,
        .audio_bitrate_kbps = s->audio_bitrate_kbps, .audio_channels = 2, .audio_rate = 48000,
        .seek = -1, .stop = -1, .expected_duration = in.duration,
    };
    ret = job_transcode(c, &in, &o);
    if (!ret)
        ret = job_add_output(c, path, 0, 0, 0);
    free(path);
done:
    job_input_close(&in);
    return ret;
}
