/* Findings as LSP diagnostics, and the code actions that apply their fixes.
 * A diagnostic that has fixes carries, in `data`, the finding's serial
 * (unique in the document) and the version it was made for. codeAction
 * finds the finding by them (never by range: Neovim 0.7 sends byte
 * columns), refuses data of a finding that is gone, and turns the fixes
 * into edits only then. The JSON of a finding, but for its range, is made
 * once and kept with it, so a publish after an edit re-encodes only the
 * findings the edit made. Fixes that are costly to build (docstring stubs) are not
 * even made until a code action asks: the document is analysed once more,
 * without lazy_fixes, and that list is kept until the next change. */
#include "internal.h"
#include "log.h"
#include "mg.h"
#include "rpc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MG_DOCS_URL
#error "meson defines MG_DOCS_URL"
#endif

static json_t *edit_json(const struct server *srv, const struct doc *doc, const struct an_edit *e)
{
    return json_pack("{s:o, s:s}", "range", srv_range(srv, doc, e->start, e->end), "newText",
                     e->new_text);
}

/* Editors draw an empty range each their own way (eglot 1.17 guesses a
 * column and may land on the next line): a zero-width finding gets the
 * character after it, or, at the end of a line, the one before it. */
static void widen_empty(const struct doc *doc, uint32_t *start, uint32_t *end)
{
    const char *t = doc->text;
    uint32_t s = *start;
    if (s != *end || s > doc->len)
        return;
    if (s < doc->len && t[s] != '\n' && t[s] != '\r') {
        uint32_t e = s + 1;
        while (e < doc->len && ((unsigned char)t[e] & 0xc0) == 0x80)
            e++;
        *end = e;
    } else if (s > 0 && t[s - 1] != '\n' && t[s - 1] != '\r') {
        uint32_t b = s - 1;
        while (b > 0 && ((unsigned char)t[b] & 0xc0) == 0x80)
            b--;
        *start = b;
    }
}

/* ---- encoding: JSON text, cached per finding ------------------------------- */

static void put_u64(struct mg_buf *b, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    mg_buf_add(b, tmp + sizeof(tmp) - n, n);
}

static void put_i64(struct mg_buf *b, int64_t v)
{
    if (v < 0) {
        mg_buf_add(b, "-", 1);
        put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(b, (uint64_t)v);
    }
}

/* A JSON string of UTF-8 s[0, n) (the caller checked it is UTF-8). */
static void put_str(struct mg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    mg_buf_add(b, "\"", 1);
    size_t run = 0; /* bytes copied as they are, not yet added */
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            run++;
            continue;
        }
        mg_buf_add(b, s + i - run, run);
        run = 0;
        char esc[6] = {'\\', 0};
        size_t len = 2;
        switch (ch) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[ch >> 4], esc[5] = hex[ch & 15];
            len = 6;
        }
        mg_buf_add(b, esc, len);
    }
    mg_buf_add(b, s + n - run, run);
    mg_buf_add(b, "\"", 1);
}

/* An LSP Range: pos holds start line, character, end line, character. */
static void put_range_pos(struct mg_buf *b, const uint32_t pos[4])
{
    mg_buf_adds(b, "{\"start\":{\"line\":");
    put_u64(b, pos[0]);
    mg_buf_adds(b, ",\"character\":");
    put_u64(b, pos[1]);
    mg_buf_adds(b, "},\"end\":{\"line\":");
    put_u64(b, pos[2]);
    mg_buf_adds(b, ",\"character\":");
    put_u64(b, pos[3]);
    mg_buf_adds(b, "}}");
}

/* The client's positions of bytes [start, end) of the document. */
static void range_pos(const struct server *srv, const struct doc *doc, uint32_t start, uint32_t end,
                      uint32_t pos[4])
{
    pos_from_offset(&doc->lines, doc->text, doc->len, start, srv->enc, &pos[0], &pos[1]);
    pos_from_offset(&doc->lines, doc->text, doc->len, end, srv->enc, &pos[2], &pos[3]);
}

