/* Unit tests of server/review.c through review.h: changed-line maps, the
 * in-process line diff, `git diff -U0` parsing, the finding filter, refs,
 * and git run through uv_spawn (with a missing git and a time limit). */
#include "review.h"
#include "mg.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void expect(const struct rv_lines *m, const char *want)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "");
    for (size_t i = 0; i < m->n; i++)
        mg_buf_addf(&b, "%s%u-%u", i ? " " : "", m->items[i].first, m->items[i].last);
    cr_assert_str_eq(b.data, want);
    mg_buf_release(&b);
}

Test(review, lines_add_merges)
{
    struct rv_lines m;
    rv_lines_init(&m);
    rv_lines_add(&m, 5, 6);
    rv_lines_add(&m, 1, 1);
    rv_lines_add(&m, 10, 12);
    expect(&m, "1-1 5-6 10-12");
    rv_lines_add(&m, 7, 9); /* bridges 5-6 and 10-12 */
    expect(&m, "1-1 5-12");
    rv_lines_add(&m, 0, 0);
    expect(&m, "0-1 5-12");
    cr_assert(rv_lines_touches(&m, 2, 5));
    cr_assert(!rv_lines_touches(&m, 2, 4));
    cr_assert(!rv_lines_touches(&m, 13, 20));
    rv_lines_release(&m);
}

Test(review, lines_follow_edits)
{
    struct rv_lines m;
    rv_lines_init(&m);
    rv_lines_add(&m, 2, 3);
    rv_lines_add(&m, 10, 10);
    /* Two lines inserted on line 5 (a typed "a\nb\n"): 5..7 changed, 10 -> 12. */
    rv_lines_edit(&m, 5, 5, 2);
    expect(&m, "2-3 5-7 12-12");
    /* Lines 0..3 joined into one: 0 changed, the rest moves up by 3. */
    rv_lines_edit(&m, 0, 3, 0);
    expect(&m, "0-0 2-4 9-9");
    rv_lines_release(&m);

    struct rv_lines w = {.whole = true};
    rv_lines_edit(&w, 1, 1, 5);
    cr_assert(w.whole && w.n == 0);
}

Test(review, line_diff)
{
    struct rv_lines m;
    rv_lines_init(&m);
    const char *base = "a\nb\nc\nd\ne\n";
    rv_lines_from_texts(&m, base, strlen(base), base, strlen(base));
    expect(&m, "");
    const char *now = "a\nB\nc\nd\nx\ny\ne\n";
    rv_lines_from_texts(&m, base, strlen(base), now, strlen(now));
    expect(&m, "1-1 4-5");
    const char *del = "a\nc\ne\n"; /* only deletions: nothing of `now` changed */
    rv_lines_from_texts(&m, base, strlen(base), del, strlen(del));
    expect(&m, "");
    rv_lines_from_texts(&m, "", 0, "x\ny\n", 4);
    expect(&m, "0-1");
    const char *crlf = "a\r\nb\r\nc\r\nd\r\ne\r\n"; /* every line differs in its break */
    rv_lines_from_texts(&m, base, strlen(base), crlf, strlen(crlf));
    expect(&m, "0-4");
    rv_lines_release(&m);
}

Test(review, line_diff_gives_up_into_a_block)
{
    /* More differences than the diff follows: the middle counts as changed. */
    struct mg_buf a = {0}, b = {0};
    mg_buf_adds(&a, "head\n");
    mg_buf_adds(&b, "head\n");
    for (int i = 0; i < 3000; i++) {
        mg_buf_addf(&a, "a%d\n", i);
        mg_buf_addf(&b, "b%d\n", i);
    }
    mg_buf_adds(&a, "tail\n");
    mg_buf_adds(&b, "tail\n");
    struct rv_lines m;
    rv_lines_init(&m);
    rv_lines_from_texts(&m, a.data, a.len, b.data, b.len);
    expect(&m, "1-3000");
    rv_lines_release(&m);
    mg_buf_release(&a);
    mg_buf_release(&b);
}

struct seen {
    char paths[4][64];
    char maps[4][64];
    int n;
};

static void collect(void *ud, const char *path, const struct rv_lines *m)
{
    struct seen *s = ud;
    snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", path);
    char *p = s->maps[s->n];
    p[0] = '\0';
    for (size_t i = 0; i < m->n; i++)
        snprintf(p + strlen(p), 64 - strlen(p), "%s%u-%u", i ? " " : "", m->items[i].first,
                 m->items[i].last);
    s->n++;
}

