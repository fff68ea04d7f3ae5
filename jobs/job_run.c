/*
 * ladder_job_runner_run(): check the input against the URL rules, refuse an
 * output another job made, open the atomic output directory, run the type,
 * measure what was written, record who wrote it, rename it into place.
 * Output paths in the result are the final ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A URL must be allowed; a local path is a file whatever its characters. */
static int check_input(job_ctx *c)
{
    const ladder_job_spec *spec = c->spec;
    if (ladder_job_input_allowed(spec->input, (const char *const *)spec->url_allow, spec->nb_url_allow,
                                 getenv("LADDER_JOB_URL_ALLOW")))
        return 0;
    if (!strncasecmp(spec->input, "file:", 5))
        return job_fail(c, LADDER_ECONFIG, "job spec: \"input\" '%s': a file: URL is not taken, give the path "
                        "(it is held to input_allow)", spec->input);
    return job_fail(c, LADDER_ECONFIG,
                    "job spec: \"input\" '%s': a URL must start with a prefix of \"url_allow\" or "
                    "LADDER_JOB_URL_ALLOW", spec->input);
}

/*
 * Who made an output: the job's type and spec id, one JSON line in
 * OUTPUT/.ladder-job (jobs/job_output.c, which holds the commit to it). A
 * job replaces an existing output only when that line is its own: a re-run
 * of the same job (a retry, a stalled job taken again, a resumed ladder)
 * does, another job (another id, or another type) is refused with
 * LADDER_EOWNED, and so is an output without the file (not made by `ladder
 * job`, or by a version before it). A spec without an id is one job for
 * this rule: it replaces what an id-less job of its type made.
 */
#define OWNER_FILE ".ladder-job"
#define OWNER_MAX 4096

/* The owner line of spec (malloc'ed, "\n"-terminated), NULL when out of memory. */
static char *owner_line(const ladder_job_spec *spec)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "type", json_object_new_string(ladder_job_type_name(spec->type)));
    json_object_object_add(o, "id", json_object_new_string(spec->id ? spec->id : ""));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *line = NULL;
    size_t n = text ? strlen(text) : 0;
    if (text && n + 2 <= OWNER_MAX && (line = malloc(n + 2)))
        snprintf(line, n + 2, "%s\n", text);
    json_object_put(o);
    return line;
}

/*
 * Refuse, before any work, an output that exists and is another job's.
 * Anything but an existing directory at the final name is left to the
 * output directory's own checks (a bad name, a symlink...).
 */
static int check_owner(job_ctx *c, const char *mine)
{
    const ladder_job_spec *spec = c->spec;
    if (!ladder_job_output_name_ok(spec->output))
        return 0;
    size_t fn = strlen(spec->output_root) + strlen(spec->output) + 2;
    size_t pn = fn + sizeof(OWNER_FILE);
    char *final = malloc(fn), *path = malloc(pn);
    if (!final || !path) {
        free(final);
        free(path);
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    }
    snprintf(final, fn, "%s/%s", spec->output_root, spec->output);
    snprintf(path, pn, "%s/%s", final, OWNER_FILE);
    int ret = 0;
    struct stat sb;
    if (lstat(final, &sb) != 0 || !S_ISDIR(sb.st_mode))
        goto done;
    char buf[OWNER_MAX];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    ssize_t got = -1;
    if (fd >= 0) {
        if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size < (off_t)sizeof(buf))
            got = read(fd, buf, sizeof(buf) - 1);
        close(fd);
    }
    if (got >= 0) {
        buf[got] = 0;
        if (!strcmp(buf, mine))
            goto done;            /* this job's own: a re-run replaces it */
        json_object *o = json_tokener_parse(buf), *type, *id;
        if (o && json_object_object_get_ex(o, "type", &type) && json_object_object_get_ex(o, "id", &id)) {
            const char *other = json_object_get_string(id);
            ret = job_fail(c, LADDER_EOWNED, "output '%s': exists and was made by another job (%s job %s%s%s); "
                           "not replaced (remove it, or give this job another \"output\")", final,
                           json_object_get_string(type), other[0] ? "'" : "", other[0] ? other : "without an id",
                           other[0] ? "'" : "");
        }
        json_object_put(o);
        if (ret)
            goto done;
    }
    if (fd < 0 && e == ENOENT)
        ret = job_fail(c, LADDER_EOWNED, "output '%s': exists and was not made by `ladder job` (no %s in it); "
                       "not replaced (remove it, or give this job another \"output\")", final, OWNER_FILE);
    else
        ret = job_fail(c, LADDER_EOWNED, "output '%s': exists and its %s cannot be read; not replaced", final,
                       OWNER_FILE);
done:
    free(final);
    free(path);
    return ret;
}

/* Record the owner in the temporary directory (the commit fsyncs it). */
static int write_owner(job_ctx *c, const char *line)
{
    char *path = job_path(c, OWNER_FILE);
    if (!path)
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    int e = errno;
    size_t n = strlen(line);
    bool ok = fd >= 0 && write(fd, line, n) == (ssize_t)n;
    if (fd >= 0 && !ok)
        e = errno ? errno : EIO;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    int ret = 0;
    if (!ok)
        ret = job_fail(c, e == ENOSPC || e == EDQUOT ? LADDER_ENOSPC : LADDER_EOUTPUT, "output '%s': %s", path,
                       strerror(e));
    free(path);
    return ret;
}

/* The type, in the atomic output directory: committed when it succeeded. */
static int run_in_output(ladder_job_runner *r, job_ctx c, const char *owner)
{
    const ladder_job_spec *spec = r->spec;
    ladder_job_result *result = &r->result;
    char *err = r->err;
    size_t err_size = sizeof(r->err);
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
    if (!ret)
        ret = write_owner(&c, owner);
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

static int run(ladder_job_runner *r)
{
    const ladder_job_spec *spec = r->spec;
    ladder_job_result *result = &r->result;
    char *err = r->err;
    size_t err_size = sizeof(r->err);
    job_ctx c = { .spec = spec, .sink = &r->sink, .runner = r, .result = result, .err = err,
                  .err_size = err_size };
    int ret = check_input(&c);
    if (ret)
        return ret;
    char *input_path = ladder_job_input_open_path(spec->input);
    if (!input_path)
        return job_fail(&c, LADDER_ENOMEM, "out of memory");
    c.input_path = input_path;
    char *owner = owner_line(spec);
    if (!owner)
        ret = job_fail(&c, LADDER_ENOMEM, "out of memory");
    if (!ret)
        ret = check_owner(&c, owner);
    if (!ret)
        ret = run_in_output(r, c, owner);
    free(owner);
    free(input_path);
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
