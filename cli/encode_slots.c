/*
 * `ladder encode` claims host CPU slots (policy/host_slots.c) around its
 * session. Kept out of cmd_encode.c so that file only calls claim and
 * release.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <json-c/json.h>

#include "encode_slots.h"
#include "policy/host_slots.h"
#include "progress_json.h"

#define CPU_KEY "cpu"
#define MAX_LISTED 64             /* holders named in one message */

struct encode_slots {
    ladder_host_slots *host;
    int capacity;
    bool json;
    bool held;
    /* The gate runs on encoder worker threads; the handle is not thread
     * safe, so this lock serialises every use of it after the claim. */
    pthread_mutex_t lock;
    char gpu_keys[LADDER_MAX_DEVICES][LADDER_HOST_SLOTS_KEY_MAX]; /* nvidia-<UUID> slots held */
    int nb_gpu_keys;
    int gpu_capacity[LADDER_MAX_DEVICES];  /* host-wide sessions of gpu_keys[g] */
    /* The slot a worker (its lease index) stands for, -1 none, for the gate:
     * [key * max_workers + worker], key 0 the CPU's, 1 + g gpu_keys[g]'s. */
    int *worker_slot;
    int max_workers;
    /* opts->interrupt_fd (not ours to close): once readable, the claim's
     * wait and a worker waiting out a realtime job (the gate) give up. */
    int interrupt_fd;
};

int encode_slots_parse_capacity(const char *text, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > 4096)
        return LADDER_EINVAL;
    *out = (int)v;
    return 0;
}

static double now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One {"type":"slots","event":...} line; the caller adds its own fields. */
static void emit_json_key(const encode_slots *c, const char *key, int capacity, const char *event, double time,
                          json_object *extra)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string("slots"));
    progress_json_add_t(o);
    json_object_object_add(o, "event", json_object_new_string(event));
    json_object_object_add(o, "device", json_object_new_string(key));
    json_object_object_add(o, "capacity", json_object_new_int(capacity));
    json_object_object_add(o, "pid", json_object_new_int64((int64_t)getpid()));
    json_object_object_add(o, "time", json_object_new_double(time));
    json_object_object_add(o, "state_dir", json_object_new_string(ladder_host_slots_dir(c->host)));
    if (extra) {
        json_object_object_foreach(extra, k, v)
            json_object_object_add(o, k, json_object_get(v));
        json_object_put(extra);
    }
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    fflush(stdout);
    json_object_put(o);
}

static void emit_json(const encode_slots *c, const char *event, double time, json_object *extra)
{
    emit_json_key(c, CPU_KEY, c->capacity, event, time, extra);
}

/* "cpu.0 held by pid 42 for 3 s (encode a.mp4 -> out), ..." into buf. */
static void describe_key_holders(encode_slots *c, const char *key, int capacity, char *buf, size_t size,
                                 json_object **json_out)
{
    ladder_host_slot_holder who[MAX_LISTED];
    int n = ladder_host_slots_holders(c->host, key, capacity, who, MAX_LISTED);
    json_object *list = json_out ? json_object_new_array() : NULL;
    size_t used = 0;
    buf[0] = '\0';
    time_t now = time(NULL);
    for (int i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s.%d held by pid %ld for %lld s (%s)",
                         i ? ", " : "", key, who[i].slot, who[i].pid, (long long)(now - who[i].since),
                         who[i].job[0] ? who[i].job : "no description");
        if (w > 0)
            used += (size_t)w;
        if (list) {
            json_object *h = json_object_new_object();
            json_object_object_add(h, "slot", json_object_new_int(who[i].slot));
            json_object_object_add(h, "pid", json_object_new_int64(who[i].pid));
            json_object_object_add(h, "since", json_object_new_int64(who[i].since));
            json_object_object_add(h, "job", json_object_new_string(who[i].job));
            json_object_array_add(list, h);
        }
    }
    if (n <= 0)
        snprintf(buf, size, "their holders just left or name no process");
    if (json_out)
        *json_out = list;
}

