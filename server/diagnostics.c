/* Findings as LSP diagnostics, and the code actions that apply their fixes.
 * A diagnostic that has fixes carries, in `data`, the document version it
 * was made for and its index among the document's findings. codeAction
 * finds the finding by that index (never by range: Neovim 0.7 sends byte
 * columns), refuses data made for another version, and turns the fixes into
 * edits only then. Fixes that are costly to build (docstring stubs) are not
 * even made until a code action asks: the document is analysed once more,
 * without lazy_fixes, and that list is kept until the next change. */
#include "internal.h"
#include "log.h"
#include "mg.h"
#include "rpc.h"

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

static json_t *diag_json(const struct server *srv, const struct doc *doc, const struct an_diag *d,
                         size_t index)
{
    const struct an_rule *rule = an_rule_find(d->code);
    uint32_t start = d->start, end = d->end;
    widen_empty(doc, &start, &end);
    char *href = xasprintf("%s%s.md", MG_DOCS_URL, d->code);
    json_t *j =
        json_pack("{s:o, s:i, s:s, s:{s:s}, s:s, s:s}", "range", srv_range(srv, doc, start, end),
                  "severity", (int)d->severity, "code", d->code, "codeDescription", "href", href,
                  "source", "margin", "message", d->message);
    free(href);
    if (j == NULL) /* a message that is not UTF-8: never let it take the server down */
        return NULL;
    if (d->tags) {
        json_t *tags = json_array();
        if (d->tags & AN_TAG_UNNECESSARY)
            json_array_append_new(tags, json_integer(1));
        if (d->tags & AN_TAG_DEPRECATED)
            json_array_append_new(tags, json_integer(2));
        json_object_set_new(j, "tags", tags);
    }
    if (d->n_related && srv->client_related_info) {
        json_t *rel = json_array();
        for (size_t i = 0; i < d->n_related; i++) {
            const struct an_related *r = &d->related[i];
            if (r->path != NULL) { /* another file: positions come computed */
                char *uri = doc_path_to_uri(r->path);
                json_t *pos = json_pack("{s:I, s:I}", "line", (json_int_t)r->line, "character",
                                        (json_int_t)r->character);
                json_array_append_new(rel, json_pack("{s:{s:s, s:{s:O, s:o}}, s:s}", "location",
                                                     "uri", uri, "range", "start", pos, "end", pos,
                                                     "message", r->message));
                free(uri);
                continue;
            }
            json_array_append_new(rel, json_pack("{s:{s:s, s:o}, s:s}", "location", "uri", doc->uri,
                                                 "range", srv_range(srv, doc, r->start, r->end),
                                                 "message", r->message));
        }
        json_object_set_new(j, "relatedInformation", rel);
    }
    if (d->n_fixes || d->fixes_deferred || (rule && rule->cwe)) {
        json_t *data = json_pack("{s:I}", "version", (json_int_t)doc->diags_version);
        if (rule && rule->cwe)
            json_object_set_new(data, "cwe", json_integer(rule->cwe));
        if (d->n_fixes || d->fixes_deferred)
            json_object_set_new(data, "id", json_integer((json_int_t)index));
        json_object_set_new(j, "data", data);
    }
    return j;
}

json_t *srv_diagnostics_json(const struct server *srv, const struct doc *doc)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < doc->diags.n; i++) {
        json_t *d = diag_json(srv, doc, &doc->diags.items[i], i);
        if (d != NULL)
            json_array_append_new(arr, d);
        else
            LOGW("cannot encode finding %s in %s", doc->diags.items[i].code, doc->uri);
    }
    return arr;
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

/* Quick-fixes for the diagnostics the client sent back, found by the
 * version and index in their data and checked against their code. */
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
        if (!json_is_integer(version) || json_integer_value(version) != doc->version ||
            doc->diags_version != doc->version) {
            LOGD("stale fix for %s v%lld (document is v%lld)", doc->uri,
                 (long long)json_integer_value(version), (long long)doc->version);
            continue;
        }
        if (list == NULL)
            list = with_fixes(srv, doc);
        json_int_t k = json_integer_value(id);
        if (k < 0 || (size_t)k >= list->n || strcmp(list->items[k].code, code) != 0)
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
