/*
 * `ladder encode`'s command line (encode_options.h). argv is read in two
 * passes: the first only finds each argument's row and value, so --help
 * works whatever the configuration says and the ladder file named by a
 * flag can be read before the flags are applied over it; the second applies
 * the sources in precedence order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode_help.h"
#include "encode_options.h"
#include "engine/ladder_file.h"
#include "engine/spell.h"
#include "host_config.h"
#include "ladder/error.h"

#define EXIT_USAGE 2

typedef struct flag_use {
    const job_option *row;
    const char *value;            /* NULL for a switch */
} flag_use;

typedef struct argv_scan {
    flag_use *uses;               /* argc entries at most */
    int nb_uses;
    const char *ladder_file;
    bool rungs_given;
    int help;
} argv_scan;

/* FFmpeg's habits, and the ladder way to say the same. */
static const struct { const char *ffmpeg, *ladder; } habits[] = {
    { "-crf", "quality is per rung: --rung WxH:crfN (e.g. --rung x720:crf23)" },
    { "-b:v", "bitrates are per rung: --rung WxH:RATE (e.g. --rung x720:3000k)" },
    { "-s", "sizes are per rung: --rung WxH:RATE (e.g. --rung 1280x720:3000k)" },
    { "-vf", "sizes are per rung: --rung WxH:RATE; ladder scales each rung itself" },
    { "-c:v", "--codec h264|hevc|av1" },
    { "-vcodec", "--codec h264|hevc|av1" },
    { "-codec:v", "--codec h264|hevc|av1" },
    { "-c:a", "--audio-codec aac|opus" },
    { "-acodec", "--audio-codec aac|opus" },
    { "-b:a", "--audio-bitrate KBPS" },
    { "-an", "--no-audio" },
    { "-preset", "--preset NAME" },
    { "-hls_time", "--segment SECONDS" },
    { "-f", "--format hls,dash,mp4" },
    { "-g", "GOPs follow the segments: --segment SECONDS" },
    { "-r", "a rung's frame-rate cap: --rung WxH:RATE:fps=30" },
    { "-threads", "--devices cpu:N" },
};

/* The command whose argv is read: "encode", or "probe" (same options). */
static const char *command = "encode";

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "ladder: %s: ", command);
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, " (try 'ladder %s --help')\n", command);
    return EXIT_USAGE;
}

static int unknown_long(const char *arg, size_t len)
{
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) - 1 ? len : sizeof(name) - 1), arg);
    const char *flags[128];
    int n = 0;
    for (int i = 0; i < job_option_count() && n < 127; i++)
        if (job_option_at(i)->flag && !(job_option_at(i)->flags & JOB_OPT_HIDDEN))
            flags[n++] = job_option_at(i)->flag;
    flags[n] = NULL;
    const char *meant = spell_nearest(name, flags);
    if (meant)
        return usage_error("unknown option '--%s': did you mean --%s?", name, meant);
    return usage_error("unknown option '--%s'%s", name, "");
}

static int habit(const char *arg)
{
    for (size_t i = 0; i < sizeof(habits) / sizeof(habits[0]); i++)
        if (!strcmp(arg, habits[i].ffmpeg))
            return usage_error("'%s' is an FFmpeg option; in ladder: %s", arg, habits[i].ladder);
    return 0;
}

static bool takes_value(const job_option *row)
{
    return row->type != JOB_OPT_SWITCH && row->type != JOB_OPT_COUNT;
}

static void note_use(argv_scan *s, const job_option *row, const char *value)
{
    s->uses[s->nb_uses++] = (flag_use){ row, value };
    if (!strcmp(row->name, "ladder"))
        s->ladder_file = value;
    s->rungs_given |= row->type == JOB_OPT_RUNG;
    if (!strcmp(row->name, "help") || !strcmp(row->name, "help_all"))
        s->help = row->switch_value > s->help ? row->switch_value : s->help;
}

/* "--name", "--name=value", "--name value". */
static int scan_long(argv_scan *s, int argc, char **argv, int *i)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), arg);
    const job_option *row = len < 63 ? job_option_by_flag(name) : NULL;
    if (!row)
        return unknown_long(arg, len);
    const char *value = eq ? eq + 1 : NULL;
    if (takes_value(row) && !value) {
        if (*i + 1 >= argc)
            return usage_error("--%s needs a value (%s)", row->flag, row->metavar ? row->metavar : "VALUE");
        value = argv[++*i];
    } else if (!takes_value(row) && value) {
        return usage_error("--%s takes no value (got '%s')", row->flag, value);
    }
    note_use(s, row, value);
    return 0;
}

/* "-o DIR", "-oDIR", "-vv", and -i INPUT as FFmpeg users write it. */
static int scan_short(argv_scan *s, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    int code = habit(arg);
    if (code)
        return code;
    if (!strcmp(arg, "-i")) {
        if (*i + 1 >= argc)
            return usage_error("-i needs a value (%s)", "INPUT", "");
        note_use(s, job_option_by_name("input"), argv[++*i]);
        return 0;
    }
    for (const char *c = arg + 1; *c; c++) {
        const job_option *row = job_option_by_short(*c);
        if (!row)
            return usage_error("unknown option '%s'%s", arg, c == arg + 1 ? "" : " (in a group of short options)");
        if (!takes_value(row)) {
            note_use(s, row, NULL);
            continue;
        }
        const char *value = c[1] ? c + 1 : NULL;
        if (!value && *i + 1 >= argc)
            return usage_error("-%s needs a value (%s)", (char[]){ *c, 0 }, row->metavar ? row->metavar : "VALUE");
        note_use(s, row, value ? value : argv[++*i]);
        return 0;
    }
    return 0;
}

