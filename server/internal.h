/* Cross-file helpers of server/ (not for other folders). */
#ifndef MG_SERVER_INTERNAL_H
#define MG_SERVER_INTERNAL_H

#include "server.h"

/* A method handler. Requests return the result (a new reference; NULL with
 * `err` set on failure, or NULL without error for a null result).
 * Notifications return NULL and may set `err` to have it logged. */
typedef json_t *(*srv_handler)(struct server *srv, json_t *params, struct srv_err *err);

json_t *srv__initialize(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__initialized(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__did_open(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__did_change(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__did_save(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__did_close(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__did_change_configuration(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__hover(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__document_symbol(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__diagnostic(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__code_action(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__dump_document(struct server *srv, json_t *params, struct srv_err *err);

json_t *srv__did_change_watched_files(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__execute_command(struct server *srv, json_t *params, struct srv_err *err);

/* config.c: settings. srv__config_initialize() takes the workspace folders,
 * the client's watcher capability and initializationOptions; it and
 * srv__apply_settings() return 0, or -1 with err set when a setting is
 * invalid (the old settings stay). srv__doc_config() fills `out` (release
 * it with cfg_resolved_release()) with the settings in force for `doc`,
 * publishing the problems of the pyproject.toml it reads. */
struct cfg_resolved;
int srv__config_initialize(struct server *srv, json_t *params, struct srv_err *err);
void srv__config_initialized(struct server *srv);
int srv__apply_settings(struct server *srv, json_t *v, struct srv_err *err);
void srv__doc_config(struct server *srv, const struct doc *doc, struct cfg_resolved *out);
void srv__config_release(struct server *srv);
/* config.c: the workspace folders (absolute paths; borrowed), count in *n. */
char *const *srv__roots(struct server *srv, size_t *n);
/* config.c: append "Ignore CODE on this line" quick-fixes to `actions`. */
void srv__noqa_actions(struct server *srv, struct doc *doc, json_t *params, json_t *actions);

/* review.c: the review base. srv__review_filter() drops (or, with
 * review.show = "all", demotes) the findings on lines the change did not
 * touch; srv__review_edit() follows one change of the text (call it before
 * doc_splice(); `whole` for a full-text change); srv__review_saved()
 * refreshes the base after a save. */
void srv__review_filter(struct server *srv, struct doc *doc, const struct cfg_resolved *cfg,
                        struct diag_list *l);
void srv__review_edit(struct server *srv, struct doc *doc, bool whole, uint32_t start, uint32_t end,
                      const char *text, size_t len);
void srv__review_saved(struct server *srv, struct doc *doc);
void srv__review_closed(struct server *srv, const char *uri);
void srv__review_release(struct server *srv);
/* Whether a review base filters `cfg`'s findings (then each analysis is whole). */
bool srv__review_wanted(struct server *srv, const struct cfg_resolved *cfg);

/* Does a code action request's context.only cover `kind`? "source" covers
 * "source.fixAll.margin"; an absent `only` covers everything. */
bool srv__kind_wanted(json_t *only, const char *kind);

/* Whether the method table is sorted, as bsearch needs (asserted at start). */
bool srv__methods_sorted(void);

/* Analyse `doc` (parsed) with the settings in force for it and every
 * filter; with `lazy_fixes`, costly fixes are deferred. `list` is inited here. */
void srv__analyze(struct server *srv, struct doc *doc, bool lazy_fixes, struct diag_list *list);

/* Parse and analyse one document if it needs it; publish when pushing. */
void srv__refresh(struct server *srv, struct doc *doc);
/* The open document named by params.textDocument.uri, or NULL with err set. */
struct doc *srv__param_doc(struct server *srv, json_t *params, struct srv_err *err);
/* Send a notification (takes `params`). */
void srv__notify(struct server *srv, const char *method, json_t *params);
/* Send a message already encoded as JSON text (through srv->send_text, or
 * parsed and given to srv->send when there is none). */
void srv__send_text(struct server *srv, const char *body, size_t len);

#endif
