/* Server state, initialize, document synchronisation and settings. */
#include "config.h"
#include "incr.h"
#include "internal.h"
#include "log.h"
#include "mg.h"
#include "rpc.h"
#include "wsindex.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Settings live in config.c (the editor's over pyproject.toml) and the
 * review base in review.c. */

/* --- lifecycle ------------------------------------------------------------ */

int srv_init(struct server *srv, void (*send)(struct server *, json_t *), void *ud)
{
    assert(srv__methods_sorted());
    memset(srv, 0, sizeof(*srv));
    srv->state = SRV_UNINIT;
    srv->enc = POS_UTF16;
    srv->send = send;
    srv->send_ud = ud;
    docs_init(&srv->docs);
    srv->parser = ts_parser_new();
    if (!ts_parser_set_language(srv->parser, tree_sitter_python())) {
        LOGE("the tree-sitter-python grammar's ABI %u is refused by this tree-sitter",
             ts_language_version(tree_sitter_python()));
        ts_parser_delete(srv->parser);
        srv->parser = NULL;
        return -MG_EINVAL;
    }
    return 0;
}

void srv_release(struct server *srv)
{
    wsi_live_free(srv->windex);
    docs_release(&srv->docs);
    if (srv->parser)
        ts_parser_delete(srv->parser);
    srv__config_release(srv);
    srv__review_release(srv);
    for (size_t i = 0; i < srv->n_pending; i++) {
        json_decref(srv->pending[i].id);
        json_decref(srv->pending[i].params);
        free(srv->pending[i].method);
    }
    free(srv->pending);
    memset(srv, 0, sizeof(*srv));
}

void srv__send_text(struct server *srv, const char *body, size_t len)
{
    if (srv->send_text != NULL) {
        srv->send_text(srv, body, len);
        return;
    }
    json_error_t e;
    json_t *msg = json_loadb(body, len, 0, &e);
    if (msg != NULL)
        srv->send(srv, msg);
    else
        LOGE("an outgoing message does not encode: %s", e.text);
}

void srv__notify(struct server *srv, const char *method, json_t *params)
{
    srv->send(srv, rpc_notification(method, params));
}

static json_t *path_get(json_t *v, const char *dotted)
{
    char key[64];
    while (v != NULL && *dotted) {
        size_t n = strcspn(dotted, ".");
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, dotted, n);
        key[n] = '\0';
        v = json_is_object(v) ? json_object_get(v, key) : NULL;
        dotted += n + (dotted[n] == '.');
    }
    return v;
}

static enum pos_enc negotiate_encoding(json_t *caps)
{
    json_t *offered = path_get(caps, "general.positionEncodings");
    bool utf8 = false, utf16 = false, utf32 = false;
    size_t i;
    json_t *e;
    json_array_foreach(offered, i, e)
    {
        int enc = json_is_string(e) ? pos_enc_parse(json_string_value(e)) : -1;
        utf8 |= enc == POS_UTF8;
        utf16 |= enc == POS_UTF16;
        utf32 |= enc == POS_UTF32;
    }
    if (utf8)
        return POS_UTF8;
    if (utf32 && !utf16)
        return POS_UTF32;
    return POS_UTF16; /* the default of every client that says nothing */
}

json_t *srv__initialize(struct server *srv, json_t *params, struct srv_err *err)
{
    if (!json_is_object(params)) {
        srv_err_set(err, RPC_INVALID_PARAMS, "initialize needs an object of params");
        return NULL;
    }
    json_t *caps = json_object_get(params, "capabilities");
    if (caps != NULL && !json_is_object(caps)) {
        srv_err_set(err, RPC_INVALID_PARAMS, "'capabilities' must be an object");
        return NULL;
    }
    if (srv__config_initialize(srv, params, err) != 0)
        return NULL;
    srv->enc = negotiate_encoding(caps);
    srv->client_refresh_diagnostics =
        json_is_true(path_get(caps, "workspace.diagnostics.refreshSupport"));
    /* Pull only from a client that can be told to pull again (after a
     * settings change): Neovim 0.10 pulls but cannot be, so it gets pushes,
     * and then no diagnosticProvider (it would pull as well: duplicates). */
    srv->client_pull_diagnostics =
        path_get(caps, "textDocument.diagnostic") != NULL && srv->client_refresh_diagnostics;
    srv->client_related_info =
        json_is_true(path_get(caps, "textDocument.publishDiagnostics.relatedInformation"));
    srv->client_hierarchical_syms = json_is_true(
        path_get(caps, "textDocument.documentSymbol.hierarchicalDocumentSymbolSupport"));
    srv->state = SRV_RUNNING;
    LOGI("initialized: position encoding %s, %s diagnostics", pos_enc_name(srv->enc),
         srv->client_pull_diagnostics ? "pull" : "push");

    json_t *caps_out = json_pack(
        "{s:s, s:{s:b, s:i, s:{s:b}}, s:{s:[s,s], s:b}, s:b, s:b, s:{s:[s]}}", "positionEncoding",
        pos_enc_name(srv->enc), "textDocumentSync", "openClose", 1, "change", 2 /* incremental */,
        "save", "includeText", 0, "codeActionProvider", "codeActionKinds", "quickfix",
        "source.fixAll.margin", "resolveProvider", 0, "documentSymbolProvider", 1, "hoverProvider",
        1, "executeCommandProvider", "commands", "margin.review.setBase");
    if (srv->client_pull_diagnostics)
        json_object_set_new(caps_out, "diagnosticProvider",
                            json_pack("{s:s, s:b, s:b}", "identifier", "margin",
                                      "interFileDependencies", 0, "workspaceDiagnostics", 0));
    return json_pack("{s:o, s:{s:s, s:s}}", "capabilities", caps_out, "serverInfo", "name",
                     "margin", "version", MG_VERSION);
}

