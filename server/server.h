/* The language server's state and its request handlers. Transport-free:
 * messages come in through srv_handle_body() and go out through the `send`
 * hook, so the libuv loop (io.c) and the transcript runner (transcript.c)
 * drive the very same code. */
#ifndef MG_SERVER_H
#define MG_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#include "analyzer.h"
#include "doc.h"
#include "pos.h"

enum srv_state { SRV_UNINIT, SRV_RUNNING, SRV_SHUTDOWN, SRV_EXITED };

/* A request whose answer waits for the documents to be analysed (it must
 * see the text of every change read before it). Cancellable until then. */
struct srv_pending {
    json_t *id; /* owned reference */
    char *method;
    json_t *params; /* owned reference */
};

/* Settings (config.c: the editor's over pyproject.toml) and the review
 * base (review.c); both made on first use. */
struct srv_config;
struct srv_review;
struct srv_settings {
    struct srv_config *config;
    struct srv_review *review;
};

struct server {
    enum srv_state state;
    int exit_code; /* valid once state == SRV_EXITED */
    enum pos_enc enc;
    struct docs docs;
    TSParser *parser;
    struct srv_settings settings;

    /* What the client said it can do. */
    bool client_pull_diagnostics;  /* textDocument.diagnostic */
    bool client_related_info;      /* publishDiagnostics.relatedInformation */
    bool client_hierarchical_syms; /* documentSymbol.hierarchicalDocumentSymbolSupport */
    bool client_refresh_diagnostics;

    struct srv_pending *pending;
    size_t n_pending, cap_pending;
    bool dirty;              /* some document needs parsing or analysis */
    void *loop;              /* the uv_loop_t serving the client (io.c); NULL in transcripts */
    struct wsi_live *windex; /* the workspace index for MG310/MG311 (wsindex.h), or NULL */
    int64_t next_request_id;

    /* Takes ownership of `msg`. */
    void (*send)(struct server *srv, json_t *msg);
    /* A message already encoded (a JSON object); NULL: parsed and given
     * to `send`. */
    void (*send_text)(struct server *srv, const char *body, size_t len);
    /* A request handler's result already encoded (heap JSON text), taken
     * by the reply instead of the json_t it returns; NULL: none. */
    char *raw_result;
    size_t raw_result_len;
    void *send_ud;
};

/* Returns 0, or -MG_EINVAL when the grammar's ABI is refused. */
int srv_init(struct server *srv, void (*send)(struct server *, json_t *), void *ud);
void srv_release(struct server *srv);

/* One framed body from the client. Never fails: bad input gets the JSON-RPC
 * error it deserves and the server keeps serving. */
void srv_handle_body(struct server *srv, const char *body, size_t len);

/* Parse and analyse what changed, publish diagnostics, then answer the
 * pending requests. Called once the messages already read are applied. */
void srv_flush(struct server *srv);

/* The stream ended (EOF): answer what is pending and stop. */
void srv_eof(struct server *srv);

/* Logs to the client (window/logMessage; type 1 error .. 4 log) and stderr. */
void srv_log_client(struct server *srv, int type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- used by the handler files (server.c, diagnostics.c, symbols.c) --- */

/* An error to answer a request with: handlers set it and return NULL. */
struct srv_err {
    int code;
    char *message; /* heap */
};
void srv_err_set(struct srv_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* LSP Range for bytes [start, end) of `doc` in the negotiated encoding. */
json_t *srv_range(const struct server *srv, const struct doc *doc, uint32_t start, uint32_t end);
/* LSP Position -> byte offset (clamped as the spec says); -MG_EINVAL when
 * `pos` is malformed. */
int srv_position_bytes(const struct server *srv, const struct doc *doc, const json_t *pos,
                       uint32_t *off);
/* LSP Range -> bytes; -MG_EINVAL when `range` is malformed. Out-of-range
 * positions are clamped as the LSP spec says. */
int srv_range_bytes(const struct server *srv, const struct doc *doc, const json_t *range,
                    uint32_t *start, uint32_t *end);

/* diagnostics.c: LSP Diagnostic[] of the document's current findings, as
 * JSON text appended to `b`. */
struct mg_buf;
void srv_diagnostics_text(const struct server *srv, struct doc *doc, struct mg_buf *b);
/* diagnostics.c: textDocument/codeAction. */
json_t *srv_code_actions(struct server *srv, struct doc *doc, json_t *params, struct srv_err *err);
/* hover.c: textDocument/hover on a def or a call: what may escape it. */
json_t *srv_hover(struct server *srv, struct doc *doc, json_t *params, struct srv_err *err);
/* symbols.c: textDocument/documentSymbol result. */
json_t *srv_document_symbols(const struct server *srv, const struct doc *doc);

#endif
