/*
 * The resume journal: what a resumed run keeps of an interrupted one.
 * Segment files are written here with known bytes; the journal is then
 * torn, altered and contradicted the ways a killed run or a stray edit
 * would leave it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ladder/error.h"
#include "engine/resume_journal.h"

#define TRACK "video/360p"

typedef struct fixture {
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/ladder-journal-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char path[128];
    snprintf(path, sizeof(path), "%s/video", f->dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s", f->dir, TRACK);
    mkdir(path, 0755);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* Segment n of the track: a file of 100 + n bytes, and its record. */
static ladder_cmaf_segment make_segment(const fixture *f, int n)
{
    uint8_t data[256];
    size_t len = 100 + (size_t)n;
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(n * 7 + i);
    ladder_cmaf_segment seg = {
        .number = n,
        .start = (int64_t)(n - 1) * 30720,
        .duration = 30720,
        .seconds = 2.0,
        .bytes = len,
        .nb_samples = 60,
        .timescale = 15360,
        .first_sample_offset = 0,
        .first_sample_length = 50,
        .decode_time = (uint64_t)(n - 1) * 30720,
        .decode_duration = 30720,
        .crc32 = ladder_crc32(data, len),
        .dts_shift = 1024,
        .track_start = 0,
    };
    snprintf(seg.uri, sizeof(seg.uri), "seg_%05d.m4s", n);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s/%s", f->dir, TRACK, seg.uri);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
    return seg;
}

static int kept_count(const fixture *f)
{
    ladder_resume_state *st = NULL;
    assert_int_equal(ladder_resume_load(f->dir, &st), 0);
    ladder_cmaf_segment *segs = NULL;
    int nb = -1;
    assert_int_equal(ladder_resume_kept(st, f->dir, TRACK, &segs, &nb), 0);
    for (int i = 0; i < nb; i++)
        assert_int_equal(segs[i].number, i + 1);
    free(segs);
    ladder_resume_state_free(st);
    return nb;
}

static void journal_with(const fixture *f, int nb_segments)
{
    ladder_resume_journal *j = NULL;
    assert_int_equal(ladder_resume_journal_create(&j, f->dir, "input a.mp4\nrung 360p crf 23", NULL, 0), 0);
    for (int n = 1; n <= nb_segments; n++) {
        ladder_cmaf_segment seg = make_segment(f, n);
        assert_int_equal(ladder_resume_journal_add(j, TRACK, &seg), 0);
    }
    assert_int_equal(ladder_resume_journal_event(j, "stopped", "signal"), 0);
    ladder_resume_journal_close(j);
}

static char *journal_text(const fixture *f, size_t *len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", f->dir, LADDER_RESUME_FILE);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = calloc(1, 65536);
    *len = fread(buf, 1, 65535, fp);
    fclose(fp);
    return buf;
}

static void put_journal_text(const fixture *f, const char *text, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", f->dir, LADDER_RESUME_FILE);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    fclose(fp);
}

