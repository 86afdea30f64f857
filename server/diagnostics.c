/* Findings as LSP diagnostics, and the code actions that apply their fixes.
 * A diagnostic carries its fixes, already in client positions, in `data`
 * together with the document version they were made for; codeAction answers
 * from that data without re-analysing and refuses it when it is stale. */
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

static json_t *fix_json(const struct server *srv, const struct doc *doc, const struct an_fix *f)
{
    json_t *edits = json_array();
    for (size_t i = 0; i < f->n_edits; i++)
        json_array_append_new(edits, edit_json(srv, doc, &f->edits[i]));
    return json_pack("{s:s, s:b, s:o}", "title", f->title, "safe", f->safe, "edits", edits);
}

static json_t *diag_json(const struct server *srv, const struct doc *doc, const struct an_diag *d)
{
    const struct an_rule *rule = an_rule_find(d->code);
    char *href = xasprintf("%s%s.md", MG_DOCS_URL, d->code);
    json_t *j = json_pack("{s:o, s:i, s:s, s:{s:s}, s:s, s:s}", "range",
                          srv_range(srv, doc, d->start, d->end), "severity", (int)d->severity,
                          "code", d->code, "codeDescription", "href", href, "source", "margin",
                          "message", d->message);
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
        for (size_t i = 0; i < d->n_related; i++)
            json_array_append_new(
                rel, json_pack("{s:{s:s, s:o}, s:s}", "location", "uri", doc->uri, "range",
                               srv_range(srv, doc, d->related[i].start, d->related[i].end),
                               "message", d->related[i].message));
        json_object_set_new(j, "relatedInformation", rel);
    }
    if (d->n_fixes || (rule && rule->cwe)) {
        json_t *data = json_pack("{s:I}", "version", (json_int_t)doc->diags_version);
        if (rule && rule->cwe)
            json_object_set_new(data, "cwe", json_integer(rule->cwe));
        if (d->n_fixes) {
            json_t *fixes = json_array();
            for (size_t i = 0; i < d->n_fixes; i++)
                json_array_append_new(fixes, fix_json(srv, doc, &d->fixes[i]));
            json_object_set_new(data, "fixes", fixes);
        }
        json_object_set_new(j, "data", data);
    }
    return j;
}

json_t *srv_diagnostics_json(const struct server *srv, const struct doc *doc)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < doc->diags.n; i++) {
        json_t *d = diag_json(srv, doc, &doc->diags.items[i]);
        if (d != NULL)
            json_array_append_new(arr, d);
        else
            LOGW("cannot encode finding %s in %s", doc->diags.items[i].code, doc->uri);
    }
    return arr;
}

/* Does a requested kind (context.only) cover `kind`? "source" covers
 * "source.fixAll.margin"; an absent `only` covers everything. */
static bool kind_wanted(json_t *only, const char *kind)
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

/* Quick-fixes from the diagnostics the client sent back. The range is not
 * used to match: Neovim 0.7 sends byte columns on non-ASCII lines. */
static void add_quickfixes(struct doc *doc, json_t *context, json_t *actions)
{
    size_t i;
    json_t *diag;
    json_array_foreach(json_object_get(context, "diagnostics"), i, diag)
    {
        if (!json_is_object(diag))
            continue;
        const char *source = json_string_value(json_object_get(diag, "source"));
        json_t *data = json_object_get(diag, "data");
        json_t *version = json_object_get(data, "version");
        json_t *fixes = json_object_get(data, "fixes");
        if (source == NULL || strcmp(source, "margin") != 0 || !json_is_array(fixes))
            continue;
        if (!json_is_integer(version) || json_integer_value(version) != doc->version) {
            LOGD("stale fix for %s v%lld (document is v%lld)", doc->uri,
                 (long long)json_integer_value(version), (long long)doc->version);
            continue;
        }
        size_t j;
        json_t *fix;
        json_array_foreach(fixes, j, fix)
        {
            const char *title = json_string_value(json_object_get(fix, "title"));
            json_t *edits = json_object_get(fix, "edits");
            if (title == NULL || !json_is_array(edits))
                continue;
            json_array_append_new(
                actions, json_pack("{s:s, s:s, s:[O], s:b, s:o}", "title", title, "kind",
                                   "quickfix", "diagnostics", diag, "isPreferred", j == 0, "edit",
                                   workspace_edit(doc->uri, json_deep_copy(edits))));
        }
    }
}

/* One WorkspaceEdit with what fix-all takes (diag_list_fix_all). */
static json_t *fix_all_action(const struct server *srv, struct doc *doc)
{
    const struct an_edit **taken;
    size_t n = diag_list_fix_all(&doc->diags, &taken);
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
    if (kind_wanted(only, "quickfix"))
        add_quickfixes(doc, context, actions);
    /* Source actions are listed when asked for by kind; with no `only` (the
     * light bulb) only when there is something to fix. */
    if (kind_wanted(only, "source.fixAll.margin")) {
        json_t *all = fix_all_action(srv, doc);
        if (all != NULL)
            json_array_append_new(actions, all);
    }
    return actions;
}
