/* The files `margin check` analyses: the paths the user named, and the *.py
 * files under the named directories minus what .gitignore files and the
 * default exclusions (.git, __pycache__, virtual environments, ...) skip. */
#ifndef MG_WALK_H
#define MG_WALK_H

#include <stdbool.h>
#include <stddef.h>

/* One file to check, or one path that could not be looked at. */
struct walk_entry {
    char *path;  /* as the user gave it, or joined from a directory they gave */
    char *error; /* NULL, or a whole message for stderr (no newline) */
    bool named;  /* the user named this file: checked whatever its extension */
};

struct walk_list {
    struct walk_entry *items;
    size_t n, cap;
};

void walk_list_init(struct walk_list *l);
/* Frees every path and message. */
void walk_list_release(struct walk_list *l);

/* Add the files `path` stands for: the path itself when it is not a
 * directory, else the *.py files found under it. Symbolic links to
 * directories inside the tree are not followed. Problems (a missing path,
 * an unreadable directory) become entries with `error` set; a file or
 * directory that vanishes while it is walked is silently left out. */
void walk_add(struct walk_list *l, const char *path);

/* Sort by walk_path_cmp() and drop repeated paths (the first entry of a
 * path is kept). */
void walk_list_sort(struct walk_list *l);

/* Order of paths, component by component: as strcmp(), except that '/'
 * sorts before every other byte, so "a/b.py" < "a-b.py" < "a.py". */
int walk_path_cmp(const char *a, const char *b);

/* gitignore(5) glob match of `pattern` against `path` (relative, '/'
 * separated): '*' and '?' never match '/', "[...]" classes (with '!' or '^'
 * negation, ranges and [:alpha:]-style names), '\' escapes, and "**" as a
 * whole component matches any number of directories. */
bool walk_glob_match(const char *pattern, const char *path);

/* The patterns of one .gitignore file. */
struct walk_ignore;

/* Parse the text of a .gitignore (need not be NUL-terminated). Never NULL. */
struct walk_ignore *walk_ignore_new(const char *text, size_t len);
void walk_ignore_free(struct walk_ignore *ig);
/* How the last pattern that matches `path` (relative to the .gitignore's
 * directory) decides: 1 ignored, -1 re-included by a "!" pattern, 0 no
 * pattern matches. `is_dir` enables the patterns ending in '/'. */
int walk_ignore_match(const struct walk_ignore *ig, const char *path, bool is_dir);

#endif
