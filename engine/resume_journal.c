/* The resume journal: see resume_journal.h. */
#include "engine/resume_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mux/atomic_file.h"
#include "ladder/error.h"

#define JOURNAL_VERSION 1
/* A line is "XXXXXXXX " and JSON; the job line carries the fingerprint
 * (a few hundred bytes per rung), a segment line about 300 bytes. */
#define MAX_LINE (64 * 1024)

struct ladder_resume_journal {
    int fd;
    pthread_mutex_t lock;         /* one line per write(2), lines never interleave */
};

/* "CRC32HEX JSON\n" for one JSON object; NULL when it does not fit. */
static char *format_line(json_object *o, size_t *len)
{
    const char *json = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(json);
    if (n + 11 > MAX_LINE)
        return NULL;
    char *line = malloc(n + 11);
    if (!line)
        return NULL;
    snprintf(line, 10, "%08" PRIx32 " ", ladder_crc32((const uint8_t *)json, n));
    memcpy(line + 9, json, n);
    line[9 + n] = '\n';
    line[10 + n] = '\0';
    *len = n + 10;
    return line;
}

static json_object *segment_object(const char *track, const ladder_cmaf_segment *seg)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "t", json_object_new_string("seg"));
    json_object_object_add(o, "track", json_object_new_string(track));
    json_object_object_add(o, "n", json_object_new_int(seg->number));
    json_object_object_add(o, "start", json_object_new_int64(seg->start));
    json_object_object_add(o, "duration", json_object_new_int64(seg->duration));
    json_object_object_add(o, "seconds", json_object_new_double(seg->seconds));
    json_object_object_add(o, "bytes", json_object_new_int64((int64_t)seg->bytes));
    json_object_object_add(o, "samples", json_object_new_int(seg->nb_samples));
    json_object_object_add(o, "timescale", json_object_new_int64(seg->timescale));
    json_object_object_add(o, "iframe_offset", json_object_new_int64(seg->first_sample_offset));
    json_object_object_add(o, "iframe_length", json_object_new_int64(seg->first_sample_length));
    json_object_object_add(o, "decode_time", json_object_new_int64((int64_t)seg->decode_time));
    json_object_object_add(o, "decode_duration", json_object_new_int64((int64_t)seg->decode_duration));
    json_object_object_add(o, "crc32", json_object_new_int64(seg->crc32));
    json_object_object_add(o, "dts_shift", json_object_new_int64(seg->dts_shift));
    json_object_object_add(o, "track_start", json_object_new_int64(seg->track_start));
    return o;
}

static int append_object(ladder_resume_journal *j, json_object *o)
{
    size_t len = 0;
    char *line = o ? format_line(o, &len) : NULL;
    json_object_put(o);
    if (!line)
        return LADDER_ENOMEM;
    int err = 0;
    pthread_mutex_lock(&j->lock);
    /* O_APPEND and one write: the line lands whole, or (a full disk, a
     * kill between two partial writes) torn at the end, which the CRC
     * catches. */
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(j->fd, line + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 && (errno == ENOSPC || errno == EDQUOT) ? LADDER_ENOSPC : LADDER_EIO;
            break;
        }
        done += (size_t)n;
    }
    pthread_mutex_unlock(&j->lock);
    free(line);
    return err;
}