static bool is_utf8(const char *s)
{
    size_t n = strlen(s);
    return mg_utf8_valid_prefix(s, n) == n;
}

/* Everything of a Diagnostic after its range, relatedInformation aside
 * (its ranges move with the text): the part that is cached. */
static void put_rest(struct mg_buf *b, const struct an_diag *d)
{
    const struct an_rule *rule = an_rule_find(d->code);
    mg_buf_adds(b, ",\"severity\":");
    put_u64(b, (uint64_t)d->severity);
    mg_buf_adds(b, ",\"code\":");
    put_str(b, d->code, strlen(d->code));
    mg_buf_adds(b, ",\"codeDescription\":{\"href\":\"" MG_DOCS_URL);
    mg_buf_adds(b, d->code); /* rule codes are [A-Z0-9] */
    mg_buf_adds(b, ".md\"},\"source\":\"margin\",\"message\":");
    put_str(b, d->message, strlen(d->message));
    if (d->tags) {
        mg_buf_adds(b, ",\"tags\":[");
        if (d->tags & AN_TAG_UNNECESSARY)
            mg_buf_adds(b, (d->tags & AN_TAG_DEPRECATED) ? "1,2" : "1");
        else
            mg_buf_adds(b, "2");
        mg_buf_adds(b, "]");
    }
    if (d->n_fixes || d->fixes_deferred || (rule && rule->cwe)) {
        mg_buf_adds(b, ",\"data\":{\"version\":");
        put_i64(b, d->born);
        if (rule && rule->cwe) {
            mg_buf_adds(b, ",\"cwe\":");
            put_u64(b, (uint64_t)rule->cwe);
        }
        if (d->n_fixes || d->fixes_deferred) {
            mg_buf_adds(b, ",\"id\":");
            put_u64(b, d->serial);
        }
        mg_buf_adds(b, "}");
    }
    mg_buf_adds(b, "}");
}

static void put_related(struct mg_buf *b, const struct server *srv, const struct doc *doc,
                        const struct an_diag *d)
{
    mg_buf_adds(b, ",\"relatedInformation\":[");
    for (size_t i = 0; i < d->n_related; i++) {
        const struct an_related *r = &d->related[i];
        mg_buf_adds(b, i ? ",{\"location\":{\"uri\":" : "{\"location\":{\"uri\":");
        if (r->path != NULL) { /* another file: positions come computed */
            char *uri = doc_path_to_uri(r->path);
            put_str(b, uri, strlen(uri));
            free(uri);
            mg_buf_adds(b, ",\"range\":");
            put_range_pos(b, (const uint32_t[4]){r->line, r->character, r->line, r->character});
        } else {
            put_str(b, doc->uri, strlen(doc->uri));
            uint32_t pos[4];
            range_pos(srv, doc, r->start, r->end, pos);
            mg_buf_adds(b, ",\"range\":");
            put_range_pos(b, pos);
        }
        mg_buf_adds(b, "},\"message\":");
        put_str(b, r->message, strlen(r->message));
        mg_buf_adds(b, "}");
    }
    mg_buf_adds(b, "]");
}

/* Whether every string of `d` is UTF-8 (else it is left out, and said). */
static bool encodable(const struct an_diag *d)
{
    if (!is_utf8(d->message))
        return false;
    for (size_t i = 0; i < d->n_related; i++)
        if (!is_utf8(d->related[i].message) ||
            (d->related[i].path != NULL && !is_utf8(d->related[i].path)))
            return false;
    return true;
}

/* One Diagnostic. Its JSON is kept in the finding: a finding carried over
 * by incremental analysis costs a copy, and a new range if it moved. */