static int scan_argv(argv_scan *s, int argc, char **argv)
{
    bool input_seen = false, options_end = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int code = 0;
        if (!options_end && !strcmp(arg, "--"))
            options_end = true;
        else if (!options_end && !strncmp(arg, "--", 2))
            code = scan_long(s, argc, argv, &i);
        else if (!options_end && arg[0] == '-' && arg[1])
            code = scan_short(s, argc, argv, &i);
        else if (!input_seen)
            note_use(s, job_option_by_name("input"), arg);
        else
            code = usage_error("unexpected argument '%s': the input is '%s'", arg, s->uses[0].value);
        if (code)
            return code;
        input_seen |= s->nb_uses > 0 && !strcmp(s->uses[s->nb_uses - 1].row->name, "input");
    }
    return 0;
}

/* Host configuration rows into the table, each with its own source. */
static int apply_host_config(encode_request *req, const ladder_conf *conf)
{
    char text[600], err[1024];
    for (int k = 0; k < ladder_conf_key_count(); k++) {
        ladder_conf_source src = ladder_conf_source_of(conf, k);
        const job_option *row = NULL;
        for (int i = 0; i < job_option_count() && !row; i++)
            if (job_option_at(i)->conf_key && !strcmp(job_option_at(i)->conf_key, ladder_conf_key(k)->name))
                row = job_option_at(i);
        if (!row || src == LADDER_CONF_DEFAULT)
            continue;
        ladder_conf_format(conf, k, text, sizeof(text));
        int ret = job_options_set(req->options, row, text, src == LADDER_CONF_ENV ? JOB_OPT_ENV : JOB_OPT_CONFIG,
                                  ladder_conf_origin(conf, k), err, sizeof(err));
        if (ret) {
            fprintf(stderr, "ladder: %s\n", err);
            return ladder_exit_code(LADDER_ECONFIG);
        }
    }
    return 0;
}

static int load_host_config(encode_request *req, int argc, char **argv)
{
    ladder_conf *conf = NULL;
    int status = host_config_load(&conf, argc, argv);
    if (status)
        return status;
    req->host = *ladder_conf_get(conf);
    status = apply_host_config(req, conf);
    ladder_conf_close(conf);
    if (status)
        return status;
    /* A bad tier file is a bad configuration: refuse it now rather than
     * route around it silently. */
    ladder_tiers *tiers = NULL;
    status = host_config_tiers(&req->host, &tiers);
    ladder_tiers_close(tiers);
    return status;
}

static int load_ladder_file(encode_request *req, const char *path)
{
    ladder_rung *rungs = NULL;
    int nb = 0;
    char err[768];
    int ret = ladder_file_load(path, &rungs, &nb, req->options, err, sizeof(err));
    if (!ret)
        ret = job_options_set_rungs(req->options, rungs, nb, JOB_OPT_FILE, "ladder file");
    free(rungs);
    if (ret) {
        fprintf(stderr, "ladder: %s\n", err);
        return ladder_exit_code(ret == LADDER_EINPUT_MISSING ? LADDER_ECONFIG : ret);
    }
    return 0;
}

static int apply_flags(encode_request *req, const argv_scan *s)
{
    char err[768];
    for (int i = 0; i < s->nb_uses; i++) {
        const job_option *row = s->uses[i].row;
        int ret = job_options_set(req->options, row, s->uses[i].value, JOB_OPT_FLAG, NULL, err, sizeof(err));
        if (!ret)
            continue;
        fprintf(stderr, "ladder: %s\n", err);
        if (ret == LADDER_ECONFIG && !(row->flags & JOB_OPT_CONFIG_ERROR))
            return EXIT_USAGE;
        return ladder_exit_code(ret);
    }
    return 0;
}

int encode_options_parse(encode_request *req, int argc, char **argv)
{
    command = req->command ? req->command : "encode";
    argv_scan s = { .uses = calloc((size_t)argc + 1, sizeof(flag_use)) };
    if (!s.uses || job_options_init(&req->options)) {
        free(s.uses);
        fprintf(stderr, "ladder: out of memory\n");
        return ladder_exit_code(LADDER_ENOMEM);
    }
    int code = scan_argv(&s, argc, argv);
    if (!code && s.help) {
        encode_help_print(stdout, s.help > 1);
        code = 0;
    } else if (!code && s.ladder_file && s.rungs_given) {
        fprintf(stderr, "ladder: use either --ladder or --rung, not both\n");
        code = EXIT_USAGE;
    } else if (!code) {
        code = load_host_config(req, argc, argv);
        if (!code && s.ladder_file)
            code = load_ladder_file(req, s.ladder_file);
        if (!code)
            code = apply_flags(req, &s);
        const job_option_values *v = job_options_values(req->options);
        if (!code && (!v->input || (!v->output && !req->no_output)))
            code = usage_error("%s%s", !v->input ? "missing INPUT" : "missing -o OUTDIR", "");
        if (!code)
            code = -1;
    }
    free(s.uses);
    return code;
}

void encode_options_log(const job_options *o)
{
    char text[160];
    for (int i = 0; i < job_option_count(); i++) {
        const job_option *row = job_option_at(i);
        if (job_options_source(o, row) == JOB_OPT_DEFAULT || !row->flag || !strcmp(row->name, "verbose"))
            continue;
        job_options_format(o, row, text, sizeof(text));
        fprintf(stderr, "ladder: option --%s %s (%s)\n", row->flag, text, job_options_origin(o, row));
    }
}