int ladder_resume_journal_create(ladder_resume_journal **out, const char *dir, const char *fingerprint,
                                 const ladder_resume_record *records, int nb_records)
{
    if (!out || !dir || !fingerprint || nb_records < 0 || (nb_records > 0 && !records))
        return LADDER_EINVAL;
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, LADDER_RESUME_FILE) >= (int)sizeof(path))
        return LADDER_EINVAL;
    /* The whole starting journal in one buffer, renamed into place: a
     * journal is never half old, half new. */
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    int err = text ? 0 : LADDER_ENOMEM;
    for (int i = -1; i < nb_records && !err; i++) {
        json_object *o;
        if (i < 0) {
            o = json_object_new_object();
            if (o) {
                json_object_object_add(o, "ladder_resume", json_object_new_int(JOURNAL_VERSION));
                json_object_object_add(o, "job", json_object_new_string(fingerprint));
            }
        } else {
            o = segment_object(records[i].track, &records[i].seg);
        }
        size_t n = 0;
        char *line = o ? format_line(o, &n) : NULL;
        json_object_put(o);
        if (!line) {
            err = LADDER_ENOMEM;
            break;
        }
        if (len + n > cap) {
            while (len + n > cap)
                cap *= 2;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(line);
                err = LADDER_ENOMEM;
                break;
            }
            text = grown;
        }
        memcpy(text + len, line, n);
        len += n;
        free(line);
    }
    if (!err)
        err = ladder_atomic_write(path, text, len);
    free(text);
    if (err)
        return err;
    ladder_resume_journal *j = calloc(1, sizeof(*j));
    if (!j)
        return LADDER_ENOMEM;
    j->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (j->fd < 0) {
        free(j);
        return LADDER_EOUTPUT;
    }
    pthread_mutex_init(&j->lock, NULL);
    *out = j;
    return 0;
}

int ladder_resume_journal_add(ladder_resume_journal *j, const char *track, const ladder_cmaf_segment *seg)
{
    if (!j || !track || !seg)
        return LADDER_EINVAL;
    return append_object(j, segment_object(track, seg));
}

int ladder_resume_journal_event(ladder_resume_journal *j, const char *event, const char *reason)
{
    if (!j || !event)
        return LADDER_EINVAL;
    json_object *o = json_object_new_object();
    if (o) {
        json_object_object_add(o, "t", json_object_new_string("event"));
        json_object_object_add(o, "event", json_object_new_string(event));
        json_object_object_add(o, "reason", json_object_new_string(reason ? reason : ""));
    }
    return append_object(j, o);
}

