/* tree-sitter alone, for comparison with bench/typing.py: the same file,
 * the same keystrokes, no margin. Each keystroke is one insertion at the
 * cursor, ts_tree_edit(), an incremental ts_parser_parse_string() and the
 * old tree deleted, as margin's doc_splice() + doc_reparse() do; the time of
 * each (edit, parse, delete; not this program's naive point computation) is
 * printed in milliseconds, one per line, after the time of the first, full
 * parse.
 *
 * Build (by hand; not part of the meson build):
 *   cc -O2 -o build-bench/ts_reparse bench/ts_reparse.c \
 *      build-bench/subprojects/tree-sitter-python/libtree-sitter-python.a -ltree-sitter
 * Usage: ts_reparse FILE OFFSET TYPED_FILE
 *   FILE        the Python file; OFFSET the byte offset of the cursor;
 *   TYPED_FILE  the text typed there, one UTF-8 character per keystroke. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static char *slurp(const char *path, size_t extra, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + extra + 1);
    if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    p[n] = '\0';
    *len = (size_t)n;
    return p;
}

/* tree-sitter's point of byte `off`: rows count "\n", columns are bytes. */
static TSPoint point_at(const char *text, uint32_t off)
{
    TSPoint p = {0, 0};
    for (uint32_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            p.row++;
            p.column = 0;
        } else {
            p.column++;
        }
    }
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: ts_reparse FILE OFFSET TYPED_FILE\n");
        return 2;
    }
    size_t typed_len, len;
    char *typed = slurp(argv[3], 0, &typed_len);
    char *text = slurp(argv[1], typed_len, &len);
    uint32_t at = (uint32_t)strtoul(argv[2], NULL, 10);
    if (at > len) {
        fprintf(stderr, "offset past the end of the file\n");
        return 2;
    }
    TSParser *parser = ts_parser_new();
    if (!ts_parser_set_language(parser, tree_sitter_python())) {
        fprintf(stderr, "the grammar's ABI is refused\n");
        return 2;
    }
    double t0 = now_ms();
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    printf("%.4f\n", now_ms() - t0);
    for (size_t i = 0; i < typed_len;) {
        /* One keystroke: one UTF-8 character. */
        size_t n = 1;
        while (i + n < typed_len && ((unsigned char)typed[i + n] & 0xC0) == 0x80)
            n++;
        TSInputEdit edit = {.start_byte = at, .old_end_byte = at, .new_end_byte = at + (uint32_t)n};
        edit.start_point = edit.old_end_point = point_at(text, at);
        memmove(text + at + n, text + at, len - at + 1);
        memcpy(text + at, typed + i, n);
        len += n;
        edit.new_end_point = point_at(text, at + (uint32_t)n);
        double t = now_ms(); /* what margin does per keystroke from here */
        ts_tree_edit(tree, &edit);
        TSTree *new_tree = ts_parser_parse_string(parser, tree, text, (uint32_t)len);
        ts_tree_delete(tree);
        tree = new_tree;
        printf("%.4f\n", now_ms() - t);
        at += (uint32_t)n;
        i += n;
    }
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    free(text);
    free(typed);
    return 0;
}
