/*
 * The output directory: whose it is, where a run writes, and how a re-run
 * replaces an earlier output (see output_dir.h).
 *
 * Why a staging directory: a re-run rewrites the same names (seg_00001.m4s,
 * init.mp4, the playlists), so writing in place would leave an output that
 * is neither the old one nor the new one from its first segment on, and a
 * failed or stopped re-run would leave it that way. Written beside it, the
 * earlier output stays valid (its playlists name files that exist) until
 * the new one is complete; then each of ladder's names is put in place
 * with rename(2) (a directory exchanged in one step where the file system
 * can), the media first and the journal, ladder's mark, last.
 *
 * Why inside OUTDIR: rename(2) is atomic only within one file system, and
 * OUTDIR's parent may be another one (a mount point), not writable, or
 * reached through a symlink.
 *
 * Why only ladder's names: a directory the caller forced ladder into may
 * hold anything; ladder replaces what it writes and leaves the rest.
 */
#include "output_dir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/resume_journal.h"
#include "ladder/error.h"
#include "mux/atomic_file.h"
#include "session.h"

/*
 * Every name ladder writes at the top of OUTDIR, in the order a commit puts
 * them in place: the media first, then the manifests that name them, the
 * report, and the journal (ladder's mark) last, so OUTDIR holds one at
 * every moment.
 */
static const char *const own_names[] = {
    "video", "audio", "mp4", "master.m3u8", "manifest.mpd", "report.json", LADDER_RESUME_FILE,
};
#define NB_OWN_NAMES (sizeof(own_names) / sizeof(own_names[0]))

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

output_dir_state output_dir_state_of(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR ? OUTPUT_DIR_EMPTY : OUTPUT_DIR_FOREIGN;
    bool empty = true;
    for (struct dirent *e; empty && (e = readdir(d));)
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    if (empty)
        return OUTPUT_DIR_EMPTY;
    /* The job line must read back (a CRC per line): a stray file of that
     * name does not make a directory ladder's. */
    ladder_resume_state *st = NULL;
    int err = ladder_resume_load(dir, &st);
    ladder_resume_state_free(st);
    return err ? OUTPUT_DIR_FOREIGN : OUTPUT_DIR_OURS;
}

output_dir_action output_dir_decide(output_dir_state state, bool resuming, bool force)
{
    if (resuming || state == OUTPUT_DIR_EMPTY)
        return OUTPUT_DIR_IN_PLACE;
    if (state == OUTPUT_DIR_OURS || force)
        return OUTPUT_DIR_STAGED;
    return OUTPUT_DIR_REFUSED;
}

const char *output_dir_final(const ladder_session *s)
{
    return s->final_dir ? s->final_dir : s->output_dir;
}

/* The session writes into dir (owned, taken): every path under it follows. */
static void write_into(ladder_session *s, char *dir)
{
    free(s->output_dir);
    s->output_dir = dir;
    s->job.output_dir = dir;
    for (int i = 0; i < s->nb_rungs; i++)
        snprintf(s->rungs[i].dir, sizeof(s->rungs[i].dir), "%s/video/%s", dir, s->rungs[i].cfg.name);
}

/* From now on the run writes into staging (owned, taken), and OUTDIR is
 * kept to commit to. */
static int stage_into(ladder_session *s, char *staging)
{
    char *final = strdup(s->output_dir);
    if (!final) {
        free(staging);
        return LADDER_ENOMEM;
    }
    s->final_dir = final;
    write_into(s, staging);
    return 0;
}

int output_dir_find_staged(ladder_session *s)
{
    if (!s->job.resume || s->final_dir)
        return 0;
    char *staging = ladder_path_join(s->output_dir, OUTPUT_DIR_STAGING);
    if (!staging)
        return LADDER_ENOMEM;
    /* A real directory only: a symlink there would send the run elsewhere. */
    struct stat st;
    if (lstat(staging, &st) != 0 || !S_ISDIR(st.st_mode) ||
        output_dir_state_of(s->output_dir) != OUTPUT_DIR_OURS ||
        output_dir_state_of(staging) != OUTPUT_DIR_OURS) {
        free(staging);
        return 0;
    }
    session_log(s, LADDER_LOG_INFO, "output '%s': continuing the re-run stopped in %s", s->output_dir,
                OUTPUT_DIR_STAGING);
    return stage_into(s, staging);
}

/* A fresh, empty staging directory (what an earlier re-run left there
 * goes: this run starts over). */
static int fresh_staging(ladder_session *s, const char *staging)
{
    const char *final = output_dir_final(s);
    char *swap = ladder_path_join(final, OUTPUT_DIR_SWAP);
    int err = swap ? 0 : LADDER_ENOMEM;
    if (!err)
        err = ladder_remove_tree(swap);
    if (!err)
        err = ladder_remove_tree(staging);
    if (!err && mkdir(staging, 0777) != 0)
        err = errno == ENOSPC ? LADDER_ENOSPC : LADDER_EOUTPUT;
    free(swap);
    if (err)
        session_fail(s, err, "output directory '%s': cannot make %s in it: %s", final, OUTPUT_DIR_STAGING,
                     ladder_strerror(err));
    return err;
}

