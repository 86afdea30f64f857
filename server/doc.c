/* Documents and the document store; see doc.h. */
#include "doc.h"
#include "incr.h"
#include "depth.h"
#include "log.h"
#include "mg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct doc *doc_new(const char *uri, int64_t version, const char *text, size_t len)
{
    struct doc *doc = xcalloc(1, sizeof(*doc));
    doc->uri = xstrdup(uri);
    doc->path = doc_uri_to_path(uri);
    doc->version = version;
    pos_index_init(&doc->lines);
    diag_list_init(&doc->diags);
    diag_list_init(&doc->full);
    doc->diags_version = -1;
    doc_set_text(doc, text, len);
    return doc;
}

void doc_free(struct doc *doc)
{
    if (doc == NULL)
        return;
    free(doc->uri);
    free(doc->path);
    free(doc->text);
    pos_index_release(&doc->lines);
    if (doc->tree)
        ts_tree_delete(doc->tree);
    diag_list_release(&doc->diags);
    diag_list_release(&doc->full);
    doc_changes_reset(&doc->changes);
    mg_buf_release(&doc->changes.old_lines);
    mg_buf_release(&doc->changes.old_words);
    free(doc->changes.changed);
    incr_free(doc->incr);
    free(doc);
}

void doc_set_text(struct doc *doc, const char *text, size_t len)
{
    doc->text = xgrow(doc->text, &doc->cap, len + 1, 1);
    memcpy(doc->text, text, len);
    doc->text[len] = '\0';
    doc->len = len;
    pos_index_build(&doc->lines, doc->text, doc->len);
    doc->depth_unknown = true;
    /* A full replacement shares nothing with the old tree: parse afresh. */
    if (doc->tree) {
        ts_tree_delete(doc->tree);
        doc->tree = NULL;
    }
    doc->needs_parse = true;
    doc->needs_analyze = true;
    doc->changes.all = true;
    doc->changes.replaced = true;
}

/* How much one byte of an edit can deepen the parse stack, at most: a new
 * indentation level costs depth.c's INDENT_COST (16) and takes two bytes. */
#define DEPTH_PER_BYTE 8u

/* Whether text[0, len) holds a byte that changes how the bytes after it are
 * read (a quote, a comment, a line continuation): then no bound on the
 * depth follows from the edit's size, and the text must be scanned again. */
static bool changes_reading(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] == '"' || text[i] == '\'' || text[i] == '#' || text[i] == '\\')
            return true;
    return false;
}

/* Keep the depth guard up to date for an edit, in O(edit): spend slack, or
 * ask for a rescan (depth_estimate is O(text), about 3 ns a byte). */
static void depth_after_edit(struct doc *doc, const char *removed, size_t n_removed,
                             const char *inserted, size_t n_inserted)
{
    if (doc->depth_unknown)
        return;
    uint64_t cost = (uint64_t)DEPTH_PER_BYTE * (n_removed + n_inserted);
    if (cost >= doc->depth_slack || changes_reading(removed, n_removed) ||
        changes_reading(inserted, n_inserted))
        doc->depth_unknown = true;
    else
        doc->depth_slack -= (uint32_t)cost;
}

static TSPoint point_at(const struct doc *doc, uint32_t off)
{
    uint32_t row, col;
    pos_ts_point(&doc->lines, doc->text, doc->len, off, &row, &col);
    return (TSPoint){row, col};
}

void doc_changes_reset(struct doc_changes *ch)
{
    ch->all = ch->any = ch->removed_newline = ch->replaced = false;
    ch->lo = ch->hi = 0;
    ch->delta = 0;
    ch->old_lines.len = 0;
    ch->old_words.len = 0;
    ch->n_changed = 0;
}

/* More old text than this and the edits are not worth tracking. */
#define CHANGES_MAX_OLD_LINES (256u << 10)

/* Where offset p of the text before an edit of [start, end) into
 * [start, new_end) lands; `high` picks the far side for an offset inside. */
static uint32_t map_through(uint32_t p, uint32_t start, uint32_t end, uint32_t new_end, bool high)
{
    if (p < start || (p == start && !high))
        return p;
    if (p >= end)
        return p - end + new_end;
    return high ? new_end : start;
}

/* Record an edit of [start, end) into [start, new_end) of the current text
 * (called before the text changes). */
