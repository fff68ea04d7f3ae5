/*
 * filmstrip: seek-preview sprites. count tiles (or one per interval) laid
 * out row by row, columns wide, in one or more sprite images, and a WebVTT
 * track whose cues cover the whole duration back to back, each pointing at
 * its tile with a media fragment "sprite-0.jpg#xywh=x,y,w,h".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_internal.h"
#include "mux/atomic_file.h"

int ladder_filmstrip_count(int count, double interval, double duration)
{
    if (count > 0)
        return count > 1000 ? 1000 : count;
    if (!(interval > 0) || !(duration > 0))
        return 1;
    double n = ceil(duration / interval - 1e-9);
    return n < 1 ? 1 : n > 1000 ? 1000 : (int)n;
}

static int rows_per_sheet(int count, int columns, int rows)
{
    int all = (count + columns - 1) / columns;
    return rows > 0 && rows < all ? rows : all;
}

int ladder_filmstrip_layout(int count, int columns, int rows, int tile_w, int tile_h, double duration,
                            ladder_filmstrip_tile *tiles)
{
    if (count < 1 || columns < 1 || tile_w < 1 || tile_h < 1 || !(duration > 0))
        return LADDER_EINVAL;
    int per_row_sheet = rows_per_sheet(count, columns, rows);
    int per_sheet = per_row_sheet * columns;
    for (int i = 0; i < count; i++) {
        ladder_filmstrip_tile *t = &tiles[i];
        int in_sheet = i % per_sheet;
        t->sheet = i / per_sheet;
        t->x = (in_sheet % columns) * tile_w;
        t->y = (in_sheet / columns) * tile_h;
        t->w = tile_w;
        t->h = tile_h;
        /* Computed from the index, not accumulated: no drift, no gaps; each
         * cue ends exactly where the next one starts. */
        t->start = duration * i / count;
        t->end = i == count - 1 ? duration : duration * (i + 1) / count;
        t->sample_time = (t->start + t->end) / 2;
    }
    return 0;
}

void ladder_filmstrip_sheet_size(int count, int columns, int rows, int tile_w, int tile_h, int sheet, int *w,
                                 int *h)
{
    int per_row_sheet = rows_per_sheet(count, columns, rows);
    int per_sheet = per_row_sheet * columns;
    int first = sheet * per_sheet;
    int left = count - first;
    if (left > per_sheet)
        left = per_sheet;
    if (left < 0)
        left = 0;
    *w = (left < columns ? left : columns) * tile_w;
    *h = ((left + columns - 1) / columns) * tile_h;
}