Test(review, parse_unified)
{
    const char *diff = "diff --git a/x.py b/x.py\n"
                       "index 1..2 100644\n"
                       "--- a/x.py\n"
                       "+++ b/x.py\n"
                       "@@ -1,0 +2,2 @@\n"
                       "+new\n"
                       "+new\n"
                       "@@ -9 +11 @@\n"
                       "-old\n"
                       "+new\n"
                       "@@ -20,3 +22,0 @@\n"
                       "diff --git a/gone.py b/gone.py\n"
                       "--- a/gone.py\n"
                       "+++ /dev/null\n"
                       "diff --git a/s p.py b/s p.py\n"
                       "--- a/s p.py\t\n"
                       "+++ b/s p.py\t\n"
                       "@@ -0,0 +1 @@\n"
                       "diff --git \"a/t\\tab.py\" \"b/t\\tab.py\"\n"
                       "+++ \"b/t\\tab.py\"\n"
                       "@@ -0,0 +1,3 @@\n";
    struct seen s = {0};
    rv_parse_unified(diff, strlen(diff), collect, &s);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.paths[0], "x.py");
    cr_assert_str_eq(s.maps[0], "1-2 10-10");
    cr_assert_str_eq(s.paths[1], "s p.py");
    cr_assert_str_eq(s.maps[1], "0-0");
    cr_assert_str_eq(s.paths[2], "t\tab.py");
    cr_assert_str_eq(s.maps[2], "0-2");
}

Test(review, filter_hides_or_demotes)
{
    const char *text = "a\nb\nc\n";
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, text, strlen(text));
    struct rv_lines m;
    rv_lines_init(&m);
    rv_lines_add(&m, 1, 1);
    struct diag_list l;
    diag_list_init(&l);
    diag_list_addf(&l, "E1", AN_WARNING, 0, 0, 1, "on a");
    diag_list_addf(&l, "E2", AN_WARNING, 0, 2, 3, "on b");
    diag_list_addf(&l, "E3", AN_WARNING, 0, 0, 5, "a to c");
    rv_filter(&m, &ix, &l, CFG_SHOW_CHANGED);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0].code, "E2");
    cr_assert_str_eq(l.items[1].code, "E3");
    diag_list_release(&l);

    diag_list_init(&l);
    diag_list_addf(&l, "E1", AN_WARNING, 0, 0, 1, "on a");
    rv_filter(&m, &ix, &l, CFG_SHOW_ALL);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.items[0].severity, AN_HINT);
    cr_assert(strstr(l.items[0].message, "pre-existing") != NULL);
    diag_list_release(&l);
    rv_lines_release(&m);
    pos_index_release(&ix);
}

Test(review, refs)
{
    cr_assert(rv_ref_ok("main"));
    cr_assert(rv_ref_ok("origin/main"));
    cr_assert(rv_ref_ok("HEAD~2"));
    cr_assert(rv_ref_ok("merge-base"));
    cr_assert(!rv_ref_ok(""));
    cr_assert(!rv_ref_ok(NULL));
    cr_assert(!rv_ref_ok("-p"));
    cr_assert(!rv_ref_ok("--output=/etc/passwd"));
    cr_assert(!rv_ref_ok("a b"));
    cr_assert(!rv_ref_ok("a\nb"));
}

Test(review, git_missing_is_one_message)
{
    char *old = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
    setenv("PATH", "/nonexistent-margin-test", 1);
    const char *args[] = {"--version", NULL};
    struct rv_git_out o;
    cr_assert_eq(rv_git("/", args, 1000, 1024, &o), -1);
    cr_assert_str_eq(o.err, "git is not installed (not found on PATH)");
    rv_git_out_release(&o);
    if (old != NULL)
        setenv("PATH", old, 1);
    free(old);
}

Test(review, git_runs_and_missing_folder_is_one_message)
{
    const char *args[] = {"--version", NULL};
    struct rv_git_out o;
    int rc = rv_git("/", args, 5000, 1024, &o);
    cr_assert_eq(rc, 0, "%s", o.err ? o.err : "");
    cr_assert(strncmp(o.out, "git version", 11) == 0);
    rv_git_out_release(&o);
    cr_assert_eq(rv_git("/nonexistent-margin-dir", args, 1000, 1024, &o), -1);
    cr_assert(strstr(o.err, "does not exist") != NULL);
    rv_git_out_release(&o);
    char *err = NULL;
    cr_assert_null(rv_toplevel("/", &err));
    cr_assert(strstr(err, "not in a git repository") != NULL, "%s", err);
    free(err);
}

Test(review, git_that_hangs_is_killed)
{
    char tmpl[] = "/tmp/margin-fakegit-XXXXXX";
    char *dir = mkdtemp(tmpl);
    cr_assert_not_null(dir);
    char *git = xasprintf("%s/git", dir);
    FILE *f = fopen(git, "w");
    cr_assert_not_null(f);
    /* A grandchild that keeps the pipes open must not keep us waiting either. */
    fputs("#!/bin/sh\n/bin/sleep 30 &\nexec /bin/sleep 30\n", f);
    fclose(f);
    chmod(git, 0755);
    char *old = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
    setenv("PATH", dir, 1);
    const char *args[] = {"diff", NULL};
    struct rv_git_out o;
    cr_assert_eq(rv_git("/", args, 300, 1024, &o), -1);
    cr_assert_str_eq(o.err, "git diff timed out after 1 s");
    rv_git_out_release(&o);
    if (old != NULL)
        setenv("PATH", old, 1);
    free(old);
    unlink(git);
    rmdir(dir);
    free(git);
}
