/* JSON-RPC 2.0 as LSP uses it: classify an incoming body, and build
 * results, errors, notifications and requests. */
#ifndef MG_RPC_H
#define MG_RPC_H

#include <jansson.h>
#include <stddef.h>

enum rpc_code {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_SERVER_NOT_INITIALIZED = -32002,
    RPC_REQUEST_FAILED = -32803,
    RPC_REQUEST_CANCELLED = -32800,
    RPC_CONTENT_MODIFIED = -32801,
};

enum rpc_kind { RPC_REQUEST, RPC_NOTIFICATION, RPC_RESPONSE };

/* A decoded message. Owns `root`; the other pointers borrow from it. */
struct rpc_msg {
    enum rpc_kind kind;
    json_t *root;
    json_t *id;         /* requests and responses; NULL for notifications */
    const char *method; /* requests and notifications */
    json_t *params;     /* may be NULL */
};

/* Decode one body. Returns 0 and fills `out` (release it with
 * rpc_msg_release), or RPC_PARSE_ERROR / RPC_INVALID_REQUEST (negative
 * JSON-RPC codes) with *reply set to the error response to send (a new
 * reference). */
int rpc_decode(const char *body, size_t len, struct rpc_msg *out, json_t **reply);
void rpc_msg_release(struct rpc_msg *msg);

/* Builders. Each returns a new reference. `id` is borrowed (copied with
 * json_incref); NULL means JSON null. `result`/`params` are stolen and may
 * be NULL (result: null; params: omitted). */
json_t *rpc_result(json_t *id, json_t *result);
json_t *rpc_error(json_t *id, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
json_t *rpc_notification(const char *method, json_t *params);
json_t *rpc_request(json_t *id, const char *method, json_t *params);

/* A short printable form of an id for logs ("12", "\"abc\"", "null"). */
const char *rpc_id_str(const json_t *id, char *buf, size_t cap);

#endif