void ladder_resume_journal_close(ladder_resume_journal *j)
{
    if (!j)
        return;
    close(j->fd);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

/* ---- reading ---- */

static bool get_int64(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    errno = 0;
    int64_t x = json_object_get_int64(v);
    if (errno || x < min || x > max)
        return false;
    *out = x;
    return true;
}

static bool get_string(json_object *o, const char *key, const char **out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return false;
    *out = json_object_get_string(v);
    return true;
}

/* A track is a directory under OUTDIR that ladder made: "video/<rung>" or
 * "audio/<rendition>", plain names only. */
static bool track_name_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n >= sizeof(((ladder_resume_record *)0)->track))
        return false;
    if (strncmp(t, "video/", 6) && strncmp(t, "audio/", 6))
        return false;
    const char *name = t + 6;
    if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
        return false;
    for (const char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static bool parse_segment(json_object *o, ladder_resume_record *rec)
{
    const char *track;
    int64_t n, start, dur, bytes, samples, ts, fso, fsl, dt, dd, crc, shift, track_start;
    double seconds;
    json_object *v;
    if (!get_string(o, "track", &track) || !track_name_ok(track) ||
        !get_int64(o, "n", 1, 99999, &n) ||
        !get_int64(o, "start", INT64_MIN / 4, INT64_MAX / 4, &start) ||
        !get_int64(o, "duration", 0, INT64_MAX / 4, &dur) ||
        !get_int64(o, "bytes", 1, INT64_MAX / 4, &bytes) ||
        !get_int64(o, "samples", 1, INT32_MAX, &samples) ||
        !get_int64(o, "timescale", 0, UINT32_MAX, &ts) ||
        !get_int64(o, "iframe_offset", 0, bytes, &fso) ||
        !get_int64(o, "iframe_length", 1, bytes - fso, &fsl) ||
        !get_int64(o, "decode_time", 0, INT64_MAX / 4, &dt) ||
        !get_int64(o, "decode_duration", 0, INT64_MAX / 4, &dd) ||
        !get_int64(o, "crc32", 0, UINT32_MAX, &crc) ||
        !get_int64(o, "dts_shift", INT64_MIN / 4, INT64_MAX / 4, &shift) ||
        !get_int64(o, "track_start", INT64_MIN / 4, INT64_MAX / 4, &track_start) ||
        !json_object_object_get_ex(o, "seconds", &v) ||
        !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        return false;
    seconds = json_object_get_double(v);
    if (!(seconds >= 0 && seconds < 1e9) || (uint64_t)bytes > SIZE_MAX)
        return false;
    memset(rec, 0, sizeof(*rec));
    snprintf(rec->track, sizeof(rec->track), "%s", track);
    ladder_cmaf_segment *s = &rec->seg;
    s->number = (int)n;
    /* The file name follows from the number: never taken from the file. */
    snprintf(s->uri, sizeof(s->uri), "seg_%05d.m4s", s->number);
    s->start = start;
    s->duration = dur;
    s->seconds = seconds;
    s->bytes = (size_t)bytes;
    s->nb_samples = (int)samples;
    s->timescale = (uint32_t)ts;
    s->first_sample_offset = fso;
    s->first_sample_length = fsl;
    s->decode_time = (uint64_t)dt;
    s->decode_duration = (uint64_t)dd;
    s->crc32 = (uint32_t)crc;
    s->dts_shift = shift;
    s->track_start = track_start;
    return true;
}

/* One line's JSON after its CRC checked out; NULL when it does not. */
static json_object *checked_line(const char *line, size_t len)
{
    if (len < 10 || line[8] != ' ')
        return NULL;
    uint32_t crc = 0;
    for (int i = 0; i < 8; i++) {
        char c = line[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return NULL;
        crc = crc << 4 | (uint32_t)d;
    }
    const char *json = line + 9;
    size_t n = len - 9;
    if (ladder_crc32((const uint8_t *)json, n) != crc)
        return NULL;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return NULL;
    json_object *o = json_tokener_parse_ex(tok, json, (int)n);
    bool whole = o && json_tokener_get_error(tok) == json_tokener_success &&
                 tok->char_offset == (int)n && json_object_is_type(o, json_type_object);
    json_tokener_free(tok);
    if (!whole) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

int ladder_resume_parse(const char *text, size_t len, ladder_resume_state **out)
{
    if (!out || (!text && len))
        return LADDER_EINVAL;
    *out = NULL;
    ladder_resume_state *st = calloc(1, sizeof(*st));
    if (!st)
        return LADDER_ENOMEM;
    int err = 0;
    size_t pos = 0;
    int cap = 0;
    bool broken = false;
    for (int line_no = 0; pos < len && !err; line_no++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
        const char *line = text + pos;
        pos += line_len + (nl ? 1 : 0);
        if (broken) {
            st->ignored_lines++;
            continue;
        }
        /* A line without its newline is one a killed run was writing. */
        json_object *o = nl && line_len < MAX_LINE ? checked_line(line, line_len) : NULL;
        if (line_no == 0) {
            int64_t version;
            const char *job;
            if (!o || !get_int64(o, "ladder_resume", JOURNAL_VERSION, JOURNAL_VERSION, &version) ||
                !get_string(o, "job", &job))
                err = LADDER_EINPUT_INVALID;
            else if (!(st->fingerprint = strdup(job)))
                err = LADDER_ENOMEM;
            json_object_put(o);
            continue;
        }
        const char *type = NULL;
        if (!o || !get_string(o, "t", &type)) {
            broken = true;
            st->ignored_lines++;
        } else if (!strcmp(type, "seg")) {
            if (st->nb_records == cap) {
                int grown_cap = cap ? cap * 2 : 64;
                ladder_resume_record *grown = realloc(st->records, (size_t)grown_cap * sizeof(*grown));
                if (!grown) {
                    err = LADDER_ENOMEM;
                    json_object_put(o);
                    break;
                }
                st->records = grown;
                cap = grown_cap;
            }
            if (parse_segment(o, &st->records[st->nb_records]))
                st->nb_records++;
            else {
                broken = true;
                st->ignored_lines++;
            }
        } else if (!strcmp(type, "event")) {
            const char *event;
            if (get_string(o, "event", &event) && !strcmp(event, "stopped"))
                st->stops++;
        }
        /* Other types: from a newer ladder; nothing here depends on them. */
        json_object_put(o);
    }
    if (!err && !st->fingerprint)
        err = LADDER_EINPUT_INVALID;    /* empty: not even a job line */
    if (err) {
        ladder_resume_state_free(st);
        return err;
    }
    *out = st;
    return 0;
}

int ladder_resume_load(const char *dir, ladder_resume_state **out)
{
    if (!dir || !out)
        return LADDER_EINVAL;
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, LADDER_RESUME_FILE) >= (int)sizeof(path))
        return LADDER_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? LADDER_EINPUT_MISSING : LADDER_EIO;
    struct stat sb;
    /* 64 MiB holds the journal of days of video; more is not ours. */
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > (64 << 20)) {
        close(fd);
        return LADDER_EINPUT_INVALID;
    }
    size_t len = (size_t)sb.st_size;
    char *text = malloc(len ? len : 1);
    if (!text) {
        close(fd);
        return LADDER_ENOMEM;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, text + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    int err = ladder_resume_parse(text, got, out);
    free(text);
    return err;
}

void ladder_resume_state_free(ladder_resume_state *st)
{
    if (!st)
        return;
    free(st->fingerprint);
    free(st->records);
    free(st);
}

/* Whether path holds exactly size bytes with this CRC. */
static bool file_matches(const char *path, size_t size, uint32_t crc)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    struct stat sb;
    bool ok = !fstat(fd, &sb) && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == size;
    uint8_t *buf = ok ? malloc(1 << 20) : NULL;
    if (ok && !buf)
        ok = false;
    uint32_t c = UINT32_MAX;
    size_t total = 0;
    while (ok) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            ok = false;
        if (n <= 0)
            break;
        /* ladder_crc32 of the pieces, chained: undo its final xor. */
        c = ladder_crc32_update(c, buf, (size_t)n);
        total += (size_t)n;
    }
    free(buf);
    close(fd);
    return ok && total == size && (c ^ UINT32_MAX) == crc;
}