/* The workspace index is there (or changed): analyse every open document
 * again, since what escapes through other files may have changed. */
static void reanalyse_for_index(struct server *srv)
{
    for (size_t i = 0; i < srv->docs.n; i++) {
        struct doc *doc = srv->docs.items[i];
        struct cfg_resolved cfg;
        srv__doc_config(srv, doc, &cfg);
        /* Only the rules reading the index can change. */
        if (an_rule_enabled(&cfg.opts, "MG310") || an_rule_enabled(&cfg.opts, "MG311")) {
            doc->needs_analyze = true;
            doc->changes.all = true;
            srv->dirty = true;
        }
        cfg_resolved_release(&cfg);
    }
}

static void index_ready(void *ud)
{
    struct server *srv = ud;
    reanalyse_for_index(srv);
    srv_flush(srv);
}

json_t *srv__initialized(struct server *srv, json_t *params, struct srv_err *err)
{
    LOGD("client is initialized");
    srv__config_initialized(srv); /* watch pyproject.toml files, if the client can */
    /* The workspace index for what escapes (MG310/MG311), in the background. */
    size_t n_roots;
    char *const *roots = srv__roots(srv, &n_roots);
    if (srv->loop != NULL && srv->windex == NULL && n_roots > 0)
        srv->windex = wsi_live_start(srv->loop, roots, n_roots, index_ready, srv);
    return NULL;
}

/* --- documents ------------------------------------------------------------ */

struct doc *srv__param_doc(struct server *srv, json_t *params, struct srv_err *err)
{
    const char *uri = json_string_value(path_get(params, "textDocument.uri"));
    if (uri == NULL) {
        srv_err_set(err, RPC_INVALID_PARAMS, "missing 'textDocument.uri'");
        return NULL;
    }
    struct doc *doc = docs_find(&srv->docs, uri);
    if (doc == NULL)
        srv_err_set(err, RPC_INVALID_PARAMS, "document is not open: '%s'", uri);
    return doc;
}

json_t *srv__did_open(struct server *srv, json_t *params, struct srv_err *err)
{
    const char *uri, *text;
    size_t text_len;
    json_int_t version = 0;
    json_error_t jerr;
    if (json_unpack_ex(params, &jerr, 0, "{s:{s:s, s?I, s:s%}}", "textDocument", "uri", &uri,
                       "version", &version, "text", &text, &text_len) != 0) {
        srv_err_set(err, RPC_INVALID_PARAMS, "bad didOpen params: %s", jerr.text);
        return NULL;
    }
    if (docs_find(&srv->docs, uri) != NULL)
        LOGW("'%s' opened twice: taking the new text", uri);
    docs_put(&srv->docs, doc_new(uri, version, text, text_len));
    srv->dirty = true;
    return NULL;
}

