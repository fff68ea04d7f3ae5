/*
 * Host configuration: one JSON file read by every ladder process on a host
 * (state directory, host CPU slots, default devices, preset, segment
 * length, memory budget, what to do when devices are busy, the tier file,
 * routing rules, job paths).
 *
 * Every key is a row of one table (name, type, default, environment
 * variable, doc; see policy/config.c), and every value remembers where it
 * came from. Precedence, lowest first:
 *
 *     built-in default < config file < environment < command-line flag
 *
 *     ladder_conf *c;
 *     char err[512];
 *     if (ladder_conf_load(&c, flag_path, err, sizeof(err)))   // default+file+env
 *         ... print err, exit 6 ...
 *     ladder_conf_set(c, "preset", "slow", LADDER_CONF_FLAG, NULL, err, sizeof(err));
 *     const ladder_conf_values *v = ladder_conf_get(c);
 *     ladder_conf_close(c);
 *
 * Errors are LADDER_ECONFIG with one line in err naming the key and the
 * file (or variable, or flag) it came from. Unknown keys are errors: a
 * typo must not pass silently.
 */
#ifndef LADDER_CONFIG_H
#define LADDER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LADDER_CONF_PATH_MAX 512
#define LADDER_CONF_ALLOW_MAX 16      /* input_allow entries */

/* What a job does when the devices it may use are all busy. */
typedef enum ladder_when_busy {
    LADDER_WHEN_BUSY_WAIT = 0,        /* wait for a slot of the chosen device */
    LADDER_WHEN_BUSY_CPU,             /* GPUs busy: run on the CPU instead */
    LADDER_WHEN_BUSY_FAIL,            /* give up at once (exit 75: retry later) */
} ladder_when_busy;

const char *ladder_when_busy_name(ladder_when_busy w);

typedef enum ladder_conf_source {
    LADDER_CONF_DEFAULT = 0,
    LADDER_CONF_FILE,
    LADDER_CONF_ENV,
    LADDER_CONF_FLAG,
} ladder_conf_source;

/* The effective values. Strings are "" when unset. */
typedef struct ladder_conf_values {
    char state_dir[LADDER_CONF_PATH_MAX];  /* "" = host_slots' default directory */
    int host_cpu_slots;                    /* 0 = one per core */
    char devices[256];                     /* --devices syntax; "" = "cpu" */
    int gpu_sessions;                      /* per GPU, host-wide; 0 = the GPU's engines */
    char decode_device[64];                /* --decode-device syntax; "" = "cpu" */
    char preset[16];
    double segment_seconds;
    int64_t memory_budget;                 /* bytes; 0 = automatic */
    ladder_when_busy when_busy;
    char tier_file[LADDER_CONF_PATH_MAX];  /* "" = no tiers: every device runs anything */
    int64_t gpu_memory_reserve;            /* routing: bytes kept free on each GPU */
    int64_t small_job_max_pixels;          /* routing: at most this many pixels = small job */
    char allow_protocols[64];              /* input protocols besides file; "" = none */
    int64_t max_pixels;                    /* source limit; 0 = the built-in 4096x2304 */
    int64_t max_memory;                    /* raw-frame cap, bytes; 0 = none */
    char output_root[LADDER_CONF_PATH_MAX]; /* jobs: outputs must be under it */
    int nb_input_allow;                    /* jobs (later): inputs must be under one of these */
    char input_allow[LADDER_CONF_ALLOW_MAX][LADDER_CONF_PATH_MAX];
} ladder_conf_values;

/* One key of the table, for listings and documentation. */
typedef struct ladder_conf_key_info {
    const char *name;             /* as in the file; "routing.x" is key x of "routing" */
    const char *type;             /* "path", "int", "seconds", "size", "enum", ... */
    const char *default_text;     /* "" when the default is "unset" */
    const char *env;              /* environment variable, NULL if none */
    const char *doc;
} ladder_conf_key_info;

typedef struct ladder_conf ladder_conf;

/* A configuration holding the built-in defaults. LADDER_ENOMEM. */
int ladder_conf_init(ladder_conf **out);
void ladder_conf_close(ladder_conf *c);

/*
 * Which file to read: flag_path when given, else $LADDER_CONFIG, else
 * $XDG_CONFIG_HOME/ladder/config.json (or ~/.config/...) when it exists,
 * else /etc/ladder/config.json when it exists. Writes it into buf and
 * returns 1, or returns 0 when there is none (buf ""). A path that was
 * named (flag or variable) is returned whether or not it exists, so that
 * reading it reports the problem.
 */
int ladder_conf_find_file(const char *flag_path, char *buf, size_t size);

/* Read a config file over the current values (source "file:PATH"). */
int ladder_conf_load_file(ladder_conf *c, const char *path, char *err, size_t err_size);

/* The same from text; origin names it in messages ("file:PATH"). */
int ladder_conf_load_text(ladder_conf *c, const char *text, const char *origin, char *err,
                          size_t err_size);

/* Apply every key's environment variable that is set and non-empty. */
int ladder_conf_apply_env(ladder_conf *c, char *err, size_t err_size);

/*
 * Set key (table name, e.g. "preset" or "routing.gpu_memory_reserve") from
 * text, as source; origin names it (NULL: "flag", "env:NAME"...).
 * LADDER_ECONFIG for an unknown key or a bad value.
 */
int ladder_conf_set(ladder_conf *c, const char *key, const char *text, ladder_conf_source source,
                    const char *origin, char *err, size_t err_size);

/* init + find_file + load_file + apply_env in one call. */
int ladder_conf_load(ladder_conf **out, const char *flag_path, char *err, size_t err_size);

const ladder_conf_values *ladder_conf_get(const ladder_conf *c);
/* The file that was read, "" if none. */
const char *ladder_conf_file(const ladder_conf *c);

int ladder_conf_key_count(void);
const ladder_conf_key_info *ladder_conf_key(int i);
/* Where key i's value came from: "default", "file:PATH", "env:NAME", "flag". */
const char *ladder_conf_origin(const ladder_conf *c, int i);
ladder_conf_source ladder_conf_source_of(const ladder_conf *c, int i);
/* Key i's effective value as text (sizes in bytes, lists comma-separated). */
void ladder_conf_format(const ladder_conf *c, int i, char *buf, size_t size);

/*
 * {"file": PATH|null, "keys": {"state_dir": {"value": ..., "source": ...}, ...}}
 * as text; malloc'ed, caller frees; NULL on allocation failure.
 */
char *ladder_conf_json(const ladder_conf *c);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_CONFIG_H */