static void vtt_time(char *buf, size_t n, double t)
{
    long long ms = llround(t * 1000);
    snprintf(buf, n, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

char *ladder_filmstrip_vtt(const ladder_filmstrip_tile *tiles, int count, const char *const *sheet_names)
{
    size_t cap = 16 + (size_t)count * 160, len = 0;
    for (int i = 0; i < count; i++)
        cap += strlen(sheet_names[tiles[i].sheet]);
    char *text = malloc(cap);
    if (!text)
        return NULL;
    len += (size_t)snprintf(text, cap, "WEBVTT\n");
    for (int i = 0; i < count; i++) {
        char a[32], b[32];
        /* Rounded to the millisecond from the exact times, so one cue's end
         * is the next one's start to the character. */
        vtt_time(a, sizeof(a), tiles[i].start);
        vtt_time(b, sizeof(b), tiles[i].end);
        len += (size_t)snprintf(text + len, cap - len, "\n%s --> %s\n%s#xywh=%d,%d,%d,%d\n", a, b,
                                sheet_names[tiles[i].sheet], tiles[i].x, tiles[i].y, tiles[i].w, tiles[i].h);
    }
    return text;
}

typedef struct strip {
    job_ctx *c;
    job_input *in;
    const ladder_filmstrip_tile *tiles;
    int count, next;
    AVFrame **sheets;
    AVFrame *last;                /* last decoded frame (a ref) */
} strip;

static int place(strip *s, const AVFrame *f)
{
    const ladder_filmstrip_tile *t = &s->tiles[s->next];
    int ret = job_scale_upright_into(s->c, f, s->sheets[t->sheet], t->x, t->y, t->w, t->h, s->in->rotation);
    s->next++;
    return ret;
}

static int on_frame(void *opaque, bool is_audio, AVFrame *f)
{
    strip *s = opaque;
    if (is_audio)
        return 0;
    double time = job_frame_time(s->in, false, f);
    int ret;
    while (s->next < s->count && time + 1e-6 >= s->tiles[s->next].sample_time)
        if ((ret = place(s, f)))
            return ret;
    av_frame_unref(s->last);
    if ((ret = av_frame_ref(s->last, f)) < 0)
        return job_fail(s->c, LADDER_ENOMEM, "out of memory");
    job_progress(s->c, "decode", 100.0 * s->next / s->count);
    if (s->next >= s->count)
        return 1;
    /* Far from the next tile: seek there instead of decoding everything. */
    if (s->tiles[s->next].sample_time - time > 8) {
        if (job_input_seek(s->in, s->tiles[s->next].sample_time) < 0)
            return 0;
        av_frame_unref(s->last);
    }
    return 0;
}

int job_run_filmstrip(job_ctx *c)
{
    const ladder_job_spec *sp = c->spec;
    job_input in;
    strip s = { .c = c, .in = &in };
    ladder_filmstrip_tile *tiles = NULL;
    char **names = NULL;
    int nb_sheets = 0;
    char *vtt = NULL, *path = NULL;
    int ret = job_input_open(c, &in, false);
    if (ret)
        goto done;
    if (!(in.duration > 0)) {
        ret = job_fail(c, LADDER_EINPUT_INVALID, "input '%s': duration unknown, a filmstrip needs it", sp->input);
        goto done;
    }
    if (sp->width % 2 || sp->height % 2) {
        ret = job_fail(c, LADDER_ECONFIG, "job spec: \"%s\" must be even for a filmstrip tile",
                       sp->width % 2 ? "width" : "height");
        goto done;
    }
    int count = ladder_filmstrip_count(sp->count, sp->interval, in.duration);
    tiles = calloc((size_t)count, sizeof(*tiles));
    s.last = av_frame_alloc();
    if (!tiles || !s.last) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    ladder_filmstrip_layout(count, sp->columns, sp->rows, sp->width, sp->height, in.duration, tiles);
    nb_sheets = tiles[count - 1].sheet + 1;
    s.sheets = calloc((size_t)nb_sheets, sizeof(*s.sheets));
    names = calloc((size_t)nb_sheets, sizeof(*names));
    if (!s.sheets || !names) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    const char *ext = sp->image_format == LADDER_IMAGE_WEBP ? "webp" : "jpg";
    for (int i = 0; i < nb_sheets; i++) {
        AVFrame *f = s.sheets[i] = av_frame_alloc();
        names[i] = malloc(32);
        if (!f || !names[i]) {
            ret = job_fail(c, LADDER_ENOMEM, "out of memory");
            goto done;
        }
        snprintf(names[i], 32, "sprite-%d.%s", i, ext);
        ladder_filmstrip_sheet_size(count, sp->columns, sp->rows, sp->width, sp->height, i, &f->width, &f->height);
        f->format = AV_PIX_FMT_YUVJ420P;
        if (av_frame_get_buffer(f, 0) < 0) {
            ret = job_fail(c, LADDER_ENOMEM, "out of memory");
            goto done;
        }
        /* Black under tiles the video never reached. */
        memset(f->data[0], 0, (size_t)f->linesize[0] * f->height);
        memset(f->data[1], 128, (size_t)f->linesize[1] * (f->height / 2));
        memset(f->data[2], 128, (size_t)f->linesize[2] * (f->height / 2));
    }
    s.tiles = tiles;
    s.count = count;
    if ((ret = job_input_decode(c, &in, on_frame, &s)))
        goto done;
    /* Tiles after the last frame (a short stream) show the last frame. */
    while (s.next < count && s.last->data[0])
        if ((ret = place(&s, s.last)))
            goto done;
    if (s.next == 0) {
        ret = job_fail(c, LADDER_EINPUT_INVALID, "input '%s': no decodable video frame", sp->input);
        goto done;
    }
    for (int i = 0; i < nb_sheets; i++) {
        job_progress(c, "encode", 100.0 * i / nb_sheets);
        free(path);
        if (!(path = job_path(c, names[i]))) {
            ret = job_fail(c, LADDER_ENOMEM, "out of memory");
            goto done;
        }
        if ((ret = job_write_image(c, s.sheets[i], sp->image_format, sp->quality, path)) ||
            (ret = job_add_output(c, path, 0, s.sheets[i]->width, s.sheets[i]->height)))
            goto done;
    }
    vtt = ladder_filmstrip_vtt(tiles, count, (const char *const *)names);
    free(path);
    path = job_path(c, "thumbnails.vtt");
    if (!vtt || !path) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    if ((ret = ladder_atomic_write(path, vtt, strlen(vtt)))) {
        job_fail(c, ret, "output '%s': %s", path, ladder_strerror(ret));
        goto done;
    }
    if ((ret = job_add_output(c, path, in.duration, 0, 0)))
        goto done;
    ret = job_extra(c, "\"tiles\":%d,\"columns\":%d,\"tile_width\":%d,\"tile_height\":%d,\"sheets\":%d,"
                    "\"vtt\":\"thumbnails.vtt\"", count, sp->columns, sp->width, sp->height, nb_sheets);
done:
    free(vtt);
    free(path);
    for (int i = 0; i < nb_sheets; i++) {
        if (s.sheets)
            av_frame_free(&s.sheets[i]);
        if (names)
            free(names[i]);
    }
    free(s.sheets);
    free(names);
    free(tiles);
    av_frame_free(&s.last);
    job_input_close(&in);
    return ret;
}