static void changes_note(struct doc *doc, uint32_t start, uint32_t end, uint32_t new_end)
{
    struct doc_changes *ch = &doc->changes;
    if (ch->all) {
        ch->replaced = true; /* not tracked from here on */
        return;
    }
    /* The old text of the lines the edit touches. */
    const char *t = doc->text;
    uint32_t ls = start, le = end;
    while (ls > 0 && t[ls - 1] != '\n')
        ls--;
    while (le < doc->len && t[le] != '\n')
        le++;
    if (ch->old_lines.len + (le - ls) + 1 > CHANGES_MAX_OLD_LINES) {
        ch->all = ch->replaced = true;
        return;
    }
    mg_buf_add(&ch->old_lines, t + ls, le - ls);
    mg_buf_add(&ch->old_lines, "\n", 1);
    uint32_t ws = start, we = end;
    while (ws > ls && mg_is_ident_byte(t[ws - 1]))
        ws--;
    while (we < le && mg_is_ident_byte(t[we]))
        we++;
    mg_buf_add(&ch->old_words, t + ws, we - ws);
    ch->removed_newline |= memchr(t + start, '\n', end - start) != NULL;
    mg_buf_add(&ch->old_words, "\n", 1);
    if (!ch->any) {
        ch->any = true;
        ch->lo = start;
        ch->hi = new_end;
    } else {
        uint32_t lo = map_through(ch->lo, start, end, new_end, false);
        uint32_t hi = map_through(ch->hi, start, end, new_end, true);
        ch->lo = lo < start ? lo : start;
        ch->hi = hi > new_end ? hi : new_end;
    }
    ch->delta += (int64_t)new_end - (int64_t)end;
    for (size_t i = 0; i < ch->n_changed; i++) {
        ch->changed[i][0] = map_through(ch->changed[i][0], start, end, new_end, false);
        ch->changed[i][1] = map_through(ch->changed[i][1], start, end, new_end, true);
    }
}

int doc_splice(struct doc *doc, uint32_t start, uint32_t end, const char *text, size_t len)
{
    if (start > end || end > doc->len)
        return -MG_ERANGE;
    if ((uint64_t)doc->len - (end - start) + len > UINT32_MAX)
        return -MG_ETOOBIG;
    TSInputEdit edit = {
        .start_byte = start,
        .old_end_byte = end,
        .new_end_byte = start + (uint32_t)len,
    };
    if (doc->tree) {
        edit.start_point = point_at(doc, start);
        edit.old_end_point = point_at(doc, end);
    }
    depth_after_edit(doc, doc->text + start, end - start, text, len);
    changes_note(doc, start, end, start + (uint32_t)len);
    size_t new_len = doc->len - (end - start) + len;
    doc->text = xgrow(doc->text, &doc->cap, new_len + 1, 1);
    memmove(doc->text + start + len, doc->text + end, doc->len - end + 1); /* with the NUL */
    memcpy(doc->text + start, text, len);
    doc->len = new_len;
    pos_index_splice(&doc->lines, doc->text, doc->len, start, end, edit.new_end_byte);
    if (doc->tree) {
        edit.new_end_point = point_at(doc, edit.new_end_byte);
        ts_tree_edit(doc->tree, &edit);
    }
    doc->needs_parse = true;
    doc->needs_analyze = true;
    return 0;
}

