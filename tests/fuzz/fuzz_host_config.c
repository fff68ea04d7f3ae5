/*
 * The host config file (policy/config.c, ladder_conf_load_text): JSON an
 * operator writes. Round trip: every key's effective value, formatted as
 * text and set again as a flag, formats the same; and the JSON listing
 * (`ladder config`) is JSON that json-c reads back with every key.
 */
#include "fuzz.h"

#include <json-c/json.h>

#include "policy/config.h"
#include "ladder/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    ladder_conf *c = NULL;
    if (ladder_conf_init(&c)) {
        free(s);
        return 0;
    }
    char err[512];
    err[0] = '\0';
    if (ladder_conf_load_text(c, s, "file:fuzz.json", err, sizeof(err))) {
        FUZZ_CHECK(err[0] != '\0');
    } else {
        for (int i = 0; i < ladder_conf_key_count(); i++) {
            const ladder_conf_key_info *k = ladder_conf_key(i);
            char before[8192], after[8192];
            ladder_conf_format(c, i, before, sizeof(before));
            if (ladder_conf_source_of(c, i) == LADDER_CONF_DEFAULT)
                continue;
            if (ladder_conf_set(c, k->name, before, LADDER_CONF_FLAG, NULL, err, sizeof(err))) {
                fprintf(stderr, "key %s: value '%s' does not set back: %s\n", k->name, before, err);
                FUZZ_CHECK(!"a loaded value formats as text that sets back");
            }
            ladder_conf_format(c, i, after, sizeof(after));
            if (strcmp(before, after))
                fprintf(stderr, "key %s: '%s' became '%s'\n", k->name, before, after);
            FUZZ_CHECK(!strcmp(before, after));
        }
        char *json = ladder_conf_json(c);
        if (json) {
            json_object *root = json_tokener_parse(json);
            FUZZ_CHECK(root != NULL);
            json_object *keys = NULL;
            FUZZ_CHECK(json_object_object_get_ex(root, "keys", &keys));
            FUZZ_CHECK(json_object_object_length(keys) == ladder_conf_key_count());
            json_object_put(root);
            free(json);
        }
    }
    ladder_conf_close(c);
    free(s);
    return 0;
}
