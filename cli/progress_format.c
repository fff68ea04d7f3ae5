/*
 * The text of the progress view; see progress_format.h. Every function
 * writes into the caller's buffer and owns nothing.
 */
#include "progress_format.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void progress_format_duration(char *buf, size_t size, double seconds)
{
    /* Beyond 9999 hours a figure says nothing an unknown would not. */
    if (!isfinite(seconds) || seconds < 0 || seconds >= 9999.0 * 3600) {
        snprintf(buf, size, "--:--");
        return;
    }
    long long s = (long long)seconds;
    long long h = s / 3600, m = s / 60 % 60, sec = s % 60;
    if (h)
        snprintf(buf, size, "%lld:%02lld:%02lld", h, m, sec);
    else
        snprintf(buf, size, "%lld:%02lld", m, sec);
}

void progress_format_span(char *buf, size_t size, double seconds)
{
    if (!isfinite(seconds) || seconds < 0)
        snprintf(buf, size, "?");
    else if (seconds < 59.95)
        snprintf(buf, size, "%.1f s", seconds);
    else
        progress_format_duration(buf, size, seconds);
}

void progress_format_speed(char *buf, size_t size, double speed)
{
    if (!isfinite(speed) || speed < 0)
        snprintf(buf, size, "?x");
    else if (speed < 9.995)
        snprintf(buf, size, "%.2fx", speed);
    else if (speed < 99.95)
        snprintf(buf, size, "%.1fx", speed);
    else
        snprintf(buf, size, "%.0fx", speed);
}

void progress_format_bar(char *buf, size_t size, int width, double fraction)
{
    if (size < 3) {
        if (size)
            buf[0] = '\0';
        return;
    }
    if (width < 0)
        width = 0;
    if ((size_t)width > size - 3)
        width = (int)(size - 3);
    if (!(fraction > 0))          /* NaN too */
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    int fill = (int)(fraction * width);
    buf[0] = '[';
    for (int k = 0; k < width; k++)
        buf[1 + k] = k < fill ? '#' : '.';
    buf[1 + width] = ']';
    buf[2 + width] = '\0';
}

int progress_columns(const char *text)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        n += (*p & 0xC0) != 0x80;  /* continuation bytes take no column */
    return n;
}

int progress_fit(char *text, int cols)
{
    if (cols < 0)
        cols = 0;
    int n = 0;
    for (unsigned char *p = (unsigned char *)text; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        if (n == cols) {
            *p = '\0';
            break;
        }
        n++;
    }
    return n;
}

int progress_wrapped_lines(int columns, int width)
{
    if (columns <= 0 || width <= 0)
        return 1;
    return (columns + width - 1) / width;
}

double progress_rung_fraction(const ladder_rung_progress *p)
{
    if (p->state == LADDER_RUNG_COMPLETED)
        return 1;
    int64_t total = p->frames_total > p->frames_done ? p->frames_total : p->frames_done;
    if (total <= 0 || p->frames_done <= 0)
        return 0;
    return (double)p->frames_done / (double)total;
}

void progress_total_of(const ladder_rung_progress *rows, int nb_rows, double elapsed, progress_total *out)
{
    memset(out, 0, sizeof(*out));
    out->elapsed = elapsed;
    double work_done = 0, work_total = 0;
    for (int i = 0; i < nb_rows; i++) {
        const ladder_rung_progress *p = &rows[i];
        /* A frame of a big rung costs more than one of a small rung: the
         * pixels per frame weigh it, so the total moves with the work. */
        double pixels = p->width > 0 && p->height > 0 ? (double)p->width * p->height : 1;
        double total = (double)(p->frames_total > p->frames_done ? p->frames_total : p->frames_done);
        work_done += pixels * total * progress_rung_fraction(p);
        work_total += pixels * total;
        if (p->frame_rate > 0 && total / p->frame_rate > out->media_total)
            out->media_total = total / p->frame_rate;
        out->rungs++;
        out->completed += p->state == LADDER_RUNG_COMPLETED;
        out->failed += p->state == LADDER_RUNG_FAILED;
    }
    out->fraction = work_total > 0 ? work_done / work_total : 0;
    if (out->rungs && out->completed == out->rungs)
        out->fraction = 1;
    if (out->fraction > 1)
        out->fraction = 1;
    out->media_done = out->fraction * out->media_total;
    out->speed = elapsed > 0 && out->media_done > 0 ? out->media_done / elapsed : -1;
    if (out->fraction >= 1)
        out->eta = 0;
    else if (out->fraction > 0 && elapsed > 0)
        out->eta = elapsed * (1 - out->fraction) / out->fraction;
    else
        out->eta = -1;
}