/* Apply one TextDocumentContentChangeEvent. Returns 0 or -1 with err set. */
static int apply_change(struct server *srv, struct doc *doc, json_t *change, struct srv_err *err)
{
    json_t *text = json_object_get(change, "text");
    if (!json_is_string(text)) {
        srv_err_set(err, RPC_INVALID_PARAMS, "change of '%s' has no 'text'", doc->uri);
        return -1;
    }
    json_t *range = json_object_get(change, "range");
    if (range == NULL) {
        srv__review_edit(srv, doc, true, 0, 0, NULL, 0);
        doc_set_text(doc, json_string_value(text), json_string_length(text));
        return 0;
    }
    uint32_t start, end;
    if (srv_range_bytes(srv, doc, range, &start, &end) != 0) {
        srv_err_set(err, RPC_INVALID_PARAMS, "change of '%s' has a malformed range", doc->uri);
        return -1;
    }
    srv__review_edit(srv, doc, false, start, end, json_string_value(text),
                     json_string_length(text));
    int rc = doc_splice(doc, start, end, json_string_value(text), json_string_length(text));
    if (rc != 0) {
        srv_err_set(err, RPC_INVALID_PARAMS, "cannot apply a change to '%s': %s", doc->uri,
                    mg_strerror(rc));
        return -1;
    }
    return 0;
}

json_t *srv__did_change(struct server *srv, json_t *params, struct srv_err *err)
{
    const char *uri = json_string_value(path_get(params, "textDocument.uri"));
    json_t *changes = json_object_get(params, "contentChanges");
    if (uri == NULL || !json_is_array(changes)) {
        srv_err_set(err, RPC_INVALID_PARAMS,
                    "didChange needs 'textDocument.uri' and a 'contentChanges' array");
        return NULL;
    }
    struct doc *doc = docs_find(&srv->docs, uri);
    if (doc == NULL) {
        srv_err_set(err, RPC_INVALID_PARAMS, "didChange for a document that is not open: '%s'",
                    uri);
        return NULL;
    }
    json_t *version = path_get(params, "textDocument.version");
    size_t i;
    json_t *change;
    json_array_foreach(changes, i, change)
    {
        /* Changes apply in order; one that cannot be applied stops the rest,
         * since their positions refer to the text it would have made. */
        if (!json_is_object(change) || apply_change(srv, doc, change, err) != 0) {
            if (err->code == 0)
                srv_err_set(err, RPC_INVALID_PARAMS, "change %zu of '%s' is not an object", i, uri);
            break;
        }
    }
    if (json_is_integer(version))
        doc->version = json_integer_value(version);
    srv->dirty = true;
    return NULL;
}

json_t *srv__did_save(struct server *srv, json_t *params, struct srv_err *err)
{
    /* Analysis follows the buffer, not the disk; only the review base is
     * refreshed (a commit may have moved it). */
    struct doc *doc = srv__param_doc(srv, params, err);
    if (doc != NULL)
        srv__review_saved(srv, doc);
    if (doc != NULL && srv->windex != NULL) {
        /* The saved text is what other files now call into. */
        if (doc->needs_parse)
            doc_reparse(doc, srv->parser);
        struct pdoc pd;
        doc_pdoc(doc, &pd);
        wsi_live_update(srv->windex, &pd);
        reanalyse_for_index(srv);
    }
    return NULL;
}

json_t *srv__did_close(struct server *srv, json_t *params, struct srv_err *err)
{
    const char *uri = json_string_value(path_get(params, "textDocument.uri"));
    if (uri == NULL) {
        srv_err_set(err, RPC_INVALID_PARAMS, "didClose needs 'textDocument.uri'");
        return NULL;
    }
    srv__review_closed(srv, uri);
    if (!docs_remove(&srv->docs, uri)) {
        srv_err_set(err, RPC_INVALID_PARAMS, "didClose for a document that is not open: '%s'", uri);
        return NULL;
    }
    if (!srv->client_pull_diagnostics)
        srv__notify(srv, "textDocument/publishDiagnostics",
                    json_pack("{s:s, s:[]}", "uri", uri, "diagnostics"));
    return NULL;
}

void srv__analyze(struct server *srv, struct doc *doc, bool lazy_fixes, struct diag_list *list)
{
    struct pdoc pd;
    doc_pdoc(doc, &pd);
    pd.index = wsi_live_index(srv->windex);
    struct cfg_resolved cfg;
    srv__doc_config(srv, doc, &cfg);
    diag_list_init(list);
    if (doc->too_deep) {
        /* Not parsed at all (see depth.h); CPython refuses such code too. */
        if (an_rule_enabled(&cfg.opts, "E999"))
            diag_list_addf(list, "E999", AN_ERROR, 0, 0, 0,
                           "nested too deeply to parse (CPython allows 200 nested brackets)");
    } else if (doc->tree == NULL) {
        if (an_rule_enabled(&cfg.opts, "E999"))
            diag_list_addf(list, "E999", AN_ERROR, 0, 0, 0,
                           "parsing took too long; this version was not analysed");
    } else {
        struct an_opts opts = cfg.opts;
        opts.lazy_fixes = lazy_fixes;
        an_run_all(&pd, &opts, list);
    }
    cfg_resolved_filter(&cfg, list);          /* per-file-ignores */
    srv__review_filter(srv, doc, &cfg, list); /* only the change, with a review base */
    cfg_resolved_release(&cfg);
}

