/*
 * Regression replay: runs one fuzz target's LLVMFuzzerTestOneInput over
 * every file under the directories (or files) given, the way libFuzzer
 * runs a corpus, so the normal gcc and ASan builds check every kept seed
 * and crash reproducer without clang (ctest fuzz.replay.<name>). A failed
 * property aborts, which ctest reports; the file being run is printed
 * first so the failure names it. A directory that does not exist is
 * skipped: most targets have no regressions yet.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t grown_cap = cap ? cap * 2 : 4096;
            uint8_t *grown = realloc(buf, grown_cap);
            if (!grown) {
                free(buf);
                fclose(f);
                fprintf(stderr, "replay: %s: out of memory\n", path);
                return -1;
            }
            buf = grown;
            cap = grown_cap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        fprintf(stderr, "replay: %s: read error\n", path);
        return -1;
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    /* libFuzzer hands a target an exact-size heap copy; so do we, so that
     * ASan sees a read one past the end. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    if (n)
        memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files and subdirectories in name order, so that runs are repeatable. */
static int replay_path(const char *path, int *count)
{
    struct stat st;
    if (stat(path, &st))
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) {
        if (replay_file(path))
            return -1;
        ++*count;
        return 0;
    }
    DIR *d = opendir(path);
    if (!d)
        return -1;
    char **names = NULL;
    size_t nb = 0;
    int ret = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;             /* ".", "..", editors' and git's hidden files */
        char **grown = realloc(names, (nb + 1) * sizeof(*names));
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        char *full = grown ? malloc(len) : NULL;
        if (grown)
            names = grown;
        if (!full) {
            ret = -1;
            break;
        }
        snprintf(full, len, "%s/%s", path, e->d_name);
        names[nb++] = full;
    }
    closedir(d);
    if (!ret && nb)
        qsort(names, nb, sizeof(*names), compare_names);
    for (size_t i = 0; i < nb; i++) {
        if (!ret)
            ret = replay_path(names[i], count);
        free(names[i]);
    }
    free(names);
    return ret;
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; i++) {
        if (replay_path(argv[i], &count)) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            return 1;
        }
    }
    printf("replay: %d inputs ran clean\n", count);
    return 0;
}
