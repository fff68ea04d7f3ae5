/*
 * LADDER_API marks libladder's public functions: the ones declared in the
 * installed headers (README "Embedding"). libladder.so is compiled with
 * -fvisibility=hidden, so only these are in its dynamic symbol table;
 * everything else is private to the library (the CLI and the tests link
 * libladder.a, where visibility does not matter). Define LADDER_API
 * before including a ladder header to override it.
 */
#ifndef LADDER_EXPORT_H
#define LADDER_EXPORT_H

#ifndef LADDER_API
#if defined(__GNUC__) || defined(__clang__)
#define LADDER_API __attribute__((visibility("default")))
#else
#define LADDER_API
#endif
#endif

#endif /* LADDER_EXPORT_H */
