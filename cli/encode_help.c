/* `ladder encode`'s help from the option table: see encode_help.h. */
#include <string.h>

#include "encode_help.h"
#include "engine/job_options.h"

#define WIDTH 80                  /* every help line fits a standard terminal */
#define TEXT_COLUMN 24            /* where an option's description starts */

static const char *const examples[][2] = {
    { "ladder encode in.mp4 -o out", "the default ladder, HLS and DASH" },
    { "ladder encode in.mp4 -o out --rung x720:3000k --rung x360:800k", "two rungs" },
    { "ladder encode in.mov -o out --codec hevc --format hls,mp4", "HEVC; HLS and MP4" },
    { "ladder encode in.mp4 -o out --ladder samples/ladders/default.json", "a ladder file" },
    { "ladder encode in.mp4 -o out --resume", "go on after an interruption" },
};

static bool shown(const job_option *row, bool all)
{
    return row->flag && !(row->flags & JOB_OPT_HIDDEN) && (all || (row->flags & JOB_OPT_BASIC));
}

void help_wrap(FILE *out, const char *text, int at, int indent)
{
    int col = at;
    while (*text) {
        while (*text == ' ')
            text++;
        size_t len = strcspn(text, " ");
        if (!len)
            break;
        if (col > indent && col + 1 + (int)len > WIDTH - 1) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", (int)len, text);
        col += (int)len;
        text += len;
    }
    fputc('\n', out);
}

/* "--segment SECONDS" or "-o, --output DIR" into buf. */
static int flag_words(const job_option *row, char *buf, size_t size)
{
    char s[8] = "";
    if (row->short_flag)
        snprintf(s, sizeof(s), "-%c, ", row->short_flag);
    return snprintf(buf, size, "%s--%s%s%s", s, row->flag, row->metavar ? " " : "",
                    row->metavar ? row->metavar : "");
}

/* Where else an option may be written: --help-all only. */
static void where_else(const job_option *row, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    const char *parts[3][2] = { { "ladder file", row->file_key }, { "job spec", row->spec_key },
                                { "config", row->conf_key } };
    for (int i = 0; i < 3; i++) {
        if (!parts[i][1])
            continue;
        int w = snprintf(buf + used, size - used, "%s%s \"%s\"", used ? ", " : " [also: ", parts[i][0],
                         parts[i][1]);
        if (w > 0 && (size_t)w < size - used)
            used += (size_t)w;
    }
    if (used && used + 1 < size)
        strcat(buf, "]");
}

static void print_option(FILE *out, const job_option *row, bool all)
{
    char words[96], text[1400], also[160] = "";
    int len = flag_words(row, words, sizeof(words));
    if (all)
        where_else(row, also, sizeof(also));
    snprintf(text, sizeof(text), "%s%s%s%s%s", all ? row->help : row->brief, row->default_text ? " (default " : "",
             row->default_text ? row->default_text : "", row->default_text ? ")" : "", also);
    if (len + 2 + 2 > TEXT_COLUMN) {
        fprintf(out, "  %s\n%*s", words, TEXT_COLUMN, "");
    } else {
        fprintf(out, "  %-*s", TEXT_COLUMN - 2, words);
    }
    help_wrap(out, text, TEXT_COLUMN, TEXT_COLUMN);
}

/* A group's title up to its parenthesis, for the short help. */
static const char *strtok_group(const char *group)
{
    static char title[96];
    snprintf(title, sizeof(title), "%.*s", (int)strcspn(group, "("), group);
    size_t n = strlen(title);
    while (n && title[n - 1] == ' ')
        title[--n] = '\0';
    return title;
}