static bool put_diag(struct mg_buf *b, const struct server *srv, const struct doc *doc,
                     struct an_diag *d)
{
    if (!d->has_pos) {
        uint32_t start = d->start, end = d->end;
        widen_empty(doc, &start, &end);
        range_pos(srv, doc, start, end, d->pos);
        d->has_pos = true;
    }
    bool fresh = d->encoded == NULL || d->encoded_severity != (uint8_t)d->severity;
    if (fresh && !encodable(d))
        return false;
    if (fresh || memcmp(d->encoded_pos, d->pos, sizeof(d->pos)) != 0) {
        struct mg_buf e = {0};
        mg_buf_adds(&e, "{\"range\":");
        put_range_pos(&e, d->pos);
        size_t rest = e.len;
        if (fresh)
            put_rest(&e, d);
        else /* only the range moved */
            mg_buf_add(&e, d->encoded + d->encoded_rest, d->encoded_len - d->encoded_rest);
        free(d->encoded);
        size_t len;
        d->encoded = mg_buf_detach(&e, &len);
        d->encoded_len = (uint32_t)len;
        d->encoded_rest = (uint32_t)rest;
        memcpy(d->encoded_pos, d->pos, sizeof(d->pos));
        d->encoded_severity = (uint8_t)d->severity;
    }
    mg_buf_add(b, d->encoded, d->encoded_len);
    if (d->n_related && srv->client_related_info) {
        b->len--; /* reopen the object */
        put_related(b, srv, doc, d);
        mg_buf_adds(b, "}");
    }
    return true;
}

void srv_diagnostics_text(const struct server *srv, struct doc *doc, struct mg_buf *b)
{
    mg_buf_adds(b, "[");
    bool first = true;
    for (size_t i = 0; i < doc->diags.n; i++) {
        size_t mark = b->len;
        if (!first)
            mg_buf_adds(b, ",");
        if (put_diag(b, srv, doc, &doc->diags.items[i])) {
            first = false;
        } else {
            b->len = mark;
            LOGW("cannot encode finding %s in %s", doc->diags.items[i].code, doc->uri);
        }
    }
    mg_buf_adds(b, "]");
}

bool srv__kind_wanted(json_t *only, const char *kind)
{
    if (!json_is_array(only))
        return true;
    size_t i;
    json_t *e;
    json_array_foreach(only, i, e)
    {
        const char *k = json_string_value(e);
        if (k == NULL)
            continue;
        size_t n = strlen(k);
        if (strncmp(kind, k, n) == 0 && (kind[n] == '\0' || kind[n] == '.'))
            return true;
    }
    return false;
}

static json_t *workspace_edit(const char *uri, json_t *edits)
{
    json_t *changes = json_object();
    json_object_set_new(changes, uri, edits);
    return json_pack("{s:o}", "changes", changes);
}

/* The document's findings with every fix: `diags` itself when nothing was
 * deferred, else `full`, made now if need be. The document is analysed
 * (the caller runs after srv_flush), so both lists hold the same findings. */
static const struct diag_list *with_fixes(struct server *srv, struct doc *doc)
{
    bool deferred = false;
    for (size_t i = 0; i < doc->diags.n && !deferred; i++)
        deferred = doc->diags.items[i].fixes_deferred;
    if (!deferred)
        return &doc->diags;
    if (!doc->full_valid) {
        diag_list_release(&doc->full);
        srv__analyze(srv, doc, false, &doc->full);
        doc->full_valid = true;
        if (doc->full.n != doc->diags.n)
            LOGW("%s: %zu findings with fixes but %zu without", doc->uri, doc->full.n,
                 doc->diags.n);
    }
    return &doc->full;
}

static json_t *fix_edits(const struct server *srv, const struct doc *doc, const struct an_fix *f)
{
    json_t *edits = json_array();
    for (size_t i = 0; i < f->n_edits; i++)
        json_array_append_new(edits, edit_json(srv, doc, &f->edits[i]));
    return edits;
}