int doc_reparse(struct doc *doc, TSParser *parser)
{
    if (!doc->needs_parse && (doc->tree || doc->too_deep))
        return doc->too_deep ? -MG_EDEPTH : 0;
    if (doc->depth_unknown) {
        uint32_t depth = depth_estimate(doc->text, doc->len);
        doc->depth_unknown = false;
        doc->too_deep = depth > DEPTH_LIMIT;
        doc->depth_slack = doc->too_deep ? 0 : DEPTH_LIMIT - depth;
    }
    if (doc->too_deep) {
        /* Never hand tree-sitter 0.20.7 a text that could corrupt its tree. */
        if (doc->tree)
            ts_tree_delete(doc->tree);
        doc->tree = NULL;
        doc->needs_parse = false;
        doc->needs_analyze = true;
        doc->depth_unknown = true; /* any edit may make it parseable again */
        doc->changes.all = true;
        return -MG_EDEPTH;
    }
    /* Some garbage sends tree-sitter's error recovery quadratic: bound the
     * parse. The bound is wall-clock time, so it is generous (10 s plus 5 us
     * a byte) lest a busy machine refuse a fine file. */
    ts_parser_set_timeout_micros(parser, 10000000 + 5 * (uint64_t)doc->len);
    TSTree *tree = ts_parser_parse_string(parser, doc->tree, doc->text, (uint32_t)doc->len);
    ts_parser_set_timeout_micros(parser, 0);
    if (tree == NULL) {
        ts_parser_reset(parser);
        LOGW("tree-sitter gave no tree for %s (parsing took too long)", doc->uri);
        /* The old tree no longer matches the text: never analyse with it. */
        if (doc->tree)
            ts_tree_delete(doc->tree);
        doc->tree = NULL;
        doc->needs_parse = false;
        doc->needs_analyze = true;
        doc->changes.all = true;
        return -MG_EINVAL;
    }
    if (doc->tree) {
        /* Where the trees differ beyond the edits themselves (an unclosed
         * bracket changes how the rest of the file reads). */
        uint32_t n = 0;
        TSRange *r = ts_tree_get_changed_ranges(doc->tree, tree, &n);
        struct doc_changes *ch = &doc->changes;
        for (uint32_t i = 0; i < n && !ch->all; i++) {
            MG_GROW(ch->changed, ch->cap_changed, ch->n_changed + 1);
            ch->changed[ch->n_changed][0] = r[i].start_byte;
            ch->changed[ch->n_changed++][1] = r[i].end_byte;
        }
        free(r);
        ts_tree_delete(doc->tree);
    } else {
        doc->changes.all = true;
    }
    doc->tree = tree;
    doc->needs_parse = false;
    doc->needs_analyze = true;
    return 0;
}

void doc_pdoc(const struct doc *doc, struct pdoc *out)
{
    /* Every field, so that one added to struct pdoc starts out zero. */
    *out = (struct pdoc){
        .uri = doc->uri,
        .path = doc->path,
        .text = doc->text,
        .len = doc->len,
        .tree = doc->tree,
        .version = doc->version,
    };
}

void docs_init(struct docs *ds)
{
    memset(ds, 0, sizeof(*ds));
}

void docs_release(struct docs *ds)
{
    for (size_t i = 0; i < ds->n; i++)
        doc_free(ds->items[i]);
    free(ds->items);
    docs_init(ds);
}

/* NEEDSWORK: linear search; editors keep tens of documents open, not thousands. */
static ssize_t docs_index(const struct docs *ds, const char *uri)
{
    for (size_t i = 0; i < ds->n; i++)
        if (strcmp(ds->items[i]->uri, uri) == 0)
            return (ssize_t)i;
    return -1;
}

struct doc *docs_find(const struct docs *ds, const char *uri)
{
    ssize_t i = docs_index(ds, uri);
    return i < 0 ? NULL : ds->items[i];
}

void docs_put(struct docs *ds, struct doc *doc)
{
    ssize_t i = docs_index(ds, doc->uri);
    if (i >= 0) {
        doc_free(ds->items[i]);
        ds->items[i] = doc;
        return;
    }
    MG_GROW(ds->items, ds->cap, ds->n + 1);
    ds->items[ds->n++] = doc;
}

bool docs_remove(struct docs *ds, const char *uri)
{
    ssize_t i = docs_index(ds, uri);
    if (i < 0)
        return false;
    doc_free(ds->items[i]);
    memmove(&ds->items[i], &ds->items[i + 1], (ds->n - (size_t)i - 1) * sizeof(*ds->items));
    ds->n--;
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *doc_uri_to_path(const char *uri)
{
    if (strncmp(uri, "file://", 7) != 0)
        return NULL;
    const char *p = uri + 7;
    /* "file://localhost/x" and "file:///x" both name /x. */
    if (strncmp(p, "localhost/", 10) == 0)
        p += 9;
    if (*p != '/')
        return NULL;
    struct mg_buf b = {0};
    for (; *p; p++) {
        if (*p == '%') {
            int hi = hexval((unsigned char)p[1]);
            int lo = hi < 0 ? -1 : hexval((unsigned char)p[2]);
            if (lo < 0 || (hi == 0 && lo == 0)) {
                mg_buf_release(&b);
                return NULL;
            }
            char c = (char)(hi * 16 + lo);
            mg_buf_add(&b, &c, 1);
            p += 2;
        } else if (*p == '?' || *p == '#') {
            break;
        } else {
            mg_buf_add(&b, p, 1);
        }
    }
    return mg_buf_detach(&b, NULL);
}

char *doc_path_to_uri(const char *path)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || strchr("/-._~!$&'()*+,;=:@", *p))
            mg_buf_add(&b, p, 1);
        else
            mg_buf_addf(&b, "%%%02X", *p);
    }
    return mg_buf_detach(&b, NULL);
}