progress_layout progress_layout_for(int width, int name_width)
{
    progress_layout l;
    /* The last column stays empty: a row that fills it leaves some
     * terminals' cursor waiting to wrap, and the next line lands wrong. */
    l.cols = width > 21 ? width - 1 : 20;
    l.name_width = name_width < 5 ? 5 : name_width > 16 ? 16 : name_width;
    /* What is left after the fixed columns (name, size, brackets,
     * percentage: name_width + 20) and 40 for the fields after them. */
    int room = l.cols - (l.name_width + 20);
    l.bar_width = room - 40;
    if (l.bar_width > 40)
        l.bar_width = 40;
    /* At least 10 cells; on a very narrow terminal what the percentage
     * leaves (3 at least), so it still shows. */
    if (l.bar_width < 10)
        l.bar_width = room < 10 ? (room < 3 ? 3 : room) : 10;
    return l;
}

/* Name, size column, bar and percentage, cut to the layout. */
static void format_head(char *buf, size_t size, const progress_layout *l, const char *name, const char *dims,
                        double fraction)
{
    char bar[64];
    progress_format_bar(bar, sizeof(bar), l->bar_width, fraction);
    snprintf(buf, size, "%-*.*s %9s %s %5.1f%%", l->name_width, l->name_width, name, dims, bar, fraction * 100);
    progress_fit(buf, l->cols);
}

/* Append field when it fits whole; false once one did not (the rest is
 * left out too, so the columns of every row stay in step). */
static bool add_field(char *buf, size_t size, const progress_layout *l, bool fits, const char *field)
{
    if (!fits)
        return false;
    size_t used = strlen(buf);
    if (progress_columns(buf) + progress_columns(field) > l->cols || used + strlen(field) >= size)
        return false;
    memcpy(buf + used, field, strlen(field) + 1);
    return true;
}

void progress_format_rung(char *buf, size_t size, const progress_layout *l, const ladder_rung_progress *p)
{
    char dims[24], field[64];
    snprintf(dims, sizeof(dims), "%dx%d", p->width, p->height);
    format_head(buf, size, l, p->name ? p->name : "?", dims, progress_rung_fraction(p));
    snprintf(field, sizeof(field), "  %-10s", ladder_rung_state_name(p->state));
    bool fits = add_field(buf, size, l, true, field);
    snprintf(field, sizeof(field), p->fps < 999.95 ? "  %5.1f fps" : "  %5.0f fps", p->fps > 0 ? p->fps : 0);
    fits = add_field(buf, size, l, fits, field);
    snprintf(field, sizeof(field), "  %-8s", p->device ? p->device : "-");
    fits = add_field(buf, size, l, fits, field);
    int64_t total = p->frames_total > p->frames_done ? p->frames_total : p->frames_done;
    snprintf(field, sizeof(field), "  %lld/%lld frames", (long long)p->frames_done, (long long)total);
    add_field(buf, size, l, fits, field);
    /* No trailing blanks: a padded last field would only fill the line. */
    size_t n = strlen(buf);
    while (n && buf[n - 1] == ' ')
        buf[--n] = '\0';
}

void progress_format_total(char *buf, size_t size, const progress_layout *l, const progress_total *t)
{
    char a[32], b[32], field[96];
    format_head(buf, size, l, "total", "", t->fraction);
    progress_format_speed(a, sizeof(a), t->speed);
    snprintf(field, sizeof(field), "  %s realtime", a);
    bool fits = add_field(buf, size, l, true, field);
    progress_format_duration(a, sizeof(a), t->eta);
    snprintf(field, sizeof(field), "  ETA %s", a);
    fits = add_field(buf, size, l, fits, field);
    progress_format_duration(a, sizeof(a), t->elapsed);
    snprintf(field, sizeof(field), "  elapsed %s", a);
    fits = add_field(buf, size, l, fits, field);
    progress_format_duration(a, sizeof(a), t->media_done);
    progress_format_duration(b, sizeof(b), t->media_total > 0 ? t->media_total : -1);
    snprintf(field, sizeof(field), "  media %s/%s", a, b);
    add_field(buf, size, l, fits, field);
}