static void test_crc32_is_zlibs(void **state)
{
    (void)state;
    assert_int_equal(ladder_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
    uint32_t c = ladder_crc32_update(UINT32_MAX, (const uint8_t *)"1234", 4);
    c = ladder_crc32_update(c, (const uint8_t *)"56789", 5);
    assert_int_equal(c ^ UINT32_MAX, 0xcbf43926u);
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    journal_with(f, 3);
    ladder_resume_state *st = NULL;
    assert_int_equal(ladder_resume_load(f->dir, &st), 0);
    assert_string_equal(st->fingerprint, "input a.mp4\nrung 360p crf 23");
    assert_int_equal(st->nb_records, 3);
    assert_int_equal(st->stops, 1);
    assert_int_equal(st->ignored_lines, 0);
    ladder_cmaf_segment *segs = NULL;
    int nb = 0;
    assert_int_equal(ladder_resume_kept(st, f->dir, TRACK, &segs, &nb), 0);
    assert_int_equal(nb, 3);
    ladder_cmaf_segment want = make_segment(f, 2);
    assert_memory_equal(&segs[1], &want, sizeof(want));
    free(segs);
    /* Another track has nothing. */
    assert_int_equal(ladder_resume_kept(st, f->dir, "video/720p", &segs, &nb), 0);
    assert_int_equal(nb, 0);
    assert_null(segs);
    ladder_resume_state_free(st);

    /* A new journal that keeps two of them starts with exactly those. */
    ladder_resume_record keep[2] = { { .track = TRACK, .seg = make_segment(f, 1) },
                                     { .track = TRACK, .seg = make_segment(f, 2) } };
    ladder_resume_journal *j = NULL;
    assert_int_equal(ladder_resume_journal_create(&j, f->dir, "job 2", keep, 2), 0);
    ladder_resume_journal_close(j);
    assert_int_equal(ladder_resume_load(f->dir, &st), 0);
    assert_string_equal(st->fingerprint, "job 2");
    assert_int_equal(st->nb_records, 2);
    assert_int_equal(st->stops, 0);
    ladder_resume_state_free(st);
}

/* A run killed while writing a line leaves it without its newline. */
static void test_torn_last_line_is_ignored(void **state)
{
    fixture *f = *state;
    journal_with(f, 3);
    size_t len;
    char *text = journal_text(f, &len);
    /* Cut in the middle of the last segment line, drop the event. */
    char *last_seg = text;
    for (int i = 0; i < 3; i++)
        last_seg = strchr(last_seg, '\n') + 1;
    size_t cut = (size_t)(last_seg - text) + 40;
    put_journal_text(f, text, cut);
    assert_int_equal(kept_count(f), 2);
    free(text);
}

/* An altered line (its CRC no longer matches) and every line after it are
 * not trusted. */
static void test_altered_line_stops_trust(void **state)
{
    fixture *f = *state;
    journal_with(f, 4);
    size_t len;
    char *text = journal_text(f, &len);
    char *second = strchr(strchr(text, '\n') + 1, '\n') + 1;   /* segment 2's line */
    char *digit = strstr(second, "\"bytes\":") + 8;
    *digit = *digit == '1' ? '2' : '1';
    put_journal_text(f, text, len);
    ladder_resume_state *st = NULL;
    assert_int_equal(ladder_resume_load(f->dir, &st), 0);
    assert_int_equal(st->nb_records, 1);
    assert_int_equal(st->ignored_lines, 4);    /* segments 2-4 and the event */
    ladder_resume_state_free(st);
    assert_int_equal(kept_count(f), 1);
    free(text);
}

/* The files decide too: a missing or changed segment ends what is kept. */
static void test_files_must_match(void **state)
{
    fixture *f = *state;
    journal_with(f, 4);
    assert_int_equal(kept_count(f), 4);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s/seg_00003.m4s", f->dir, TRACK);
    /* Same size, other bytes. */
    FILE *fp = fopen(path, "r+b");
    fputc('X', fp);
    fclose(fp);
    assert_int_equal(kept_count(f), 2);
    unlink(path);
    assert_int_equal(kept_count(f), 2);
    snprintf(path, sizeof(path), "%s/%s/seg_00001.m4s", f->dir, TRACK);
    assert_int_equal(truncate(path, 10), 0);
    assert_int_equal(kept_count(f), 0);
}

/* A segment written again (a resumed run redoing it) counts as its last
 * record says; a gap in the numbers ends the run of kept segments, and so
 * does a decode time that does not continue the one before. */
static void test_last_record_wins_and_gaps_end(void **state)
{
    fixture *f = *state;
    ladder_resume_journal *j = NULL;
    assert_int_equal(ladder_resume_journal_create(&j, f->dir, "job", NULL, 0), 0);
    ladder_cmaf_segment s1 = make_segment(f, 1), s2 = make_segment(f, 2), s4 = make_segment(f, 4);
    ladder_cmaf_segment stale = s2;
    stale.crc32 ^= 1;
    assert_int_equal(ladder_resume_journal_add(j, TRACK, &stale), 0);
    assert_int_equal(ladder_resume_journal_add(j, TRACK, &s1), 0);
    assert_int_equal(ladder_resume_journal_add(j, TRACK, &s2), 0);
    assert_int_equal(ladder_resume_journal_add(j, TRACK, &s4), 0);
    ladder_resume_journal_close(j);
    assert_int_equal(kept_count(f), 2);

    ladder_cmaf_segment s3 = make_segment(f, 3);
    s3.decode_time += 1;
    assert_int_equal(ladder_resume_journal_create(&j, f->dir, "job", NULL, 0), 0);
    assert_int_equal(ladder_resume_journal_add(j, TRACK, &s1), 0);
    assert_int_equal(ladder_resume_journal_add(j, TRACK, &s2), 0);
    assert_int_equal(ladder_resume_journal_add(j, TRACK, &s3), 0);
    ladder_resume_journal_close(j);
    assert_int_equal(kept_count(f), 2);
}

static void test_bad_journals(void **state)
{
    fixture *f = *state;
    ladder_resume_state *st = NULL;
    assert_int_equal(ladder_resume_load(f->dir, &st), LADDER_EINPUT_MISSING);
    put_journal_text(f, "", 0);
    assert_int_equal(ladder_resume_load(f->dir, &st), LADDER_EINPUT_INVALID);
    put_journal_text(f, "not a journal\n", 14);
    assert_int_equal(ladder_resume_load(f->dir, &st), LADDER_EINPUT_INVALID);
    /* A segment line naming a track outside the output is not a record. */
    const char *t = "{\"t\":\"seg\",\"track\":\"video/../../etc\",\"n\":1}";
    assert_int_equal(ladder_resume_parse(t, strlen(t), &st), LADDER_EINPUT_INVALID);
    ladder_resume_journal *j = NULL;
    assert_int_equal(ladder_resume_journal_add(j, TRACK, NULL), LADDER_EINVAL);
    assert_int_equal(ladder_resume_journal_create(&j, f->dir, "job", NULL, 0), 0);
    ladder_cmaf_segment s1 = make_segment(f, 1);
    assert_int_equal(ladder_resume_journal_add(j, "video/../x", &s1), 0);
    assert_int_equal(ladder_resume_journal_add(j, TRACK, &s1), 0);
    ladder_resume_journal_close(j);
    assert_int_equal(ladder_resume_load(f->dir, &st), 0);
    assert_int_equal(st->nb_records, 0);       /* the bad line ends trust */
    ladder_resume_state_free(st);
}

static void test_fingerprint_diff(void **state)
{
    (void)state;
    char buf[256];
    assert_int_equal(ladder_resume_fingerprint_diff("a\nb\nc", "a\nb\nc", buf, sizeof(buf)), 0);
    assert_int_equal(ladder_resume_fingerprint_diff("a\nrung 360p crf 23\nc", "a\nrung 360p crf 25\nc", buf,
                                                    sizeof(buf)),
                     1);
    assert_string_equal(buf, "'rung 360p crf 23' became 'rung 360p crf 25'");
    assert_int_equal(ladder_resume_fingerprint_diff("a", "a\nrung 1080p", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "'' became 'rung 1080p'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_is_zlibs),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_line_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_line_stops_trust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_must_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_record_wins_and_gaps_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_journals, setup, teardown),
        cmocka_unit_test(test_fingerprint_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
