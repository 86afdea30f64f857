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
json_t *srv__document_symbol(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__diagnostic(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__code_action(struct server *srv, json_t *params, struct srv_err *err);
json_t *srv__dump_document(struct server *srv, json_t *params, struct srv_err *err);

/* Whether the method table is sorted, as bsearch needs (asserted at start). */
bool srv__methods_sorted(void);

/* Parse and analyse one document if it needs it; publish when pushing. */
void srv__refresh(struct server *srv, struct doc *doc);
/* The open document named by params.textDocument.uri, or NULL with err set. */
struct doc *srv__param_doc(struct server *srv, json_t *params, struct srv_err *err);
/* Send a notification (takes `params`). */
void srv__notify(struct server *srv, const char *method, json_t *params);

#endif
