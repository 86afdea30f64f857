/* JSON-RPC 2.0 decoding and message builders; see rpc.h. */
#include "rpc.h"
#include "mg.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool valid_id(const json_t *id)
{
    /* JSON-RPC allows strings and numbers (and null, discouraged; LSP: integer | string). */
    return json_is_string(id) || json_is_integer(id) ||
           (json_is_real(id) && json_real_value(id) == (double)(long long)json_real_value(id));
}

int rpc_decode(const char *body, size_t len, struct rpc_msg *out, json_t **reply)
{
    memset(out, 0, sizeof(*out));
    *reply = NULL;
    json_error_t jerr;
    /* JSON_ALLOW_NUL: "\u0000" inside document text is legal JSON.
     * JSON_DECODE_ANY: a bare string is valid JSON, so InvalidRequest, not ParseError. */
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        *reply = rpc_error(NULL, RPC_PARSE_ERROR, "cannot parse message: %s (line %d, column %d)",
                           jerr.text, jerr.line, jerr.column);
        return RPC_PARSE_ERROR;
    }
    if (!json_is_object(root)) {
        *reply = rpc_error(NULL, RPC_INVALID_REQUEST, "message is not a JSON object");
        json_decref(root);
        return RPC_INVALID_REQUEST;
    }
    json_t *id = json_object_get(root, "id");
    json_t *jsonrpc = json_object_get(root, "jsonrpc");
    json_t *method = json_object_get(root, "method");
    json_t *params = json_object_get(root, "params");
    json_t *reply_id = (id != NULL && valid_id(id)) ? id : NULL;

    if (!json_is_string(jsonrpc) || strcmp(json_string_value(jsonrpc), "2.0") != 0) {
        *reply = rpc_error(reply_id, RPC_INVALID_REQUEST, "'jsonrpc' must be \"2.0\"");
        goto invalid;
    }
    if (method == NULL) {
        if (id != NULL &&
            (json_object_get(root, "result") != NULL || json_object_get(root, "error") != NULL)) {
            out->kind = RPC_RESPONSE;
            out->root = root;
            out->id = id;
            return 0;
        }
        *reply = rpc_error(reply_id, RPC_INVALID_REQUEST, "message has no 'method'");
        goto invalid;
    }
    if (!json_is_string(method)) {
        *reply = rpc_error(reply_id, RPC_INVALID_REQUEST, "'method' is not a string");
        goto invalid;
    }
    if (id != NULL && !valid_id(id)) {
        *reply = rpc_error(NULL, RPC_INVALID_REQUEST, "'id' must be an integer or a string");
        goto invalid;
    }
    /* "params": null is not JSON-RPC, but eglot sends it with shutdown and
     * exit: read it as no params rather than refuse the lifecycle. */
    if (json_is_null(params))
        params = NULL;
    if (params != NULL && !json_is_object(params) && !json_is_array(params)) {
        *reply = rpc_error(id, RPC_INVALID_REQUEST, "'params' must be an object or an array");
        goto invalid;
    }
    out->kind = id ? RPC_REQUEST : RPC_NOTIFICATION;
    out->root = root;
    out->id = id;
    out->method = json_string_value(method);
    out->params = params;
    return 0;

invalid:
    json_decref(root);
    return RPC_INVALID_REQUEST;
}

void rpc_msg_release(struct rpc_msg *msg)
{
    json_decref(msg->root);
    memset(msg, 0, sizeof(*msg));
}

json_t *rpc_result(json_t *id, json_t *result)
{
    return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "result",
                     result ? result : json_null());
}

json_t *rpc_error(json_t *id, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    json_t *err = json_pack("{s:i, s:s}", "code", code, "message", msg);
    if (err == NULL) /* the message was not valid UTF-8: say so without it */
        err = json_pack("{s:i, s:s}", "code", code, "message", "(message not valid UTF-8)");
    free(msg);
    return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error",
                     err);
}

json_t *rpc_notification(const char *method, json_t *params)
{
    json_t *m = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
    if (params)
        json_object_set_new(m, "params", params);
    return m;
}

json_t *rpc_request(json_t *id, const char *method, json_t *params)
{
    json_t *m = rpc_notification(method, params);
    json_object_set(m, "id", id ? id : json_null());
    return m;
}

const char *rpc_id_str(const json_t *id, char *buf, size_t cap)
{
    if (json_is_integer(id))
        snprintf(buf, cap, "%lld", (long long)json_integer_value(id));
    else if (json_is_string(id))
        snprintf(buf, cap, "\"%s\"", json_string_value(id));
    else
        snprintf(buf, cap, "null");
    return buf;
}
