/* `ladder bench`'s options: usage text, parsing, the synthetic input spec. */
#include "bench_options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_commands.h"

static void bench_usage(FILE *out)
{
    fprintf(out,
        "Usage: ladder bench [--input FILE | --synthetic 1080p30:20s] [--ladder FILE]\n"
        "                    [--codec h264|hevc|av1] [--runs N] [--quick] [--out DIR]\n"
        "\n"
        "Encode the same ladder with the same settings (preset, bitrate or CRF,\n"
        "GOP = segment, no scene-cut, closed GOP) with ladder and with FFmpeg's CLI,\n"
        "alternating the systems run by run, and report wall time, CPU, peak RSS,\n"
        "encode fps, bytes and PSNR/SSIM per rung, the scaling with CPU slots and the\n"
        "physical CPU limit.\n"
        "\n"
        "Systems: ladder (default slots), ladder --no-helpers, ladder --devices cpu:N\n"
        "for N = 1..cores (the default count is not repeated), FFmpeg in one process\n"
        "(decode once, split + scale, one output per rung), FFmpeg one process per\n"
        "rung in parallel.\n"
        "\n"
        "Input and ladder:\n"
        "  --input FILE       the source to encode\n"
        "  --synthetic SPEC   generate a source with ffmpeg (testsrc2 + sine, cached):\n"
        "                     <height>p<fps>:<seconds>s, e.g. 1080p30:20s or\n"
        "                     360p30000/1001:3s (default 1080p30:20s)\n"
        "  --ladder FILE      JSON ladder file, as for ladder encode (default: ladder\n"
        "                     encode's default ladder for the source: 1080p 5000k,\n"
        "                     720p 3000k, 480p 1400k, 360p 800k, 240p 400k, rungs\n"
        "                     above the source dropped)\n"
        "  --codec NAME       h264 (default), hevc or av1 (libx264, libx265, libsvtav1)\n"
        "  --preset NAME      encoder preset for every system (default veryfast)\n"
        "\n"
        "Runs:\n"
        "  --runs N           rounds: runs per system (default 3)\n"
        "  --slots LIST       slot counts for the scaling curve, e.g. 1,2,4\n"
        "                     (default 1..cores)\n"
        "  --quick            smoke test: 3 s 360p input, the default ladder's 2\n"
        "                     smallest rungs (640x360 800k, 426x240 400k), 1 run each;\n"
        "                     checks that everything works, judges no speed\n"
        "  --ffmpeg CMD       the FFmpeg to compare with (default: ffmpeg from PATH): a\n"
        "                     program or wrapper script, or a command split at blanks,\n"
        "                     e.g. \"DIR/lib64/ld-linux-x86-64.so.2 --library-path LIBS\n"
        "                     DIR/usr/bin/ffmpeg\" (scripts/ffmpeg-chroot.sh makes such\n"
        "                     wrappers); it also makes the synthetic input\n"
        "\n"
        "Output:\n"
        "  -o, --out DIR      results directory (default\n"
        "                     benches/results/bench-<date>-<time>): report.html,\n"
        "                     bench.json, summary.md, wall.svg, scaling.svg,\n"
        "                     quality.svg, rd.svg\n"
        "  --cache DIR        where synthetic inputs are kept (default\n"
        "                     $XDG_CACHE_HOME/ladder/bench or ~/.cache/ladder/bench)\n"
        "  --keep             keep every run's outputs under DIR/work\n"
        "  -h, --help         this help\n"
        "\n"
        "Exit status: 0 every run and check passed; 1 a command failed or an output\n"
        "check failed (the problems are listed in bench.json); 2 usage; 3 input\n"
        "missing; 4 input invalid; 5 no video; 6 bad ladder; 7 DIR not writable;\n"
        "10 codec not supported; 130 cancelled.\n");
}

enum {
    OPT_INPUT = 256, OPT_SYNTHETIC, OPT_LADDER, OPT_CODEC, OPT_PRESET, OPT_RUNS, OPT_SLOTS,
    OPT_QUICK, OPT_FFMPEG, OPT_CACHE, OPT_KEEP,
};

