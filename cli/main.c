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
            "  help [COMMAND]           show help (also: ladder COMMAND --help); help exit-codes:\n"
            "                           the exit status of every outcome\n"
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

/* The exit-code table of engine/error.c, one "EXIT<tab>meaning" line per
 * error code, so the README and the queue adapter can be checked against
 * it (adapters/bullmq/test/exit_codes.test.mjs). The codes run from 0 down
 * without a gap: the first one ladder_strerror() names as it names 1 (no
 * code at all) ends them, so a code added to the enum is listed too. */
static int print_exit_codes(void)
{
    const char *unknown = ladder_strerror(1);
    for (int err = 0; strcmp(ladder_strerror(err), unknown); err--)
        printf("%d\t%s\n", ladder_exit_code(err), ladder_strerror(err));
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
            return print_exit_codes();
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