/* The index of the finding with `serial` in doc->diags, or SIZE_MAX. */
static size_t find_serial(const struct doc *doc, json_int_t serial)
{
    for (size_t i = 0; i < doc->diags.n; i++)
        if ((json_int_t)doc->diags.items[i].serial == serial)
            return i;
    return SIZE_MAX;
}

/* Quick-fixes for the diagnostics the client sent back, found by the
 * serial and version in their data and checked against their code. */
static void add_quickfixes(struct server *srv, struct doc *doc, json_t *context, json_t *actions)
{
    const struct diag_list *list = NULL;
    size_t i;
    json_t *diag;
    json_array_foreach(json_object_get(context, "diagnostics"), i, diag)
    {
        if (!json_is_object(diag))
            continue;
        const char *source = json_string_value(json_object_get(diag, "source"));
        const char *code = json_string_value(json_object_get(diag, "code"));
        json_t *data = json_object_get(diag, "data");
        json_t *version = json_object_get(data, "version");
        json_t *id = json_object_get(data, "id");
        if (source == NULL || strcmp(source, "margin") != 0 || code == NULL || !json_is_integer(id))
            continue;
        /* The finding the data names: its serial and the version it was
         * made for (findings carried over by incremental analysis keep
         * both; a finding made again gets new ones). */
        size_t k = find_serial(doc, json_integer_value(id));
        if (!json_is_integer(version) || k == SIZE_MAX ||
            doc->diags.items[k].born != json_integer_value(version) ||
            doc->diags_version != doc->version) {
            LOGD("stale fix for %s v%lld (document is v%lld)", doc->uri,
                 (long long)json_integer_value(version), (long long)doc->version);
            continue;
        }
        if (list == NULL)
            list = with_fixes(srv, doc);
        if (k >= list->n || strcmp(list->items[k].code, code) != 0)
            continue;
        const struct an_diag *d = &list->items[k];
        for (size_t j = 0; j < d->n_fixes; j++)
            json_array_append_new(
                actions,
                json_pack("{s:s, s:s, s:[O], s:b, s:o}", "title", d->fixes[j].title, "kind",
                          "quickfix", "diagnostics", diag, "isPreferred", j == 0, "edit",
                          workspace_edit(doc->uri, fix_edits(srv, doc, &d->fixes[j]))));
    }
}

/* One WorkspaceEdit with what fix-all takes (diag_list_fix_all). */
static json_t *fix_all_action(struct server *srv, struct doc *doc)
{
    const struct an_edit **taken;
    size_t n = diag_list_fix_all(with_fixes(srv, doc), &taken);
    if (n == 0) {
        free(taken);
        return NULL;
    }
    json_t *edits = json_array();
    for (size_t t = 0; t < n; t++)
        json_array_append_new(edits, edit_json(srv, doc, taken[t]));
    free(taken);
    return json_pack("{s:s, s:s, s:o}", "title", "margin: fix all safe problems", "kind",
                     "source.fixAll.margin", "edit", workspace_edit(doc->uri, edits));
}

json_t *srv_code_actions(struct server *srv, struct doc *doc, json_t *params, struct srv_err *err)
{
    json_t *context = json_object_get(params, "context");
    if (!json_is_object(context)) {
        srv_err_set(err, RPC_INVALID_PARAMS, "codeAction needs a 'context' object");
        return NULL;
    }
    json_t *only = json_object_get(context, "only");
    json_t *actions = json_array();
    if (srv__kind_wanted(only, "quickfix"))
        add_quickfixes(srv, doc, context, actions);
    /* Fix-all only when asked for by kind: VS Code asks with no `only` and no
     * diagnostics on every cursor move, and that must cost next to nothing. */
    if (json_is_array(only) && srv__kind_wanted(only, "source.fixAll.margin")) {
        json_t *all = fix_all_action(srv, doc);
        if (all != NULL)
            json_array_append_new(actions, all);
    }
    return actions;
}