static int refuse(ladder_session *s)
{
    session_fail(s, LADDER_EEXIST,
                 "output directory '%s': is not empty and was not made by ladder (no %s journal in it): "
                 "refused, nothing written; use --force to write into it",
                 s->output_dir, LADDER_RESUME_FILE);
    return LADDER_EEXIST;
}

int output_dir_claim(ladder_session *s)
{
    if (s->final_dir) {
        /* Continuing a stopped re-run; its journal was another job's (a job
         * runner's "if same job"): that re-run starts over. */
        return s->resume_state ? 0 : fresh_staging(s, s->output_dir);
    }
    output_dir_state state = output_dir_state_of(s->output_dir);
    output_dir_action act = output_dir_decide(state, s->resume_state != NULL, s->job.force_output);
    if (act == OUTPUT_DIR_REFUSED)
        return refuse(s);
    int err = ladder_mkdir_p(s->output_dir);
    if (!err && access(s->output_dir, W_OK) != 0)
        err = LADDER_EOUTPUT;
    if (err) {
        session_fail(s, err, "output directory '%s': %s", s->output_dir, ladder_strerror(err));
        return err;
    }
    if (act == OUTPUT_DIR_IN_PLACE)
        return 0;
    char *staging = ladder_path_join(s->output_dir, OUTPUT_DIR_STAGING);
    if (!staging)
        return LADDER_ENOMEM;
    err = fresh_staging(s, staging);
    if (err) {
        free(staging);
        return err;
    }
    session_log(s, LADDER_LOG_INFO, "output '%s': %s: writing into %s, put in place when complete",
                s->output_dir, state == OUTPUT_DIR_OURS ? "an earlier output" : "not ladder's (--force)",
                OUTPUT_DIR_STAGING);
    return stage_into(s, staging);
}

/*
 * Every name of own_names from swap into final, in order; a name this run
 * did not make is moved out of final. What was there ends in swap/.old,
 * removed with swap.
 */
static int put_in_place(ladder_session *s, const char *swap, const char *final)
{
    char *old = ladder_path_join(swap, ".old");
    if (!old)
        return LADDER_ENOMEM;
    int err = mkdir(old, 0700) == 0 ? 0 : LADDER_EOUTPUT;
    if (err)
        session_fail(s, err, "output '%s': cannot make %s/.old: %s", final, OUTPUT_DIR_SWAP, strerror(errno));
    for (size_t i = 0; i < NB_OWN_NAMES && !err; i++) {
        char *src = ladder_path_join(swap, own_names[i]), *dst = ladder_path_join(final, own_names[i]), *aside = ladder_path_join(old, own_names[i]);
        if (!src || !dst || !aside)
            err = LADDER_ENOMEM;
        else if (exists(src))
            err = ladder_replace_entry(src, dst, aside);
        else if (exists(dst) && rename(dst, aside) != 0)
            err = LADDER_EOUTPUT;
        if (err)
            session_fail(s, err, "output '%s': putting the new %s in place: %s", final, own_names[i],
                         ladder_strerror(err));
        free(src);
        free(dst);
        free(aside);
    }
    free(old);
    return err;
}

/* What earlier runs left in final beside ladder's names. */
static void remove_leftovers(const char *final)
{
    const char *dirs[] = { OUTPUT_DIR_STAGING, OUTPUT_DIR_SWAP };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char *path = ladder_path_join(final, dirs[i]);
        if (path)
            ladder_remove_tree(path);
        free(path);
    }
    ladder_atomic_remove_dead_temps(final);
}

int output_dir_commit(ladder_session *s)
{
    if (!s->final_dir) {
        remove_leftovers(s->output_dir);
        return 0;
    }
    char *final = s->final_dir;
    char *swap = ladder_path_join(final, OUTPUT_DIR_SWAP);
    if (!swap)
        return LADDER_ENOMEM;
    /* From here on the staging directory is never taken for a stopped
     * re-run to resume: a commit cut short is redone whole by the next run. */
    int err = rename(s->output_dir, swap) == 0 ? 0 : LADDER_EOUTPUT;
    if (err)
        session_fail(s, err, "output '%s': cannot rename %s: %s", final, OUTPUT_DIR_STAGING, strerror(errno));
    if (!err)
        err = put_in_place(s, swap, final);
    if (!err) {
        remove_leftovers(final);
        s->final_dir = NULL;
        write_into(s, final);
    }
    free(swap);
    return err;
}

void output_dir_close(ladder_session *s)
{
    free(s->final_dir);
    s->final_dir = NULL;
}
