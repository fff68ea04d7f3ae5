/*
 * A program that embeds libladder through its installed headers and
 * pkg-config only (README "Embedding"): tests/api/public_api.sh builds it
 * against a `cmake --install` of this build, once linked to libladder.so
 * and once to libladder.a, and runs it with a scratch directory. It only
 * uses what the public headers declare, so a function an embedder needs
 * that libladder.so does not export fails the link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ladder/device_inventory.h>
#include <ladder/device_spec.h>
#include <ladder/error.h>
#include <ladder/job.h>
#include <ladder/ladder.h>
#include <ladder/ladder_config.h>
#include <ladder/lease_pool.h>

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "embed.c:%d: %s\n", __LINE__, #cond);         \
            return 1;                                                     \
        }                                                                 \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: embed SCRATCH_DIR\n");
        return 2;
    }
    char why[256] = "";

    ladder_rung *rungs = NULL;
    int nb_rungs = 0;
    CHECK(ladder_config_default_ladder(1920, 1080, &rungs, &nb_rungs) == 0 && nb_rungs == 5);
    free(rungs);
    ladder_rung rung;
    CHECK(ladder_config_parse_rung("x720:3000k", &rung, why, sizeof(why)) == 0 && rung.height == 720);

    ladder_device_spec devices[4];
    int nb_devices = 0;
    CHECK(ladder_device_spec_parse("cpu:2", 0, devices, 4, &nb_devices, why, sizeof(why)) == 0);
    CHECK(nb_devices == 1 && devices[0].slots == 2);

    ladder_lease_pool *pool = NULL;
    CHECK(ladder_lease_pool_init_cpu(&pool, 2) == 0 && ladder_lease_pool_capacity(pool) == 2);
    ladder_lease lease;
    CHECK(ladder_lease_pool_try_acquire(pool, &lease) == 0);
    ladder_lease_pool_release(pool, &lease);

    CHECK(ladder_exit_code(LADDER_ECONFIG) == 6 && ladder_strerror(LADDER_ECONFIG)[0]);
    CHECK(!strcmp(ladder_device_kind_name(LADDER_DEVICE_CPU), "cpu"));

    ladder_job_spec *spec = NULL;
    CHECK(ladder_job_spec_parse("{\"type\":\"proxy\",\"input\":\"in.mp4\",\"output_root\":\"/tmp\","
                                "\"output\":\"out\"}", &spec, why, sizeof(why)) == 0);
    CHECK(spec->type == LADDER_JOB_PROXY);
    ladder_job_spec_free(spec);

    /* A session on the shared pool whose input is not there: it is set up
     * and run through the public calls, and fails as documented. */
    char input[512];
    snprintf(input, sizeof(input), "%s/missing.mp4", argv[1]);
    ladder_job job;
    ladder_job_defaults(&job);
    job.input = input;
    job.output_dir = argv[1];
    job.lease_pool = pool;
    ladder_session *session = NULL;
    int err = ladder_session_init(&session, &job, NULL);
    if (!err) {
        err = ladder_session_run(session);
        ladder_session_close(session);
    }
    CHECK(err == LADDER_EINPUT_MISSING);
    ladder_lease_pool_close(pool);
    return 0;
}
