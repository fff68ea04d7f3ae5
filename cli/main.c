/* `ladder`: dispatch to a subcommand. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "bench.h"
#include "commands.h"
#include "encode_help.h"
#include "engine/spell.h"
#include "ladder/ladder.h"

static void usage(FILE *out)
{
    fprintf(out,
            "ladder %s - adaptive-bitrate ladder encoder (HLS, DASH, CMAF)\n"
            "\n"
            "Usage: ladder <command> [options]\n"
            "\n"
            "Commands:\n"
            "  encode INPUT -o DIR  encode INPUT into an HLS/DASH ladder in DIR\n"
            "  probe INPUT          what INPUT is, and what encoding it would cost\n"
            "  bench                benchmark ladder against FFmpeg on the same ladder\n"
            "  devices              this host's devices (CPU, NVIDIA, Intel) and codecs\n"
            "  config               the host configuration and where each value came from\n"
            "  job SPEC.json|-      run one queue job from a JSON spec\n"
            "  help [COMMAND]       help on a command (or: ladder COMMAND --help)\n"
            "  help exit-codes      every exit status and its class (--json)\n"
            "  help man             the ladder(1) man page, in roff\n"
            "  help completion      a bash completion script\n"
            "  version              the version\n"
            "\n"
            "Examples:\n"
            "  ladder encode in.mp4 -o out\n"
            "  ladder probe in.mp4\n"
            "  ladder encode --help\n",
            LADDER_VERSION_STRING);
}

/*
 * Every chunk opens a fresh encoder that allocates tens of MiB (x264's
 * frame buffers are a few MiB each) and frees them a second later. With
 * glibc's defaults such blocks are mmap'ed and unmapped each time, and the
 * next encoder faults them in again, page by page. So blocks up to 32 MiB
 * (glibc refuses a higher threshold: mallopt returns 0 and changes nothing)
 * come from the heap, and freed heap memory is not trimmed back to the
 * kernel. The process owns its allocator policy, so the CLI sets it; the
 * library only gives back what a worker's larger encoder left when the
 * worker moves to a rung of smaller pictures (malloc_trim,
 * engine/encode_worker.c), which this threshold would otherwise keep.
 */
