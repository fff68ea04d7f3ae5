/*
 * Queue job specs (jobs/job_spec.c, ladder_job_spec_parse): JSON from a
 * queue, i.e. from whoever can enqueue. A spec that parses has a safe
 * output name, and a ladder job's "rungs" go through the ladder file
 * parser the way jobs/job_ladder.c hands them on.
 */
#include "fuzz.h"

#include "ladder/error.h"
#include "ladder/job.h"
#include "ladder/ladder_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    ladder_job_spec *spec = NULL;
    char err[256];
    err[0] = '\0';
    int ret = ladder_job_spec_parse(s, &spec, err, sizeof(err));
    if (ret) {
        FUZZ_CHECK(spec == NULL);
        FUZZ_CHECK(err[0] != '\0');
        free(s);
        return 0;
    }
    FUZZ_CHECK(spec && spec->input && spec->output_root && spec->output);
    FUZZ_CHECK(ladder_job_output_name_ok(spec->output));
    FUZZ_CHECK(ladder_job_type_name(spec->type) != NULL);
    for (int i = 0; i < spec->nb_url_allow; i++)
        FUZZ_CHECK(spec->url_allow[i] != NULL);
    ladder_job_input_allowed(spec->input, (const char *const *)spec->url_allow,
                             spec->nb_url_allow, s);
    if (spec->rungs_json) {
        size_t n = strlen(spec->rungs_json) + 16;
        char *text = malloc(n);
        if (text) {
            snprintf(text, n, "{\"rungs\":%s}", spec->rungs_json);
            const char *path = fuzz_write_temp((const uint8_t *)text, strlen(text));
            ladder_rung *rungs = NULL;
            int nb = 0;
            if (path && ladder_config_load_file_options(path, &rungs, &nb, NULL, err, sizeof(err)) == 0)
                FUZZ_CHECK(rungs && nb >= 1);
            free(rungs);
            free(text);
        }
    }
    ladder_job_spec_free(spec);
    free(s);
    return 0;
}
