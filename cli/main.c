/* `ladder`: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

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
            "  help [COMMAND]           show help (also: ladder COMMAND --help)\n"
            "  version                  print the version\n"
            "\n"
            "Exit status: 0 ok, 1 internal error, 2 usage, 3 input missing, 4 input invalid,\n"
            "5 no video stream, 6 bad ladder, 7 output not writable, 8 encoder failure,\n"
            "9 disk full, 10 unsupported codec, 130 cancelled.\n"
            "\n"
            "Run 'ladder encode --help' for the encode options.\n",
            LADDER_VERSION_STRING);
}

int main(int argc, char **argv)
{
    /* FFmpeg's own chatter would drown our one-line errors. */
    av_log_set_level(AV_LOG_ERROR);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "encode"))
        return cmd_encode(argc - 1, argv + 1);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (argc > 2 && !strcmp(argv[2], "encode")) {
            char *help_argv[] = { "encode", "--help", NULL };
            return cmd_encode(2, help_argv);
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