int ladder_resume_kept(const ladder_resume_state *st, const char *dir, const char *track,
                       ladder_cmaf_segment **segs, int *nb)
{
    if (!st || !dir || !track || !segs || !nb)
        return LADDER_EINVAL;
    *segs = NULL;
    *nb = 0;
    /* Last record per number; numbers past the record count cannot be
     * reached from 1 without a gap. */
    int max = st->nb_records;
    if (max == 0)
        return 0;
    const ladder_resume_record **last = calloc((size_t)max + 1, sizeof(*last));
    if (!last)
        return LADDER_ENOMEM;
    for (int i = 0; i < st->nb_records; i++) {
        const ladder_resume_record *r = &st->records[i];
        if (!strcmp(r->track, track) && r->seg.number <= max)
            last[r->seg.number] = r;
    }
    int n = 0;
    while (n < max && last[n + 1])
        n++;
    ladder_cmaf_segment *out = n ? malloc((size_t)n * sizeof(*out)) : NULL;
    if (n && !out) {
        free(last);
        return LADDER_ENOMEM;
    }
    int kept = 0;
    for (int k = 1; k <= n; k++) {
        const ladder_cmaf_segment *s = &last[k]->seg;
        char path[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s/%s/%s", dir, track, s->uri) >= (int)sizeof(path) ||
            !file_matches(path, s->bytes, s->crc32))
            break;
        /* Segments of one track continue each other. */
        if (kept > 0 && s->decode_time != out[kept - 1].decode_time + out[kept - 1].decode_duration)
            break;
        out[kept++] = *s;
    }
    free(last);
    if (!kept) {
        free(out);
        out = NULL;
    }
    *segs = out;
    *nb = kept;
    return 0;
}

int ladder_resume_fingerprint_diff(const char *then, const char *now, char *buf, size_t size)
{
    if (!then || !now)
        return LADDER_EINVAL;
    if (!strcmp(then, now))
        return 0;
    /* Line by line, up to the first that differs. */
    while (*then || *now) {
        size_t a = strcspn(then, "\n"), b = strcspn(now, "\n");
        if (a != b || memcmp(then, now, a)) {
            if (buf && size)
                snprintf(buf, size, "'%.*s' became '%.*s'", (int)(a > 200 ? 200 : a), then,
                         (int)(b > 200 ? 200 : b), now);
            return 1;
        }
        then += a + (then[a] == '\n');
        now += b + (now[b] == '\n');
    }
    if (buf && size)
        snprintf(buf, size, "the job differs");
    return 1;
}
