/*
 * ladder_job_runner_run(): check the input against the URL rules, open the atomic
 * output directory, run the type, measure what was written, rename it into
 * place. Output paths in the result are the final ones.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "job_internal.h"
#include "ladder/ladder.h"

struct ladder_job_runner {
    const ladder_job_spec *spec;
    ladder_job_sink sink;
    atomic_bool cancelled;
    atomic_bool stopping;         /* a ladder job stops at a chunk boundary */
    pthread_mutex_t lock;         /* guards session against cancel racing close */
    ladder_session *session;
    bool ran;
    ladder_job_result result;
    char err[512];
};

int job_fail(job_ctx *c, int code, const char *fmt, ...)
{
    if (!c->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->err_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

void job_progress(job_ctx *c, const char *stage, double percent)
{
    if (c->sink && c->sink->on_progress)
        c->sink->on_progress(c->sink->opaque, stage, percent < 0 ? 0 : percent > 100 ? 100 : percent);
}

bool job_cancelled(const job_ctx *c)
{
    return atomic_load(&c->runner->cancelled);
}

void job_set_session(job_ctx *c, ladder_session *s)
{
    ladder_job_runner *r = c->runner;
    pthread_mutex_lock(&r->lock);
    r->session = s;
    /* A cancel or stop that came before the session existed still applies. */
    if (s && atomic_load(&r->cancelled))
        ladder_session_cancel(s);
    else if (s && atomic_load(&r->stopping))
        ladder_session_stop(s);
    pthread_mutex_unlock(&r->lock);
}

char *job_path(const job_ctx *c, const char *name)
{
    size_t n = strlen(c->dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", c->dir, name);
    return p;
}

int job_add_output(job_ctx *c, const char *tmp_path, double duration, int width, int height)
{
    ladder_job_result *r = c->result;
    ladder_job_file *grown = realloc(r->outputs, (size_t)(r->nb_outputs + 1) * sizeof(*grown));
    if (!grown)
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    r->outputs = grown;
    ladder_job_file *f = &r->outputs[r->nb_outputs];
    memset(f, 0, sizeof(*f));
    struct stat sb;
    if (stat(tmp_path, &sb) == 0)
        f->bytes = (int64_t)sb.st_size;
    f->path = strdup(tmp_path);
    if (!f->path)
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    f->duration = duration;
    f->width = width;
    f->height = height;
    r->nb_outputs++;
    return 0;
}

int job_extra(job_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char **extra = &c->result->extra_json;
    size_t old = *extra ? strlen(*extra) : 0;
    char *p = realloc(*extra, old + (size_t)n + 2);
    if (!p)
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    *extra = p;
    if (old)
        p[old++] = ',';
    va_start(ap, fmt);
    vsnprintf(p + old, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return 0;
}

/* Fill duration and size of a media output from the file itself: the
 * result reports what was written, not what was asked for. */
static void measure(ladder_job_file *f)
{
    AVFormatContext *fmt = NULL;
    if (f->width && f->duration == 0)
        return;                   /* an image: the job knows its size */
    if (avformat_open_input(&fmt, f->path, NULL, NULL) < 0)
        return;
    if (avformat_find_stream_info(fmt, NULL) >= 0) {
        if (fmt->duration > 0)
            f->duration = fmt->duration / (double)AV_TIME_BASE;
        int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
        if (v >= 0) {
            f->width = fmt->streams[v]->codecpar->width;
            f->height = fmt->streams[v]->codecpar->height;
        }
    }
    avformat_close_input(&fmt);
}

static bool is_media(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && !strcmp(dot, ".mp4");
}

static int run(ladder_job_runner *r)
{
    const ladder_job_spec *spec = r->spec;
    ladder_job_result *result = &r->result;
    char *err = r->err;
    size_t err_size = sizeof(r->err);
    job_ctx c = { .spec = spec, .sink = &r->sink, .runner = r, .result = result, .err = err,
                  .err_size = err_size };
    if (!ladder_job_input_allowed(spec->input, (const char *const *)spec->url_allow, spec->nb_url_allow,
                                  getenv("LADDER_JOB_URL_ALLOW")))
        return job_fail(&c, LADDER_ECONFIG,
                        "job spec: \"input\" '%s': a URL must start with a prefix of \"url_allow\" or "
                        "LADDER_JOB_URL_ALLOW", spec->input);
    ladder_job_output out;
    /* A ladder job takes over what a stopped or killed attempt left. */
    int ret = spec->type == LADDER_JOB_LADDER
                  ? ladder_job_output_init_resumable(&out, spec->output_root, spec->output, err, err_size)
                  : ladder_job_output_init(&out, spec->output_root, spec->output, err, err_size);
    if (ret)
        return ret;
    c.dir = out.tmp_path;
    c.dir_adopted = out.adopted;
    job_progress(&c, "start", 0);
    switch (spec->type) {
    case LADDER_JOB_PROXY: ret = job_run_proxy(&c); break;
    case LADDER_JOB_THUMBNAIL: ret = job_run_thumbnail(&c); break;
    case LADDER_JOB_FILMSTRIP: ret = job_run_filmstrip(&c); break;
    case LADDER_JOB_CONFORM: ret = job_run_conform(&c); break;
    case LADDER_JOB_TRIM: ret = job_run_trim(&c); break;
    case LADDER_JOB_LADDER: ret = job_run_ladder(&c); break;
    default: ret = job_fail(&c, LADDER_ECONFIG, "job spec: \"type\": unknown"); break;
    }
    if (!ret && job_cancelled(&c))
        ret = job_fail(&c, LADDER_ECANCELED, "cancelled");
    for (int i = 0; !ret && i < result->nb_outputs; i++)
        if (is_media(result->outputs[i].path))
            measure(&result->outputs[i]);
    /* The temporary name is freed by the commit; keep it to rewrite paths. */
    char *tmp = strdup(out.tmp_path);
    if (!tmp && !ret)
        ret = job_fail(&c, LADDER_ENOMEM, "out of memory");
    c.dir = NULL;
    if (!ret)
        ret = ladder_job_output_commit(&out, err, err_size);
    /* Paths now name the final directory. */
    size_t tl = tmp ? strlen(tmp) : 0, fl = strlen(out.final_path);
    for (int i = 0; !ret && i < result->nb_outputs; i++) {
        char *p = result->outputs[i].path;
        if (strncmp(p, tmp, tl))
            continue;
        size_t n = fl + strlen(p + tl) + 1;
        char *q = malloc(n);
        if (!q) {
            ret = job_fail(&c, LADDER_ENOMEM, "out of memory");
            break;
        }
        snprintf(q, n, "%s%s", out.final_path, p + tl);
        free(p);
        result->outputs[i].path = q;
    }
    free(tmp);
    /* Stopped at a chunk boundary: the directory and its journal are the
     * next attempt's starting point (ladder_job_output_init_resumable). */
    out.keep = ret == LADDER_ESTOPPED;
    ladder_job_output_close(&out);
    if (ret) {
        ladder_job_result_clear(result);
        if (!err[0])
            snprintf(err, err_size, "%s", ladder_strerror(ret));
    }
    return ret;
}

int ladder_job_runner_init(ladder_job_runner **out, const ladder_job_spec *spec, const ladder_job_sink *sink)
{
    *out = NULL;
    if (!spec)
        return LADDER_EINVAL;
    ladder_job_runner *r = calloc(1, sizeof(*r));
    if (!r)
        return LADDER_ENOMEM;
    r->spec = spec;
    if (sink)
        r->sink = *sink;
    atomic_init(&r->cancelled, false);
    atomic_init(&r->stopping, false);
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return 0;
}

int ladder_job_runner_run(ladder_job_runner *r)
{
    if (r->ran) {
        snprintf(r->err, sizeof(r->err), "a job runner runs once");
        return LADDER_EINVAL;
    }
    r->ran = true;
    return run(r);
}

void ladder_job_runner_stop(ladder_job_runner *r)
{
    /* Only a ladder has chunk boundaries and a journal to resume from; the
     * other types are short and start over. */
    if (r->spec->type != LADDER_JOB_LADDER) {
        ladder_job_runner_cancel(r);
        return;
    }
    atomic_store(&r->stopping, true);
    pthread_mutex_lock(&r->lock);
    if (r->session)
        ladder_session_stop(r->session);
    pthread_mutex_unlock(&r->lock);
}

void ladder_job_runner_cancel(ladder_job_runner *r)
{
    atomic_store(&r->cancelled, true);
    pthread_mutex_lock(&r->lock);
    if (r->session)
        ladder_session_cancel(r->session);
    pthread_mutex_unlock(&r->lock);
}

const ladder_job_result *ladder_job_runner_result(const ladder_job_runner *r)
{
    return &r->result;
}

const char *ladder_job_runner_error(const ladder_job_runner *r)
{
    return r->err;
}

void ladder_job_runner_close(ladder_job_runner *r)
{
    if (!r)
        return;
    ladder_job_result_clear(&r->result);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void ladder_job_result_clear(ladder_job_result *r)
{
    for (int i = 0; i < r->nb_outputs; i++)
        free(r->outputs[i].path);
    free(r->outputs);
    free(r->extra_json);
    memset(r, 0, sizeof(*r));
}
