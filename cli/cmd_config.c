/*
 * `ladder config [--json] [--config FILE] [--KEY VALUE...]`: the effective
 * host configuration and where each value came from (default, file:PATH,
 * env:NAME, flag). A flag is a key with '-' for '_' and without its
 * "routing." prefix (--host-cpu-slots 4, --gpu-memory-reserve 1G), so the
 * command shows what a run given those flags would use.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "host_config.h"
#include "encode_help.h"
#include "policy/config.h"
#include "ladder/error.h"

/* A size in bytes as its largest exact binary unit: 536870912 -> 512M, as
 * the configuration and the flags write sizes. */
static void human_size(char *value, size_t size)
{
    char *end;
    long long bytes = strtoll(value, &end, 10);
    if (end == value || *end || bytes <= 0)
        return;
    static const char units[] = "KMGT";
    int u = -1;
    while (u < 3 && bytes % 1024 == 0) {
        bytes /= 1024;
        u++;
    }
    if (u >= 0)
        snprintf(value, size, "%lld%c", bytes, units[u]);
}

static void config_usage(FILE *out)
{
    fprintf(out,
        "Usage: ladder config [--json] [--config FILE] [--KEY VALUE...]\n"
        "\n"
        "Print the effective host configuration: every key, its value and where it came\n"
        "from (default, file:PATH, env:NAME, flag). Precedence: default < config file <\n"
        "environment < flag. The file is --config FILE, else $LADDER_CONFIG, else\n"
        "$XDG_CONFIG_HOME/ladder/config.json (~/.config/...), else\n"
        "/etc/ladder/config.json.\n"
        "--KEY VALUE sets a key as a flag would (key with '-' for '_', routing keys\n"
        "without \"routing.\": --host-cpu-slots 4, --gpu-memory-reserve 1G).\n"
        "\n"
        "Keys:\n");
    for (int i = 0; i < ladder_conf_key_count(); i++) {
        const ladder_conf_key_info *k = ladder_conf_key(i);
        char text[1024];
        snprintf(text, sizeof(text), "%s (default %s%s%s)", k->doc, k->default_text[0] ? k->default_text : "unset",
                 k->env ? "; env " : "", k->env ? k->env : "");
        fprintf(out, "  %s\n      ", k->name);
        help_wrap(out, text, 6, 6);
    }
    fprintf(out,
        "\n"
        "  --json       one JSON document: {\"file\", \"keys\": {KEY: {value, source, env}}}\n"
        "  -h, --help   this help\n"
        "\n"
        "Exit status: 0, 2 usage, 6 bad configuration (one line naming the key and file).\n");
}

/* "--host-cpu-slots" -> index of "host_cpu_slots"; "--gpu-memory-reserve" -> "routing.gpu_memory_reserve". */
static int key_for_flag(const char *flag)
{
    char name[96];
    if (strncmp(flag, "--", 2) || strlen(flag + 2) >= sizeof(name))
        return -1;
    snprintf(name, sizeof(name), "%s", flag + 2);
    for (char *p = name; *p; p++)
        if (*p == '-')
            *p = '_';
    for (int i = 0; i < ladder_conf_key_count(); i++) {
        const char *k = ladder_conf_key(i)->name;
        const char *dot = strchr(k, '.');
        if (!strcmp(k, name) || (dot && !strcmp(dot + 1, name)))
            return i;
    }
    return -1;
}

int cmd_config(int argc, char **argv)
{
    bool json = false;
    /* Check the arguments before reading anything: a usage error is 2 whatever the file says. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            config_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strncmp(argv[i], "--config=", 9)) {
            continue;
        } else if ((!strcmp(argv[i], "--config") || key_for_flag(argv[i]) >= 0)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ladder: config: %s needs a value\n", argv[i]);
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "ladder: config: unknown option '%s' (try 'ladder config --help')\n", argv[i]);
            return 2;
        }
    }
    ladder_conf *conf;
    int status = host_config_load(&conf, argc, argv);
    if (status)
        return status;
    for (int i = 1; i < argc; i++) {
        int k = key_for_flag(argv[i]);
        if (k < 0 || i + 1 >= argc)
            continue;
        char err[1024], origin[128];
        snprintf(origin, sizeof(origin), "flag %s", argv[i]);
        int ret = ladder_conf_set(conf, ladder_conf_key(k)->name, argv[i + 1], LADDER_CONF_FLAG, "flag", err,
                                  sizeof(err));
        if (ret) {
            /* "flag: key preset: ..." -> name the flag itself. */
            fprintf(stderr, "ladder: %s%s\n", origin, err + strlen("flag"));
            ladder_conf_close(conf);
            return ladder_exit_code(ret);
        }
        i++;
    }
    if (json) {
        char *text = ladder_conf_json(conf);
        if (!text) {
            ladder_conf_close(conf);
            fprintf(stderr, "ladder: config: %s\n", ladder_strerror(LADDER_ENOMEM));
            return ladder_exit_code(LADDER_ENOMEM);
        }
        puts(text);
        free(text);
    } else {
        printf("config file: %s\n", ladder_conf_file(conf)[0] ? ladder_conf_file(conf) : "(none)");
        for (int i = 0; i < ladder_conf_key_count(); i++) {
            char value[2048];
            ladder_conf_format(conf, i, value, sizeof(value));
            if (!strcmp(ladder_conf_key(i)->type, "size"))
                human_size(value, sizeof(value));
            printf("%-28s %-14s %s\n", ladder_conf_key(i)->name, value[0] ? value : "(unset)",
                   ladder_conf_origin(conf, i));
        }
    }
    ladder_conf_close(conf);
    return 0;
}