static void tune_allocator(void)
{
    /* Advice: under AddressSanitizer (its own allocator) or another libc
     * both calls are no-ops, and nothing else depends on them. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

/* A JSON string: the table's texts are plain ASCII, but a quote, a
 * backslash or a control character would still come out valid. */
static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* The list for programs, in code order: the BullMQ worker builds its
 * outcomes from it (adapters/bullmq/src/worker.mjs). */
static void print_exit_codes_json(void)
{
    printf("[\n");
    for (int i = 0; i < ladder_error_count(); i++) {
        const ladder_error_info *e = ladder_error_info_at(i);
        printf("  {\"code\": %d, \"name\": ", e->code);
        print_json_string(e->name);
        printf(", \"exit\": %d, \"class\": ", e->exit_status);
        print_json_string(e->exit_class);
        printf(", \"description\": ");
        print_json_string(e->description);
        printf("}%s\n", i + 1 < ladder_error_count() ? "," : "");
    }
    printf("]\n");
}

/* The table for people, by exit status (what a script has in hand), then
 * in code order where several errors share one. */
/* One row; a long meaning goes on under its column, so rows fit 80 columns. */
static void print_exit_row(const ladder_error_info *e)
{
    enum { COLUMN = 42, WIDTH = 80 };
    int col = printf("%4d  %-11s  %-21s", e->exit_status, e->exit_class, e->name);
    const char *text = e->description;
    while (*text) {
        size_t len = strcspn(text, " ");
        if (col > COLUMN && col + 1 + (int)len > WIDTH) {
            col = printf("\n%*s", COLUMN, "") - 1;
        } else {
            col += printf(col == COLUMN ? "" : col < COLUMN ? "  " : " ");
        }
        col += printf("%.*s", (int)len, text);
        text += len;
        while (*text == ' ')
            text++;
    }
    printf("\n");
}

static void print_exit_codes_text(void)
{
    printf("EXIT  CLASS        ERROR                  MEANING\n");
    for (int status = 0; status < 256; status++)
        for (int i = 0; i < ladder_error_count(); i++) {
            const ladder_error_info *e = ladder_error_info_at(i);
            if (e->exit_status == status)
                print_exit_row(e);
        }
}

/*
 * `ladder help exit-codes [--json]`: LADDER_ERROR_TABLE of
 * include/ladder/error.h, one row per error code, each with its exit
 * status and class; adapters/bullmq/test/exit_codes.test.mjs checks the
 * README's table and the worker against it.
 */
static int print_exit_codes(int argc, char **argv)
{
    if (argc > 1 || (argc == 1 && strcmp(argv[0], "--json"))) {
        fprintf(stderr, "ladder help exit-codes: unexpected argument '%s' (only --json)\n", argv[argc - 1]);
        return ladder_exit_code(LADDER_EUSAGE);
    }
    if (argc == 1)
        print_exit_codes_json();
    else
        print_exit_codes_text();
    return 0;
}

static const char *const commands[] = { "encode", "probe", "bench", "devices", "config", "job", "help",
                                       "version", NULL };

/* `ladder help [COMMAND | exit-codes | man | completion]`. */
static int help_command(int argc, char **argv)
{
    static const struct { const char *name; int (*run)(int, char **); } with_help[] = {
        { "encode", cmd_encode }, { "probe", cmd_probe }, { "bench", bench_command },
        { "config", cmd_config }, { "job", cmd_job }, { "devices", cmd_devices },
    };
    if (argc < 1) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(with_help) / sizeof(with_help[0]); i++)
        if (!strcmp(argv[0], with_help[i].name)) {
            char *help_argv[] = { argv[0], "--help", NULL };
            return with_help[i].run(2, help_argv);
        }
    if (!strcmp(argv[0], "exit-codes"))
        return print_exit_codes(argc - 1, argv + 1);
    if (!strcmp(argv[0], "man")) {
        encode_help_man(stdout);
        return 0;
    }
    if (!strcmp(argv[0], "completion")) {
        encode_help_completion(stdout);
        return 0;
    }
    fprintf(stderr, "ladder help: no help on '%s' (commands, exit-codes, man, completion)\n", argv[0]);
    return ladder_exit_code(LADDER_EUSAGE);
}

int main(int argc, char **argv)
{
    tune_allocator();
    /* SVT-AV1 prints a dozen info lines to stderr for every encoder it
     * opens, i.e. every chunk; its SVT_LOG variable is the only switch
     * (1: errors only). The process owns its environment, so the CLI sets
     * it, before any thread exists and only where the user did not. */
    setenv("SVT_LOG", "1", 0);
    /* FFmpeg's own chatter would drown our one-line errors. */
    av_log_set_level(AV_LOG_ERROR);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "encode"))
        return cmd_encode(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench"))
        return bench_command(argc - 1, argv + 1);
    if (!strcmp(cmd, "devices"))
        return cmd_devices(argc - 1, argv + 1);
    if (!strcmp(cmd, "probe"))
        return cmd_probe(argc - 1, argv + 1);
    if (!strcmp(cmd, "config"))
        return cmd_config(argc - 1, argv + 1);
    if (!strcmp(cmd, "job"))
        return cmd_job(argc - 1, argv + 1);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
        return help_command(argc - 2, argv + 2);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("ladder %s\n", LADDER_VERSION_STRING);
        return 0;
    }
    const char *meant = spell_nearest(cmd, commands);
    fprintf(stderr, "ladder: unknown command '%s'%s%s%s (try 'ladder --help')\n", cmd,
            meant ? ": did you mean '" : "", meant ? meant : "", meant ? "'?" : "");
    return ladder_exit_code(LADDER_EUSAGE);
}