void encode_help_print(FILE *out, bool all)
{
    fprintf(out, "Usage: ladder encode INPUT -o DIR [options]\n\n");
    help_wrap(out, "Decode INPUT once and encode every rung of the ladder as CMAF segments, with HLS playlists "
              "(DIR/master.m3u8), a DASH manifest (DIR/manifest.mpd) and DIR/report.json.", 0, 0);
    /* Group by group, in the order the table first names them. */
    for (int g = 0; g < job_option_count(); g++) {
        const char *group = job_option_at(g)->group;
        bool first = true, seen = false;
        for (int i = 0; i < g; i++)
            seen |= !strcmp(job_option_at(i)->group, group);
        for (int i = g; i < job_option_count() && !seen; i++) {
            const job_option *row = job_option_at(i);
            if (strcmp(row->group, group) || !shown(row, all))
                continue;
            if (first)
                fprintf(out, "\n%s:\n", all ? group : strtok_group(group));
            first = false;
            print_option(out, row, all);
        }
    }
    if (!all) {
        fprintf(out, "\nExamples:\n");
        for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
            fprintf(out, "  %s\n      %s\n", examples[i][0], examples[i][1]);
        fprintf(out, "\nEvery option: ladder encode --help-all. Exit codes: ladder help exit-codes.\n");
    }
}

/* roff needs its own escapes for '-' and '\'. */
static void roff(FILE *out, const char *text)
{
    for (; *text; text++) {
        if (*text == '-' || *text == '\\')
            fputc('\\', out);
        fputc(*text, out);
    }
}

void encode_help_man(FILE *out)
{
    fprintf(out, ".TH LADDER 1 \"\" \"ladder\" \"User Commands\"\n.SH NAME\nladder \\- adaptive\\-bitrate "
                 "ladder encoder (HLS, DASH, CMAF)\n.SH SYNOPSIS\n.B ladder encode\nINPUT \\-o DIR [options]\n"
                 ".br\n.B ladder\nprobe|devices|config|job|bench|help ...\n.SH DESCRIPTION\nDecode INPUT once "
                 "and encode every rung of the ladder as CMAF segments with HLS playlists, a DASH manifest and "
                 "report.json.\n.SH OPTIONS\n");
    const char *group = NULL;
    char words[96], also[160];
    for (int i = 0; i < job_option_count(); i++) {
        const job_option *row = job_option_at(i);
        if (!shown(row, true))
            continue;
        if (!group || strcmp(group, row->group)) {
            group = row->group;
            fprintf(out, ".SS ");
            roff(out, group);
            fputc('\n', out);
        }
        flag_words(row, words, sizeof(words));
        where_else(row, also, sizeof(also));
        fprintf(out, ".TP\n.B ");
        roff(out, words);
        fputc('\n', out);
        roff(out, row->help);
        if (row->default_text) {
            fprintf(out, " (default ");
            roff(out, row->default_text);
            fputc(')', out);
        }
        roff(out, also);
        fputc('\n', out);
    }
    fprintf(out, ".SH EXIT STATUS\nSee\n.B ladder help exit\\-codes\n.SH SEE ALSO\nREADME.md, docs/ in the "
                 "source tree.\n");
}

void encode_help_completion(FILE *out)
{
    fprintf(out, "# bash completion for ladder (generated by `ladder help completion`)\n_ladder()\n{\n"
                 "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
                 "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
                 "        COMPREPLY=($(compgen -W \"encode probe devices config job bench help\" -- \"$cur\"))\n"
                 "        return\n    fi\n    case $prev in\n");
    for (int i = 0; i < job_option_count(); i++) {
        const job_option *row = job_option_at(i);
        if (!shown(row, true) || !row->metavar)
            continue;
        fprintf(out, "        --%s) ", row->flag);
        if (row->choices) {
            fprintf(out, "COMPREPLY=($(compgen -W \"");
            for (int c = 0; row->choices[c].name; c++)
                fprintf(out, "%s%s", c ? " " : "", row->choices[c].name);
            fprintf(out, "\" -- \"$cur\")); return ;;\n");
        } else {
            fprintf(out, "COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
        }
    }
    fprintf(out, "    esac\n    COMPREPLY=($(compgen -W \"");
    for (int i = 0, n = 0; i < job_option_count(); i++)
        if (shown(job_option_at(i), true))
            fprintf(out, "%s--%s", n++ ? " " : "", job_option_at(i)->flag);
    fprintf(out, "\" -- \"$cur\"))\n    [ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- \"$cur\"))\n}\n"
                 "complete -F _ladder ladder\n");
}
