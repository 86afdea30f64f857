/* The differential test's oracle: tree-sitter alone, with no margin code.
 *
 * tree-sitter's incremental parse does not always give the tree a fresh
 * parse gives: after some edits of text with syntax errors, its error
 * recovery reuses old nodes and lands elsewhere. So "incremental tree ==
 * fresh tree" cannot be asked of margin. What can be asked is that margin's
 * incremental tree equals the tree tree-sitter itself makes from the same
 * edits, reparsed at the same moments. This program replays a session and
 * prints that tree at each checkpoint; test_differential.py compares.
 *
 * Edits come as byte offsets computed by the test from its own copy of the
 * text; points are computed here by counting "\n" (tree-sitter's rows), so
 * nothing of margin's position code is shared.
 *
 * Input on stdin, a sequence of records (integers are u32 little-endian):
 *   'O' len bytes          replace the whole text; the tree is dropped
 *   'E' start end len bytes replace bytes [start, end) of the text; edit the tree
 *   'P'                    reparse (incremental when there is a tree)
 *   'D'                    print the tree: u32 len, then ts_node_string() bytes
 *   'Q'                    stop
 * Exit status 0, or 2 on malformed input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

static void die(const char *why)
{
    fprintf(stderr, "ts_oracle: %s\n", why);
    exit(2);
}

static void *xrealloc_or_die(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        die("out of memory");
    return p;
}

static uint32_t read_u32(void)
{
    unsigned char b[4];
    if (fread(b, 1, 4, stdin) != 4)
        die("truncated input");
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static char *read_bytes(uint32_t n)
{
    char *p = xrealloc_or_die(NULL, (size_t)n + 1);
    if (n > 0 && fread(p, 1, n, stdin) != n)
        die("truncated input");
    p[n] = '\0';
    return p;
}

static void write_u32(uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fwrite(b, 1, 4, stdout);
}

/* tree-sitter's point of byte `off`: rows count "\n" only, columns are bytes. */
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

int main(void)
{
    TSParser *parser = ts_parser_new();
    if (!ts_parser_set_language(parser, tree_sitter_python()))
        die("the grammar's ABI is refused");
    char *text = read_bytes(0);
    uint32_t len = 0;
    TSTree *tree = NULL;
    for (;;) {
        int op = getchar();
        if (op == EOF || op == 'Q')
            break;
        if (op == 'O') {
            uint32_t n = read_u32();
            free(text);
            text = read_bytes(n);
            len = n;
            if (tree != NULL)
                ts_tree_delete(tree);
            tree = NULL;
        } else if (op == 'E') {
            uint32_t start = read_u32(), end = read_u32(), n = read_u32();
            char *ins = read_bytes(n);
            if (start > end || end > len || (uint64_t)len - (end - start) + n > UINT32_MAX)
                die("edit out of range");
            TSInputEdit edit = {
                .start_byte = start, .old_end_byte = end, .new_end_byte = start + n};
            edit.start_point = point_at(text, start);
            edit.old_end_point = point_at(text, end);
            uint32_t new_len = len - (end - start) + n;
            char *t = xrealloc_or_die(NULL, (size_t)new_len + 1);
            memcpy(t, text, start);
            memcpy(t + start, ins, n);
            memcpy(t + start + n, text + end, len - end);
            t[new_len] = '\0';
            free(text);
            free(ins);
            text = t;
            len = new_len;
            edit.new_end_point = point_at(text, edit.new_end_byte);
            if (tree != NULL)
                ts_tree_edit(tree, &edit);
        } else if (op == 'P' || op == 'D') {
            if (op == 'P' || tree == NULL) {
                TSTree *t = ts_parser_parse_string(parser, tree, text, len);
                if (t == NULL)
                    die("tree-sitter gave no tree");
                if (tree != NULL)
                    ts_tree_delete(tree);
                tree = t;
            }
            if (op == 'D') {
                char *s = ts_node_string(ts_tree_root_node(tree));
                size_t n = strlen(s);
                write_u32((uint32_t)n);
                fwrite(s, 1, n, stdout);
                free(s);
            }
        } else {
            die("unknown record");
        }
    }
    fflush(stdout);
    if (tree != NULL)
        ts_tree_delete(tree);
    ts_parser_delete(parser);
    free(text);
    return 0;
}