/* textDocument/publishDiagnostics, written as text: on a large file the
 * findings the edit did not touch are most of it, and they come encoded. */
static void publish(struct server *srv, struct doc *doc)
{
    json_t *uri = json_string(doc->uri);
    char *uri_text = uri ? json_dumps(uri, JSON_ENCODE_ANY) : NULL;
    json_decref(uri);
    if (uri_text == NULL) {
        LOGE("cannot publish for %s: its URI does not encode", doc->uri);
        return;
    }
    struct mg_buf b = {0};
    mg_buf_adds(&b, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/publishDiagnostics\","
                    "\"params\":{\"uri\":");
    mg_buf_adds(&b, uri_text);
    free(uri_text);
    mg_buf_addf(&b, ",\"version\":%lld,\"diagnostics\":", (long long)doc->version);
    srv_diagnostics_text(srv, doc, &b);
    mg_buf_adds(&b, "}}");
    srv__send_text(srv, b.data, b.len);
    mg_buf_release(&b);
}

/* What a client sees of a finding: which one it is (its serial names its
 * code, message and data) and where, as it counts positions. */
struct face {
    uint64_t serial;
    uint32_t pos[4];
    bool has_pos;
};

static struct face *faces_of(const struct diag_list *l)
{
    struct face *f = xmalloc((l->n + 1) * sizeof(*f));
    for (size_t i = 0; i < l->n; i++) {
        f[i].serial = l->items[i].serial;
        f[i].has_pos = l->items[i].has_pos;
        memcpy(f[i].pos, l->items[i].pos, sizeof(f[i].pos));
    }
    return f;
}

