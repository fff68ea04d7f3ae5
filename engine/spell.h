/*
 * "Did you mean": the nearest known word to a mistyped one. Shared by the
 * job-spec reader (a producer's key a slip away from ladder's), the command
 * line (options, choices) and ladder files.
 */
#ifndef LADDER_ENGINE_SPELL_H
#define LADDER_ENGINE_SPELL_H

/* Edits from a to b (insert, delete, substitute, swap two neighbours; optimal
 * string alignment), case ignored; anything above limit is limit + 1. */
int spell_distance(const char *a, const char *b, int limit);

/* How far a word may be mistyped and still be read as known: short words
 * sit close to many ordinary ones ("id": "uid", "pid"), so only a case slip
 * counts for them. */
int spell_limit(const char *known);

/* The word of the NULL-terminated list nearest to word within its
 * spell_limit (the first of equals), or NULL. */
const char *spell_nearest(const char *word, const char *const *list);

#endif