static void describe_holders(encode_slots *c, char *buf, size_t size, json_object **json_out)
{
    describe_key_holders(c, CPU_KEY, c->capacity, buf, size, json_out);
}

/* A failed claim's one line: into opts->err when the caller reports it,
 * else on stderr. */
__attribute__((format(printf, 2, 3)))
static void claim_error(const encode_slots_options *opts, const char *fmt, ...)
{
    char line[2560];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (opts->err && opts->err_size)
        snprintf(opts->err, opts->err_size, "%s", line);
    else
        fprintf(stderr, "ladder: %s\n", line);
}

/* The host slot key of a GPU: an NVIDIA GPU's UUID, which survives
 * reordering; an Intel GPU's adapter index (oneVPL gives no UUID). */
static bool gpu_key(const ladder_device_spec *d, char *key, size_t size)
{
    int n;
    if (!strcmp(d->kind, "nvidia") && d->uuid[0])
        n = snprintf(key, size, "nvidia-%s", d->uuid);
    else if (!strcmp(d->kind, "intel") && d->gpu >= 0)
        n = snprintf(key, size, "intel-%d", d->gpu);
    else
        return false;
    if (n < 0 || (size_t)n >= size)
        return false;
    for (char *p = key; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') && *p != '-')
            *p = '_';
    return true;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* See encode_slots_options: GPU sessions, after the CPU slots. */
static int claim_gpus(encode_slots *c, const encode_slots_options *opts, bool json, int verbosity)
{
    if (!opts->devices || !opts->nb_devices)
        return 0;
    /* UUID order: two jobs that need the same GPUs take them in the same order. */
    char keys[LADDER_MAX_DEVICES][LADDER_HOST_SLOTS_KEY_MAX];
    int nb_keys = 0;
    for (int d = 0; d < *opts->nb_devices && nb_keys < LADDER_MAX_DEVICES; d++)
        if (gpu_key(&opts->devices[d], keys[nb_keys], sizeof(keys[0])))
            nb_keys++;
    qsort(keys, (size_t)nb_keys, sizeof(keys[0]), compare_keys);
    for (int k = 0; k < nb_keys; k++) {
        const char *key = keys[k];
        if (k > 0 && !strcmp(key, keys[k - 1]))
            continue;             /* the same GPU listed twice shares its sessions */
        int want = 0, planned = 1;
        for (int d = 0; d < *opts->nb_devices; d++) {
            char dk[LADDER_HOST_SLOTS_KEY_MAX];
            if (!gpu_key(&opts->devices[d], dk, sizeof(dk)) || strcmp(dk, key))
                continue;
            int slots = opts->devices[d].slots > 0 ? opts->devices[d].slots : 1;
            want += slots;
            if (slots > planned)
                planned = slots;
        }
        /* Unset gpu_sessions: what the device list planned for the GPU,
         * by default one session per NVENC engine (ladder_device_select()),
         * so an L4 is shared as 2 and a Quadro P400 as 1. */
        int capacity = opts->gpu_sessions > 0 ? opts->gpu_sessions : planned;
        if (want > capacity)
            want = capacity;
        int got = ladder_host_slots_try_acquire(c->host, key, capacity, 1, want);
        if (got == 0) {
            char who[2048];
            json_object *holders = NULL;
            describe_key_holders(c, key, capacity, who, sizeof(who), json ? &holders : NULL);
            if (opts->no_wait) {
                claim_error(opts, "no free %s session on this host (%d in %s): %s; %s: exit 75, retry later", key,
                            capacity, ladder_host_slots_dir(c->host), who,
                            opts->err ? "when_busy fail" : "--no-wait");
                json_object_put(holders);
                return LADDER_EBUSY;
            }
            if (opts->gpu_busy_to_cpu) {
                /* Off the list: the job runs on what else it named. */
                int w = 0;
                for (int d = 0; d < *opts->nb_devices; d++) {
                    char dk[LADDER_HOST_SLOTS_KEY_MAX];
                    if (!(gpu_key(&opts->devices[d], dk, sizeof(dk)) && !strcmp(dk, key)))
                        opts->devices[w++] = opts->devices[d];
                }
                *opts->nb_devices = w;
                fprintf(stderr, "ladder: warning: no free %s session (%s): when_busy cpu: running without it\n",
                        key, who);
                if (json) {
                    json_object *extra = json_object_new_object();
                    json_object_object_add(extra, "holders", holders);
                    emit_json_key(c, key, capacity, "skipped", now_unix(), extra);
                } else {
                    json_object_put(holders);
                }
                continue;
            }
            if (verbosity >= LADDER_LOG_INFO)
                fprintf(stderr, "ladder: waiting for a free %s session on this host (%d in %s): %s\n", key,
                        capacity, ladder_host_slots_dir(c->host), who);
            if (json) {
                json_object *extra = json_object_new_object();
                json_object_object_add(extra, "holders", holders);
                emit_json_key(c, key, capacity, "waiting", now_unix(), extra);
            } else {
                json_object_put(holders);
            }
            /* A realtime job that has to wait says so: batch jobs give it
             * their session of this GPU at their next chunk boundary. */
            if (opts->realtime && ladder_host_slots_announce_realtime(c->host, key, true))
                fprintf(stderr, "ladder: warning: could not announce the realtime job in %s: batch jobs will "
                        "not yield %s\n", ladder_host_slots_dir(c->host), key);
            got = ladder_host_slots_acquire(c->host, key, capacity, 1, want);
            if (opts->realtime)
                ladder_host_slots_announce_realtime(c->host, key, false);
        }
        if (got < 0) {
            if (got != LADDER_ECANCELED)   /* a stop signal: the caller says so */
                claim_error(opts, "taking a %s session in '%s': %s", key, ladder_host_slots_dir(c->host),
                            got == LADDER_EIO ? strerror(errno) : ladder_strerror(got));
            return got;
        }
        c->gpu_capacity[c->nb_gpu_keys] = capacity;
        memcpy(c->gpu_keys[c->nb_gpu_keys++], keys[k], sizeof(c->gpu_keys[0]));
        /* The sessions this job got, spread over its entries of that GPU. */
        int left = got;
        for (int d = 0; d < *opts->nb_devices; d++) {
            char dk[LADDER_HOST_SLOTS_KEY_MAX];
            if (!gpu_key(&opts->devices[d], dk, sizeof(dk)) || strcmp(dk, key))
                continue;
            int mine = opts->devices[d].slots > 0 ? opts->devices[d].slots : 1;
            opts->devices[d].slots = mine < left ? mine : (left > 0 ? left : 1);
            left -= opts->devices[d].slots;
        }
        if (verbosity >= LADDER_LOG_INFO)
            fprintf(stderr, "ladder: took %d of %d host %s sessions (asked for %d) in %s\n", got, capacity, key,
                    want, ladder_host_slots_dir(c->host));
        if (json) {
            json_object *extra = json_object_new_object();
            json_object_object_add(extra, "wanted", json_object_new_int(want));
            json_object_object_add(extra, "got", json_object_new_int(got));
            emit_json_key(c, key, capacity, "acquired", now_unix(), extra);
        }
    }
    return 0;
}

/* How many host CPU slots there are, from the option, the environment or
 * the cores. 0 or LADDER_EINVAL. */
static int cpu_capacity(const encode_slots_options *opts, int *capacity)
{
    *capacity = opts->host_cpu_slots;
    const char *env = getenv("LADDER_HOST_CPU_SLOTS");
    if (!*capacity && env && *env && encode_slots_parse_capacity(env, capacity)) {
        claim_error(opts, "LADDER_HOST_CPU_SLOTS '%s': expected a slot count between 1 and 4096", env);
        return LADDER_EINVAL;
    }
    if (!*capacity) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        *capacity = cores > 0 ? (int)(cores < 4096 ? cores : 4096) : 1;
    }
    return 0;
}

/* The handle with its state directory open. */
static int open_slots(encode_slots **out, const ladder_job *job, const encode_slots_options *opts, int capacity,
                      bool json)
{
    char description[160];
    snprintf(description, sizeof(description), "%s %s -> %s", opts->what ? opts->what : "encode", job->input,
             job->output_dir);
    encode_slots *c = calloc(1, sizeof(*c));
    if (!c)
        return LADDER_ENOMEM;
    c->capacity = capacity;
    c->json = json;
    c->interrupt_fd = opts->interruptible ? opts->interrupt_fd : -1;
    pthread_mutex_init(&c->lock, NULL);
    int ret = ladder_host_slots_open(&c->host, opts->state_dir, description);
    if (!ret && c->interrupt_fd >= 0)
        ladder_host_slots_set_interrupt(c->host, c->interrupt_fd);
    if (ret) {
        char dir[512];
        if (opts->state_dir)
            snprintf(dir, sizeof(dir), "%s", opts->state_dir);
        else if (ladder_host_slots_default_dir(dir, sizeof(dir)))
            snprintf(dir, sizeof(dir), "(path too long)");
        claim_error(opts, "host slot state directory '%s': %s", dir,
                ret == LADDER_EIO ? strerror(errno) : ladder_strerror(ret));
        encode_slots_close(c);    /* no handle yet: frees the rest */
        return ret == LADDER_EINVAL ? LADDER_EIO : ret;
    }
    *out = c;
    return 0;
}

/* No slot was free: give up (--no-wait) or say so and wait. Returns the
 * slots taken, or a negative error. */
static int wait_for_cpu(encode_slots *c, const encode_slots_options *opts, int need, int want, bool json,
                        int verbosity)
{
    char who[2048];
    json_object *holders = NULL;
    describe_holders(c, who, sizeof(who), json ? &holders : NULL);
    if (opts->no_wait) {
        claim_error(opts, "no free " CPU_KEY " slot on this host (%d in %s): %s; %s: exit 75, retry later",
                    c->capacity, ladder_host_slots_dir(c->host), who, opts->err ? "when_busy fail" : "--no-wait");
        json_object_put(holders);
        return LADDER_EBUSY;
    }
    if (verbosity >= LADDER_LOG_INFO)
        fprintf(stderr, "ladder: waiting for a free " CPU_KEY " slot on this host (%d in %s): %s\n",
                c->capacity, ladder_host_slots_dir(c->host), who);
    if (json) {
        json_object *extra = json_object_new_object();
        json_object_object_add(extra, "holders", holders);
        emit_json(c, "waiting", now_unix(), extra);
    } else {
        json_object_put(holders);
    }
    /* A realtime job that has to wait says so: batch jobs give it
     * their slots at their next chunk boundary. */
    if (opts->realtime && ladder_host_slots_announce_realtime(c->host, CPU_KEY, true))
        fprintf(stderr, "ladder: warning: could not announce the realtime job in %s: batch jobs will not yield\n",
                ladder_host_slots_dir(c->host));
    int got = ladder_host_slots_acquire(c->host, CPU_KEY, c->capacity, need, want);
    ladder_host_slots_announce_realtime(c->host, CPU_KEY, false);
    return got;
}

static void report_acquired(encode_slots *c, int got, int want, bool json, int verbosity)
{
    int slots[4096];
    int n = ladder_host_slots_held(c->host, CPU_KEY, slots, 4096);
    if (verbosity >= LADDER_LOG_INFO)
        fprintf(stderr, "ladder: took %d of %d host " CPU_KEY " slots (asked for %d) in %s\n", got,
                c->capacity, want, ladder_host_slots_dir(c->host));
    if (!json)
        return;
    json_object *extra = json_object_new_object();
    json_object *list = json_object_new_array();
    for (int i = 0; i < n && i < 4096; i++)
        json_object_array_add(list, json_object_new_int(slots[i]));
    json_object_object_add(extra, "slots", list);
    json_object_object_add(extra, "wanted", json_object_new_int(want));
    emit_json(c, "acquired", now_unix(), extra);
}

/* Workers are the session's leases, numbered over every device: at most
 * the CPU slots plus the GPU sessions this job holds. */
static int map_workers(encode_slots *c)
{
    c->max_workers = c->capacity;
    for (int g = 0; g < c->nb_gpu_keys; g++)
        c->max_workers += c->gpu_capacity[g];
    size_t entries = (size_t)(1 + c->nb_gpu_keys) * (size_t)c->max_workers;
    c->worker_slot = malloc(entries * sizeof(*c->worker_slot));
    if (!c->worker_slot)
        return LADDER_ENOMEM;
    for (size_t i = 0; i < entries; i++)
        c->worker_slot[i] = -1;
    return 0;
}

int encode_slots_claim(encode_slots **out, ladder_job *job, const encode_slots_options *opts,
                       bool json, int verbosity)
{
    *out = NULL;
    int capacity;
    int ret = cpu_capacity(opts, &capacity);
    if (ret)
        return ret;
    int want = job->cpu_slots > 0 ? job->cpu_slots : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (want < 1)
        want = 1;
    if (want > capacity)
        want = capacity;          /* the host has no more to give */
    /* A device list needs a slot per device to be the job it names. */
    int need = opts->min_slots > 1 ? opts->min_slots : 1;
    if (need > want)
        need = want;
    encode_slots *c = NULL;
    if ((ret = open_slots(&c, job, opts, capacity, json)))
        return ret;
    int got = ladder_host_slots_try_acquire(c->host, CPU_KEY, capacity, need, want);
    if (got == 0)
        got = wait_for_cpu(c, opts, need, want, json, verbosity);
    if (got < 0) {
        if (got != LADDER_ECANCELED && got != LADDER_EBUSY)   /* a stop signal: the caller says so */
            claim_error(opts, "taking a " CPU_KEY " slot in '%s': %s", ladder_host_slots_dir(c->host),
                        got == LADDER_EIO ? strerror(errno) : ladder_strerror(got));
        encode_slots_close(c);
        return got;
    }
    c->held = true;
    job->cpu_slots = got;
    report_acquired(c, got, want, json, verbosity);
    ret = claim_gpus(c, opts, json, verbosity);
    if (!ret)
        ret = map_workers(c);
    if (ret) {
        encode_slots_close(c);
        return ret;
    }
    *out = c;
    return 0;
}

/* Under c->lock: the slot of key index k (0 = CPU_KEY, 1 + g = gpu_keys[g])
 * that worker stands for. */
static int *worker_slot_of(encode_slots *c, int k, int worker)
{
    return &c->worker_slot[(size_t)k * (size_t)c->max_workers + (size_t)worker];
}

/* Under c->lock: a slot of key index k this handle holds that no worker
 * stands for. */
static int unassigned_slot(encode_slots *c, int k, const char *key)
{
    int slots[4096];
    int n = ladder_host_slots_held(c->host, key, slots, 4096);
    for (int i = 0; i < n; i++) {
        bool taken = false;
        for (int w = 0; w < c->max_workers && !taken; w++)
            taken = *worker_slot_of(c, k, w) == slots[i];
        if (!taken)
            return slots[i];
    }
    return -1;
}

/* The host key a worker on device holds, its index (see worker_slot) and
 * capacity; false for a device this job holds no host slot of. */
static bool gate_key(const encode_slots *c, const ladder_device_spec *device, const char **key, int *k,
                     int *capacity)
{
    if (!strcmp(device->kind, "cpu") || !strcmp(device->kind, "fault")) {
        *key = CPU_KEY;
        *k = 0;
        *capacity = c->capacity;
        return true;
    }
    char dk[LADDER_HOST_SLOTS_KEY_MAX];
    if (!gpu_key(device, dk, sizeof(dk)))
        return false;
    for (int g = 0; g < c->nb_gpu_keys; g++) {
        if (!strcmp(c->gpu_keys[g], dk)) {
            *key = c->gpu_keys[g];
            *k = 1 + g;
            *capacity = c->gpu_capacity[g];
            return true;
        }
    }
    return false;
}

int encode_slots_gate(void *opaque, int worker, const ladder_device_spec *device)
{
    encode_slots *c = opaque;
    const char *key;
    int k, capacity;
    if (!c || !device || worker < 0 || worker >= c->max_workers || !gate_key(c, device, &key, &k, &capacity))
        return 0;
    const char *dir = ladder_host_slots_dir(c->host);
    /* Without the lock: a test of someone else's file, cheap enough for
     * every chunk boundary of every worker. An error counts as "nobody". */
    if (ladder_host_slots_realtime_waiting(dir, key) != 1)
        return 0;
    pthread_mutex_lock(&c->lock);
    int *mine = worker_slot_of(c, k, worker);
    if (*mine < 0)
        *mine = unassigned_slot(c, k, key);
    int slot = *mine;
    /* Stamped before the unlock, as "released" is: the realtime job's
     * "acquired" (stamped after its lock) can never come before it. */
    double yielded_at = now_unix();
    int err = slot >= 0 ? ladder_host_slots_release_slot(c->host, key, slot) : LADDER_EINVAL;
    *mine = -1;
    pthread_mutex_unlock(&c->lock);
    if (err)
        return 0;                 /* nothing to give: keep working */
    if (c->json) {
        json_object *extra = json_object_new_object();
        json_object_object_add(extra, "slot", json_object_new_int(slot));
        json_object_object_add(extra, "worker", json_object_new_int(worker));
        emit_json_key(c, key, capacity, "yielded", yielded_at, extra);
    }
    /* Until no realtime job waits (it has our slot by then), then back in
     * the queue for a slot like any waiter. A stop or cancel of this job
     * (the interrupt fd) ends the wait: the worker leaves, slotless. A GPU
     * worker opens its encoder per chunk, so between chunks it holds no
     * encode session on the GPU: the host slot is the whole of it. */
    if (ladder_host_slots_realtime_wait(dir, key, c->interrupt_fd) == LADDER_ECANCELED)
        return LADDER_ECANCELED;
    pthread_mutex_lock(&c->lock);
    int got = ladder_host_slots_acquire(c->host, key, capacity, 1, 1);
    if (got > 0)
        *mine = unassigned_slot(c, k, key);
    slot = *mine;
    pthread_mutex_unlock(&c->lock);
    if (got <= 0)
        return got < 0 ? got : LADDER_EIO;
    if (c->json) {
        json_object *extra = json_object_new_object();
        json_object_object_add(extra, "slot", json_object_new_int(slot));
        json_object_object_add(extra, "worker", json_object_new_int(worker));
        emit_json_key(c, key, capacity, "resumed", now_unix(), extra);
    }
    return 1;
}

void encode_slots_release(encode_slots *c)
{
    if (!c || !c->held)
        return;
    /* Stamped before the unlock and "acquired" after the lock, so the
     * stamped intervals of two jobs overlap only if the real ones do. */
    double released_at = now_unix();
    for (int k = 0; k < c->nb_gpu_keys; k++) {
        ladder_host_slots_release(c->host, c->gpu_keys[k]);
        if (c->json)
            emit_json_key(c, c->gpu_keys[k], c->gpu_capacity[k], "released", released_at, NULL);
    }
    c->nb_gpu_keys = 0;
    ladder_host_slots_release(c->host, CPU_KEY);
    c->held = false;
    if (c->json)
        emit_json(c, "released", released_at, NULL);
}

void encode_slots_close(encode_slots *c)
{
    if (!c)
        return;
    encode_slots_release(c);
    ladder_host_slots_close(c->host);
    pthread_mutex_destroy(&c->lock);
    free(c->worker_slot);
    free(c);
}