static bool same_faces(const struct face *f, size_t n, const struct diag_list *l)
{
    if (n != l->n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (f[i].serial != l->items[i].serial || !f[i].has_pos || !l->items[i].has_pos ||
            memcmp(f[i].pos, l->items[i].pos, sizeof(f[i].pos)) != 0)
            return false;
    return true;
}

void srv__refresh(struct server *srv, struct doc *doc)
{
    if (doc->needs_parse)
        doc_reparse(doc, srv->parser);
    if (!doc->needs_analyze)
        return;
    doc->needs_analyze = false;
    /* Fixes costly to build wait until a code action asks for them. Only
     * what the edits since the last analysis can have changed is analysed
     * again (incr.h), unless a review base filters the findings by line. */
    struct diag_list list;
    struct cfg_resolved cfg;
    srv__doc_config(srv, doc, &cfg);
    struct face *before = faces_of(&doc->diags);
    size_t n_before = doc->diags.n;
    if (doc->tree == NULL || doc->too_deep || srv__review_wanted(srv, &cfg)) {
        srv__analyze(srv, doc, true, &list);
        incr_stamp(doc, &list);
        incr_forget(doc);
        diag_list_release(&doc->diags);
    } else {
        struct pdoc pd;
        doc_pdoc(doc, &pd);
        pd.index = wsi_live_index(srv->windex);
        incr_analyze(doc, &pd, &cfg, &list);
    }
    cfg_resolved_release(&cfg);
    doc_changes_reset(&doc->changes);
    diag_list_release(&doc->full);
    doc->full_valid = false;
    doc->diags = list;
    doc->diags_version = doc->version;
    /* A pull with the previous resultId is answered "unchanged" when the
     * client would see the same findings at the same places. */
    if (!same_faces(before, n_before, &doc->diags))
        doc->result_id++;
    free(before);
    if (!srv->client_pull_diagnostics)
        publish(srv, doc);
}

/* --- requests answered after analysis ------------------------------------ */

json_t *srv__document_symbol(struct server *srv, json_t *params, struct srv_err *err)
{
    struct doc *doc = srv__param_doc(srv, params, err);
    if (doc == NULL)
        return NULL;
    return srv_document_symbols(srv, doc);
}

json_t *srv__hover(struct server *srv, json_t *params, struct srv_err *err)
{
    struct doc *doc = srv__param_doc(srv, params, err);
    if (doc == NULL)
        return NULL;
    return srv_hover(srv, doc, params, err);
}

json_t *srv__diagnostic(struct server *srv, json_t *params, struct srv_err *err)
{
    struct doc *doc = srv__param_doc(srv, params, err);
    if (doc == NULL)
        return NULL;
    char id[32];
    snprintf(id, sizeof(id), "%llu", (unsigned long long)doc->result_id);
    const char *prev = json_string_value(json_object_get(params, "previousResultId"));
    if (prev != NULL && strcmp(prev, id) == 0)
        return json_pack("{s:s, s:s}", "kind", "unchanged", "resultId", id);
    /* Written as text, as publishDiagnostics is (see publish()). */
    struct mg_buf b = {0};
    mg_buf_addf(&b, "{\"kind\":\"full\",\"resultId\":\"%s\",\"items\":", id);
    srv_diagnostics_text(srv, doc, &b);
    mg_buf_adds(&b, "}");
    free(srv->raw_result);
    srv->raw_result = mg_buf_detach(&b, &srv->raw_result_len);
    return NULL;
}

json_t *srv__code_action(struct server *srv, json_t *params, struct srv_err *err)
{
    struct doc *doc = srv__param_doc(srv, params, err);
    if (doc == NULL)
        return NULL;
    json_t *actions = srv_code_actions(srv, doc, params, err);
    srv__noqa_actions(srv, doc, params, actions); /* "Ignore CODE on this line" */
    return actions;
}

/* margin/dumpDocument: the server's copy of a document, its incrementally
 * maintained tree and a fresh parse of the same text, for differential tests
 * and for clients that want to check they agree with the server. */
json_t *srv__dump_document(struct server *srv, json_t *params, struct srv_err *err)
{
    struct doc *doc = srv__param_doc(srv, params, err);
    if (doc == NULL || doc->tree == NULL) {
        if (doc != NULL)
            srv_err_set(err, RPC_REQUEST_FAILED, "'%s' has no syntax tree", doc->uri);
        return NULL;
    }
    TSTree *fresh = ts_parser_parse_string(srv->parser, NULL, doc->text, (uint32_t)doc->len);
    char *inc = ts_node_string(ts_tree_root_node(doc->tree));
    char *fr = fresh ? ts_node_string(ts_tree_root_node(fresh)) : xstrdup("");
    json_t *result =
        json_pack("{s:s, s:I, s:s%, s:s, s:s}", "uri", doc->uri, "version",
                  (json_int_t)doc->version, "text", doc->text, doc->len, "tree", inc, "fresh", fr);
    free(inc);
    free(fr);
    if (fresh)
        ts_tree_delete(fresh);
    if (result == NULL)
        srv_err_set(err, RPC_INTERNAL_ERROR, "cannot encode '%s'", doc->uri);
    return result;
}

/* --- positions ------------------------------------------------------------ */

json_t *srv_range(const struct server *srv, const struct doc *doc, uint32_t start, uint32_t end)
{
    uint32_t l0, c0, l1, c1;
    pos_from_offset(&doc->lines, doc->text, doc->len, start, srv->enc, &l0, &c0);
    pos_from_offset(&doc->lines, doc->text, doc->len, end, srv->enc, &l1, &c1);
    return json_pack("{s:{s:I, s:I}, s:{s:I, s:I}}", "start", "line", (json_int_t)l0, "character",
                     (json_int_t)c0, "end", "line", (json_int_t)l1, "character", (json_int_t)c1);
}

int srv_position_bytes(const struct server *srv, const struct doc *doc, const json_t *pos,
                       uint32_t *off)
{
    json_t *line = json_object_get(pos, "line");
    json_t *character = json_object_get(pos, "character");
    if (!json_is_integer(line) || !json_is_integer(character))
        return -MG_EINVAL;
    json_int_t l = json_integer_value(line), c = json_integer_value(character);
    if (l < 0 || c < 0)
        return -MG_EINVAL;
    /* Positions past the end clamp (the spec's rule); beyond uint32 they
     * are past the end of any text we hold. */
    uint32_t lu = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
    uint32_t cu = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    *off = pos_to_offset(&doc->lines, doc->text, doc->len, lu, cu, srv->enc, NULL);
    return 0;
}

int srv_range_bytes(const struct server *srv, const struct doc *doc, const json_t *range,
                    uint32_t *start, uint32_t *end)
{
    if (!json_is_object(range) ||
        srv_position_bytes(srv, doc, json_object_get(range, "start"), start) != 0 ||
        srv_position_bytes(srv, doc, json_object_get(range, "end"), end) != 0)
        return -MG_EINVAL;
    if (*start > *end)
        return -MG_EINVAL;
    return 0;
}
