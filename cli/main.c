/* `ladder`: dispatch to a subcommand. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "bench.h"
#include "commands.h"
#include "ladder/ladder.h"

static void usage(FILE *out)
{
    fprintf(out,
            "ladder %s - multi-device HLS/CMAF adaptive-bitrate ladder encoder\n"
            "\n"
            "Usage: ladder <command> [options]\n"
            "\n"
            "Commands:\n"
            "  encode INPUT -o OUTDIR   encode INPUT into an HLS/CMAF ladder in OUTDIR\n"
            "  probe INPUT [--json]     what INPUT is, and what encoding it would produce and cost\n"
            "  bench [options]          benchmark ladder against FFmpeg's CLI on the same ladder\n"
            "  devices [--json]         list this host's devices (CPU, NVIDIA, Intel) and their codecs\n"
            "  config [--json]          the effective host configuration and where each value came from\n"
            "  job SPEC.json|-          run one queue job (proxy, thumbnail, filmstrip, conform, trim,\n"
            "                           ladder) from a JSON spec; JSON lines on stdout\n"
            "  help [COMMAND]           show help (also: ladder COMMAND --help); help exit-codes\n"
            "                           [--json]: the exit status and class of every outcome\n"
            "  version                  print the version\n"
            "\n"
            "Exit status: 'ladder help exit-codes' lists every one (README.md, Exit codes).\n"
            "\n"
            "Run 'ladder encode --help', 'ladder probe --help', 'ladder devices --help' or\n"
            "'ladder bench --help' for their options.\n",
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
 * library does not touch it.
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
static void print_exit_codes_text(void)
{
    printf("EXIT  CLASS        ERROR                  MEANING\n");
    for (int status = 0; status < 256; status++)
        for (int i = 0; i < ladder_error_count(); i++) {
            const ladder_error_info *e = ladder_error_info_at(i);
            if (e->exit_status == status)
                printf("%4d  %-11s  %-21s  %s\n", status, e->exit_class, e->name, e->description);
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
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (argc > 2 && !strcmp(argv[2], "encode")) {
            char *help_argv[] = { "encode", "--help", NULL };
            return cmd_encode(2, help_argv);
        }
        if (argc > 2 && !strcmp(argv[2], "probe")) {
            char *help_argv[] = { "probe", "--help", NULL };
            return cmd_probe(2, help_argv);
        }
        if (argc > 2 && !strcmp(argv[2], "bench")) {
            char *help_argv[] = { "bench", "--help", NULL };
            return bench_command(2, help_argv);
        }
        if (argc > 2 && !strcmp(argv[2], "config")) {
            char *help_argv[] = { "config", "--help", NULL };
            return cmd_config(2, help_argv);
        }
        if (argc > 2 && !strcmp(argv[2], "job")) {
            char *help_argv[] = { "job", "--help", NULL };
            return cmd_job(2, help_argv);
        }
        if (argc > 2 && !strcmp(argv[2], "exit-codes"))
            return print_exit_codes(argc - 3, argv + 3);
        if (argc > 2 && !strcmp(argv[2], "devices")) {
            char *help_argv[] = { "devices", "--help", NULL };
            return cmd_devices(2, help_argv);
        }
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("ladder %s\n", LADDER_VERSION_STRING);
        return 0;
    }
    fprintf(stderr, "ladder: unknown command '%s' (try 'ladder --help')\n", cmd);
    return 2;
}