static const struct option bench_options[] = {
    { "input", required_argument, NULL, OPT_INPUT },
    { "synthetic", required_argument, NULL, OPT_SYNTHETIC },
    { "ladder", required_argument, NULL, OPT_LADDER },
    { "codec", required_argument, NULL, OPT_CODEC },
    { "preset", required_argument, NULL, OPT_PRESET },
    { "runs", required_argument, NULL, OPT_RUNS },
    { "slots", required_argument, NULL, OPT_SLOTS },
    { "quick", no_argument, NULL, OPT_QUICK },
    { "ffmpeg", required_argument, NULL, OPT_FFMPEG },
    { "out", required_argument, NULL, 'o' },
    { "cache", required_argument, NULL, OPT_CACHE },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};


static int parse_int(const char *text, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi || text[0] == ' ' || text[0] == '+')
        return -1;
    *out = (int)v;
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "<height>p<fps>:<seconds>[s]"; the width is 16:9, even. */
static int parse_synthetic(const char *text, synth_spec *s)
{
    memset(s, 0, sizeof(*s));
    if (strlen(text) >= sizeof(s->text) || !is_digit(text[0]))
        return -1;
    snprintf(s->text, sizeof(s->text), "%s", text);
    char *end;
    long h = strtol(text, &end, 10);
    if (*end != 'p' || h < 16 || h > 4320 || h % 2)
        return -1;
    const char *rate = end + 1, *colon = strchr(rate, ':');
    size_t len = colon ? (size_t)(colon - rate) : 0;
    if (!len || len >= sizeof(s->rate))
        return -1;
    memcpy(s->rate, rate, len);
    /* The rate: "30", "29.97" or "30000/1001", digits only around / and . */
    double fps;
    char *slash = strchr(s->rate, '/');
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s->rate[i]) && s->rate[i] != '/' && s->rate[i] != '.')
            return -1;
    if (slash) {
        long num = strtol(s->rate, &end, 10), den;
        if (end != slash || !is_digit(slash[1]) || strchr(slash, '.'))
            return -1;
        den = strtol(slash + 1, &end, 10);
        if (*end || den <= 0)
            return -1;
        fps = (double)num / (double)den;
    } else {
        fps = strtod(s->rate, &end);
        if (*end || s->rate[len - 1] == '.')
            return -1;
    }
    if (!(fps >= 1 && fps <= 240))
        return -1;
    const char *dur = colon + 1;
    if (!is_digit(dur[0]))
        return -1;
    s->seconds = strtod(dur, &end);
    if (*end == 's')
        end++;
    if (*end || !(s->seconds > 0 && s->seconds <= 3600))
        return -1;
    s->height = (int)h;
    /* 16:9 rounded to the nearest even width: 480p -> 854, 240p -> 426. */
    s->width = 2 * (int)lround((double)h * 8 / 9);
    return 0;
}

static int parse_slots(const char *text, bench_opts *o)
{
    o->nb_slots = 0;
    char buf[512];
    if (strlen(text) >= sizeof(buf))
        return -1;
    snprintf(buf, sizeof(buf), "%s", text);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (o->nb_slots == BENCH_MAX_SLOT_COUNTS || parse_int(t, 1, 256, &o->slots[o->nb_slots]))
            return -1;
        o->nb_slots++;
    }
    return o->nb_slots ? 0 : -1;
}

