/*
 * --devices specs (pool/device_spec.c). Round trip: a list that parses,
 * formatted (as logs and reports show it) and parsed again, is the same
 * list, and formats to the same text.
 */
#include "fuzz.h"

#include "ladder/device_spec.h"
#include "ladder/error.h"

static void check_same(const ladder_device_spec *a, const ladder_device_spec *b)
{
    FUZZ_CHECK(!strcmp(a->name, b->name));
    FUZZ_CHECK(!strcmp(a->kind, b->kind));
    FUZZ_CHECK(a->slots == b->slots);
    for (int c = 0; c < LADDER_CODEC_SLOTS; c++)
        FUZZ_CHECK(!strcmp(a->encoder[c], b->encoder[c]));
    FUZZ_CHECK(!strcmp(a->preset, b->preset));
    FUZZ_CHECK(a->fail_after == b->fail_after && a->fail_for == b->fail_for);
    FUZZ_CHECK(a->gpu == b->gpu);
    FUZZ_CHECK(!strcmp(a->uuid, b->uuid));
    FUZZ_CHECK(a->min_free_bytes == b->min_free_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* The CLI passes the core count; any 1..64 will do. */
    int default_slots = 1 + data[0] % 64;
    char *s = fuzz_cstring(data + 1, size - 1);
    if (!s)
        return 0;
    ladder_device_spec specs[LADDER_MAX_DEVICES], again[LADDER_MAX_DEVICES];
    int nb = 0, nb_again = 0;
    char why[512];
    if (ladder_device_spec_parse(s, default_slots, specs, LADDER_MAX_DEVICES, &nb, why, sizeof(why)) == 0) {
        FUZZ_CHECK(nb >= 1 && nb <= LADDER_MAX_DEVICES);
        char text[16384], text_again[16384];
        ladder_device_spec_format(specs, nb, text, sizeof(text));
        FUZZ_CHECK(strlen(text) + 1 < sizeof(text));
        if (ladder_device_spec_parse(text, default_slots, again, LADDER_MAX_DEVICES, &nb_again, why,
                                     sizeof(why))) {
            fprintf(stderr, "'%s' formats as '%s', which does not parse: %s\n", s, text, why);
            FUZZ_CHECK(!"a formatted list parses");
        }
        FUZZ_CHECK(nb_again == nb);
        for (int i = 0; i < nb; i++)
            check_same(&specs[i], &again[i]);
        ladder_device_spec_format(again, nb_again, text_again, sizeof(text_again));
        FUZZ_CHECK(!strcmp(text, text_again));
    }
    free(s);
    return 0;
}
