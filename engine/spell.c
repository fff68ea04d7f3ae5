/* "Did you mean": see spell.h. */
#include <stdint.h>
#include <string.h>

#include "spell.h"

static int fold(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int spell_distance(const char *a, const char *b, int limit)
{
    enum { MAX = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAX || lb >= MAX)
        return limit + 1;         /* longer than any known word: never a typo */
    if ((la > lb ? la - lb : lb - la) > (size_t)limit)
        return limit + 1;
    int d[MAX][MAX];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = fold(a[i - 1]) != fold(b[j - 1]);
            int best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1]) &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb] > limit ? limit + 1 : d[la][lb];
}

int spell_limit(const char *known)
{
    size_t n = strlen(known);
    return n <= 2 ? 0 : n <= 5 ? 1 : n <= 11 ? 2 : 3;
}

const char *spell_nearest(const char *word, const char *const *list)
{
    const char *found = NULL;
    int best = INT32_MAX;
    for (; *list; list++) {
        int limit = spell_limit(*list);
        int dist = spell_distance(word, *list, limit);
        if (dist <= limit && dist < best) {
            best = dist;
            found = *list;
        }
    }
    return found;
}