static bool known_preset(const char *codec, const char *preset)
{
    static const char *const names[] = {
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
        "veryslow", "placebo",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(names[i], preset))
            return true;
    int n;
    return !strcmp(codec, "av1") && !parse_int(preset, 0, 13, &n);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

int bench_options_set_ffmpeg(bench_opts *o, const char *text)
{
    o->ffmpeg = text;
    memset(o->ffmpeg_argv, 0, sizeof(o->ffmpeg_argv));
    bool blank = false;
    for (const char *c = text; *c; c++)
        blank |= is_blank(*c);
    struct stat st;
    /* An existing file is taken whole: a path may hold spaces. */
    if (!blank || !stat(text, &st)) {
        o->ffmpeg_argv[0] = text;
        return text[0] ? 0 : -1;
    }
    if (strlen(text) >= sizeof(o->ffmpeg_buf))
        return -1;
    snprintf(o->ffmpeg_buf, sizeof(o->ffmpeg_buf), "%s", text);
    int n = 0;
    for (char *c = o->ffmpeg_buf; *c;) {
        while (is_blank(*c))
            *c++ = '\0';
        if (!*c)
            break;
        if (n == BENCH_MAX_FFMPEG_WORDS)
            return -1;
        o->ffmpeg_argv[n++] = c;
        while (*c && !is_blank(*c))
            c++;
    }
    return n ? 0 : -1;
}

/* Returns -1 to go on, else the exit status (usage printed, or an error line). */
int bench_options_parse(bench_opts *o, int argc, char **argv)
{
    *o = (bench_opts){ .codec = "h264", .preset = "veryfast", .runs = 0 };
    bench_options_set_ffmpeg(o, "ffmpeg");
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+o:h", bench_options, NULL)) != -1) {
        switch (c) {
        case 'h': bench_usage(stdout); return BENCH_EXIT_OK;
        case 'o': o->out = optarg; break;
        case OPT_INPUT: o->input = optarg; break;
        case OPT_SYNTHETIC:
            o->synthetic = optarg;
            if (parse_synthetic(optarg, &o->synth)) {
                fprintf(stderr, "ladder bench: --synthetic '%s': expected <height>p<fps>:<seconds>s, "
                                "e.g. 1080p30:20s or 360p30000/1001:3s\n", optarg);
                return BENCH_EXIT_USAGE;
            }
            break;
        case OPT_LADDER: o->ladder_file = optarg; break;
        case OPT_CODEC:
            if (!bench_codec_encoder(optarg)) {
                fprintf(stderr, "ladder bench: --codec '%s': expected h264, hevc or av1\n", optarg);
                return BENCH_EXIT_USAGE;
            }
            o->codec = optarg;
            break;
        case OPT_PRESET: o->preset = optarg; break;
        case OPT_RUNS:
            if (parse_int(optarg, 1, 1000, &o->runs)) {
                fprintf(stderr, "ladder bench: --runs '%s': expected a number of runs from 1 to 1000\n", optarg);
                return BENCH_EXIT_USAGE;
            }
            break;
        case OPT_SLOTS:
            if (parse_slots(optarg, o)) {
                fprintf(stderr, "ladder bench: --slots '%s': expected slot counts from 1 to 256, "
                                "e.g. 1,2,4\n", optarg);
                return BENCH_EXIT_USAGE;
            }
            break;
        case OPT_QUICK: o->quick = true; break;
        case OPT_FFMPEG:
            if (bench_options_set_ffmpeg(o, optarg)) {
                fprintf(stderr, "ladder bench: --ffmpeg '%s': expected a program, a wrapper script or a "
                                "command of at most %d words\n", optarg, BENCH_MAX_FFMPEG_WORDS);
                return BENCH_EXIT_USAGE;
            }
            break;
        case OPT_CACHE: o->cache = optarg; break;
        case OPT_KEEP: o->keep = true; break;
        default:
            fprintf(stderr, "ladder bench: unknown or incomplete option '%s' (try 'ladder bench --help')\n",
                    argv[optind - 1]);
            return BENCH_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ladder bench: unexpected argument '%s' (the source is given with --input)\n",
                argv[optind]);
        return BENCH_EXIT_USAGE;
    }
    if (o->input && o->synthetic) {
        fprintf(stderr, "ladder bench: use either --input or --synthetic, not both\n");
        return BENCH_EXIT_USAGE;
    }
    if (!known_preset(o->codec, o->preset)) {
        fprintf(stderr, "ladder bench: --preset '%s': expected ultrafast, superfast, veryfast, faster, "
                        "fast, medium, slow, slower, veryslow or placebo\n", o->preset);
        return BENCH_EXIT_USAGE;
    }
    /* --quick sets what was not given; explicit options win. */
    if (!o->input && !o->synthetic)
        parse_synthetic(o->quick ? "360p30000/1001:3s" : "1080p30:20s", &o->synth);
    if (!o->runs)
        o->runs = o->quick ? 1 : 3;
    return -1;
}
