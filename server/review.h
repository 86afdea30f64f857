/* Reviewing the change, not the file: which lines of a file differ from a
 * review base (a git ref), read with git run through libuv's process API
 * (never a shell, always with a time limit), kept as line maps that follow
 * the edits made since. */
#ifndef MG_REVIEW_H
#define MG_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "config.h"
#include "pos.h"

/* The changed lines of one file: sorted, disjoint, non-adjacent ranges of
 * 0-based line numbers, both ends inclusive; or the whole file. */
struct rv_range {
    uint32_t first, last;
};

struct rv_lines {
    struct rv_range *items;
    size_t n, cap;
    bool whole; /* every line counts as changed (a file git does not know) */
};

void rv_lines_init(struct rv_lines *m);
void rv_lines_release(struct rv_lines *m);
void rv_lines_copy(struct rv_lines *dst, const struct rv_lines *src); /* dst: released first */
/* Mark lines [first, last] changed (merging with neighbours). */
void rv_lines_add(struct rv_lines *m, uint32_t first, uint32_t last);
/* Whether any line of [first, last] is changed. */
bool rv_lines_touches(const struct rv_lines *m, uint32_t first, uint32_t last);
/* Follow an edit: the text from line `l0` to line `l1` (the lines of the
 * edit's start and end) was replaced by text holding `k` line breaks. Lines
 * l0 .. l0+k are changed now; the ranges after l1 move by k - (l1 - l0). */
void rv_lines_edit(struct rv_lines *m, uint32_t l0, uint32_t l1, uint32_t k);

/* The lines of `now` that are not in a longest common subsequence of the
 * lines of `base` and `now` (Myers' diff; the ranges between the common
 * prefix and suffix when the texts differ in too many places to diff).
 * `m` is replaced. */
void rv_lines_from_texts(struct rv_lines *m, const char *base, size_t base_len, const char *now,
                         size_t now_len);

/* Parse `git diff -U0` output into one map per file (path relative to the
 * repository's top level). Calls `fn` for each file git reports. */
void rv_parse_unified(const char *diff, size_t len,
                      void (*fn)(void *ud, const char *path, const struct rv_lines *m), void *ud);

/* Keep the findings that touch changed lines; the others are dropped, or
 * with CFG_SHOW_ALL kept at Hint severity with a "pre-existing" note.
 * `ix` is the line index of the text the findings are for. NULL `m`: no
 * filter. */
void rv_filter(const struct rv_lines *m, const struct pos_index *ix, struct diag_list *l,
               enum cfg_show show);

/* ---- git ---------------------------------------------------------------- */

/* Each git child is killed after this long; its failure is one message. */
#define RV_GIT_TIMEOUT_MS 10000u

struct rv_git_out {
    int exit_status; /* -1 when git could not be started or was killed */
    char *out;       /* stdout (NUL-terminated; heap) */
    size_t len;
    char *err; /* the first line of stderr, or a message of margin's (heap) */
};

/* Run `git args...` (NULL-terminated; argv[0] is not "git") in folder
 * `cwd` through uv_spawn with its own loop, capture its output (at most
 * `max_out` bytes), and wait at most `timeout_ms`. Returns 0 when git ran
 * and exited 0; otherwise -1 with out->err saying why ("git is not
 * installed (not found on PATH)", "git timed out after 10 s", git's own
 * message). Release `out` with rv_git_out_release() either way. */
int rv_git(const char *cwd, const char *const *args, unsigned timeout_ms, size_t max_out,
           struct rv_git_out *out);
void rv_git_out_release(struct rv_git_out *out);

/* Whether `ref` may be given to git as a revision: not empty, not starting
 * with '-', no control characters or spaces, at most 256 bytes. */
bool rv_ref_ok(const char *ref);

/* The top level of the git work tree holding folder `dir` (heap), or NULL
 * with *err set (heap): not a repository, git missing, ... */
char *rv_toplevel(const char *dir, char **err);

/* Resolve the review base `ref` in the repository at `top` to a commit id
 * (heap). "merge-base" means the merge-base of HEAD with the default branch
 * (origin's HEAD, else main, else master). NULL with *err set (heap). */
char *rv_resolve(const char *top, const char *ref, char **err);

/* ---- margin check --diff ------------------------------------------------ */

/* The changed lines of files against one base, repository by repository. */
struct rv_diff;

/* For `base` (not yet validated). Never NULL. */
struct rv_diff *rv_diff_new(const char *base);
void rv_diff_free(struct rv_diff *d);

/* The changed lines of the file at `path` (absolute, real). NULL when the
 * file is not filtered (then *err may be set, heap, once per repository: a
 * bad base, no repository, no git). Borrowed until rv_diff_free(). */
const struct rv_lines *rv_diff_lines(struct rv_diff *d, const char *path, char **err);

#endif
