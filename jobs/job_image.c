/* Still images of thumbnail and filmstrip jobs: scaling with libswscale and
 * one-picture JPEG (mjpeg) or WebP (libwebp) encodes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "job_internal.h"

int job_scale_into(job_ctx *c, const AVFrame *src, AVFrame *dst, int x, int y, int w, int h)
{
    /* Full range for JPEG's yuvj420p, so black stays black and the
     * converter knows what the source's range was. */
    struct SwsContext *sws = sws_getContext(src->width, src->height, src->format, w, h, dst->format,
                                            SWS_BICUBIC, NULL, NULL, NULL);
    if (!sws)
        return job_fail(c, LADDER_EINTERNAL, "cannot scale %dx%d %s to %dx%d", src->width, src->height,
                        av_get_pix_fmt_name(src->format), w, h);
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(dst->format);
    uint8_t *planes[4] = { 0 };
    for (int p = 0; p < 4 && dst->data[p]; p++) {
        int sx = p == 1 || p == 2 ? d->log2_chroma_w : 0;
        int sy = p == 1 || p == 2 ? d->log2_chroma_h : 0;
        planes[p] = dst->data[p] + (ptrdiff_t)(y >> sy) * dst->linesize[p] + (x >> sx);
    }
    sws_scale(sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, planes, dst->linesize);
    sws_freeContext(sws);
    return 0;
}

/* One plane of src (w x h) turned clockwise by degrees into dst, as
 * libavfilter's transpose=clock (90), hflip,vflip (180), transpose=cclock
 * (270) would. */
static void turn_plane(uint8_t *dst, int dst_linesize, const uint8_t *src, int src_linesize, int w, int h,
                       int degrees)
{
    int out_w = degrees == 180 ? w : h, out_h = degrees == 180 ? h : w;
    for (int r = 0; r < out_h; r++) {
        uint8_t *row = dst + (ptrdiff_t)r * dst_linesize;
        for (int col = 0; col < out_w; col++) {
            int sr, sc;
            if (degrees == 90) {
                sr = h - 1 - col;
                sc = r;
            } else if (degrees == 270) {
                sr = col;
                sc = w - 1 - r;
            } else {
                sr = h - 1 - r;
                sc = w - 1 - col;
            }
            row[col] = src[(ptrdiff_t)sr * src_linesize + sc];
        }
    }
}

int job_scale_upright_into(job_ctx *c, const AVFrame *src, AVFrame *dst, int x, int y, int w, int h,
                           int rotation)
{
    if (rotation != 90 && rotation != 180 && rotation != 270)
        return job_scale_into(c, src, dst, x, y, w, h);
    /* The picture before the turn: a quarter turn swaps the box's sides. */
    AVFrame *tmp = av_frame_alloc();
    if (!tmp)
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    tmp->format = dst->format;
    tmp->width = rotation == 180 ? w : h;
    tmp->height = rotation == 180 ? h : w;
    int ret = av_frame_get_buffer(tmp, 0) < 0 ? job_fail(c, LADDER_ENOMEM, "out of memory") : 0;
    if (!ret)
        ret = job_scale_into(c, src, tmp, 0, 0, tmp->width, tmp->height);
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(dst->format);
    /* 4:2:0 and 4:4:4 turn plane by plane; the stills are yuvj420p. */
    if (!ret && (!d || d->log2_chroma_w != d->log2_chroma_h || (d->flags & AV_PIX_FMT_FLAG_PLANAR) == 0))
        ret = job_fail(c, LADDER_EINTERNAL, "cannot turn %s pictures", av_get_pix_fmt_name(dst->format));
    for (int p = 0; !ret && p < 4 && dst->data[p] && tmp->data[p]; p++) {
        int sx = p == 1 || p == 2 ? d->log2_chroma_w : 0;
        int sy = p == 1 || p == 2 ? d->log2_chroma_h : 0;
        uint8_t *at = dst->data[p] + (ptrdiff_t)(y >> sy) * dst->linesize[p] + (x >> sx);
        turn_plane(at, dst->linesize[p], tmp->data[p], tmp->linesize[p], AV_CEIL_RSHIFT(tmp->width, sx),
                   AV_CEIL_RSHIFT(tmp->height, sy), rotation);
    }
    av_frame_free(&tmp);
    return ret;
}

static int write_file(job_ctx *c, const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return job_fail(c, errno == ENOSPC ? LADDER_ENOSPC : LADDER_EOUTPUT, "output '%s': %s", path,
                        strerror(errno));
    size_t n = fwrite(data, 1, len, f);
    int e = n == len ? 0 : errno;
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    if (e)
        return job_fail(c, e == ENOSPC ? LADDER_ENOSPC : LADDER_EOUTPUT, "output '%s': %s", path, strerror(e));
    return 0;
}

int job_write_image(job_ctx *c, const AVFrame *f, ladder_image_format fmt, int quality, const char *path)
{
    const char *name = fmt == LADDER_IMAGE_WEBP ? "libwebp" : "mjpeg";
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec)
        return job_fail(c, LADDER_ECODEC, "job spec: \"format\": the %s encoder is not in the linked FFmpeg",
                        name);
    AVCodecContext *e = avcodec_alloc_context3(codec);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *conv = NULL;
    int ret = 0;
    if (!e || !pkt) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    enum AVPixelFormat want = fmt == LADDER_IMAGE_WEBP ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUVJ420P;
    e->width = f->width;
    e->height = f->height;
    e->pix_fmt = want;
    e->time_base = (AVRational){ 1, 25 };
    if (fmt == LADDER_IMAGE_WEBP) {
        av_opt_set_double(e->priv_data, "quality", quality > 0 ? quality : 80, 0);
    } else {
        /* mjpeg: qscale 2 (best) .. 31; quality 1..100 maps onto it. */
        int q = quality > 0 ? 31 - (quality * 29) / 100 : 4;
        e->flags |= AV_CODEC_FLAG_QSCALE;
        e->global_quality = FF_QP2LAMBDA * q;
        e->qmin = e->qmax = q;
    }
    int r = avcodec_open2(e, codec, NULL);
    if (r < 0) {
        ret = job_fail(c, LADDER_EENCODER, "%s encoder could not open: %s", name, av_err2str(r));
        goto done;
    }
    const AVFrame *in = f;
    if (f->format != want) {
        conv = av_frame_alloc();
        if (!conv) {
            ret = job_fail(c, LADDER_ENOMEM, "out of memory");
            goto done;
        }
        conv->width = f->width;
        conv->height = f->height;
        conv->format = want;
        if (av_frame_get_buffer(conv, 0) < 0) {
            ret = job_fail(c, LADDER_ENOMEM, "out of memory");
            goto done;
        }
        if ((ret = job_scale_into(c, f, conv, 0, 0, f->width, f->height)))
            goto done;
        in = conv;
    }
    r = avcodec_send_frame(e, in);
    if (r >= 0)
        r = avcodec_send_frame(e, NULL);
    if (r >= 0)
        r = avcodec_receive_packet(e, pkt);
    if (r < 0) {
        ret = job_fail(c, LADDER_EENCODER, "%s encoder failed: %s", name, av_err2str(r));
        goto done;
    }
    ret = write_file(c, path, pkt->data, (size_t)pkt->size);
done:
    av_frame_free(&conv);
    av_packet_free(&pkt);
    avcodec_free_context(&e);
    return ret;
}
