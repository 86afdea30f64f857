/* Method table, lifecycle state, replying exactly once, deferred and
 * cancelled requests. */
#include "internal.h"
#include "log.h"
#include "mg.h"
#include "rpc.h"
#include "wsindex.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { M_REQUEST = 1, M_NOTIFICATION = 2 };
enum {
    F_NEEDS_INIT = 1, /* refused before initialize */
    F_DEFERRED = 2,   /* answered after the documents are analysed */
};

struct method {
    const char *name;
    srv_handler fn;
    int kind;
    int flags;
};

/* Sorted by name (strcmp) for bsearch; srv__methods_sorted() checks it. */
static const struct method methods[] = {
    {"initialize", srv__initialize, M_REQUEST, 0},
    {"initialized", srv__initialized, M_NOTIFICATION, F_NEEDS_INIT},
    {"margin/dumpDocument", srv__dump_document, M_REQUEST, F_NEEDS_INIT | F_DEFERRED},
    {"textDocument/codeAction", srv__code_action, M_REQUEST, F_NEEDS_INIT | F_DEFERRED},
    {"textDocument/diagnostic", srv__diagnostic, M_REQUEST, F_NEEDS_INIT | F_DEFERRED},
    {"textDocument/didChange", srv__did_change, M_NOTIFICATION, F_NEEDS_INIT},
    {"textDocument/didClose", srv__did_close, M_NOTIFICATION, F_NEEDS_INIT},
    {"textDocument/didOpen", srv__did_open, M_NOTIFICATION, F_NEEDS_INIT},
    {"textDocument/didSave", srv__did_save, M_NOTIFICATION, F_NEEDS_INIT},
    {"textDocument/documentSymbol", srv__document_symbol, M_REQUEST, F_NEEDS_INIT | F_DEFERRED},
    {"textDocument/hover", srv__hover, M_REQUEST, F_NEEDS_INIT | F_DEFERRED},
    {"workspace/didChangeConfiguration", srv__did_change_configuration, M_NOTIFICATION,
     F_NEEDS_INIT},
    {"workspace/didChangeWatchedFiles", srv__did_change_watched_files, M_NOTIFICATION,
     F_NEEDS_INIT},
    {"workspace/executeCommand", srv__execute_command, M_REQUEST, F_NEEDS_INIT},
};

bool srv__methods_sorted(void)
{
    for (size_t i = 1; i < MG_ARRAY_LEN(methods); i++)
        if (strcmp(methods[i - 1].name, methods[i].name) >= 0)
            return false;
    return true;
}

static int cmp_method(const void *key, const void *elem)
{
    return strcmp(key, ((const struct method *)elem)->name);
}

static const struct method *find_method(const char *name)
{
    return bsearch(name, methods, MG_ARRAY_LEN(methods), sizeof(methods[0]), cmp_method);
}

void srv_err_set(struct srv_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(err->message);
    err->code = code;
    err->message = xvasprintf(fmt, ap);
    va_end(ap);
}

/* The reply to request `id` whose result is srv->raw_result. */
static void send_raw_result(struct server *srv, json_t *id)
{
    char *idtext = json_dumps(id, JSON_ENCODE_ANY);
    struct mg_buf b = {0};
    mg_buf_adds(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
    mg_buf_adds(&b, idtext ? idtext : "null");
    mg_buf_adds(&b, ",\"result\":");
    mg_buf_add(&b, srv->raw_result, srv->raw_result_len);
    mg_buf_adds(&b, "}");
    free(idtext);
    srv__send_text(srv, b.data, b.len);
    mg_buf_release(&b);
}

static void reply(struct server *srv, json_t *id, const char *method, json_t *result,
                  struct srv_err *err)
{
    char idbuf[64];
    if (err->code != 0) {
        LOGI("--> error %s(%s) %d %s", method, rpc_id_str(id, idbuf, sizeof(idbuf)), err->code,
             err->message);
        srv->send(srv, rpc_error(id, err->code, "%s", err->message));
        json_decref(result);
    } else if (srv->raw_result != NULL) {
        LOGD("--> reply %s(%s)", method, rpc_id_str(id, idbuf, sizeof(idbuf)));
        json_decref(result);
        send_raw_result(srv, id);
    } else {
        LOGD("--> reply %s(%s)", method, rpc_id_str(id, idbuf, sizeof(idbuf)));
        srv->send(srv, rpc_result(id, result));
    }
    free(srv->raw_result); /* a failed handler may have left one */
    srv->raw_result = NULL;
    free(err->message);
    err->message = NULL;
    err->code = 0;
}

static void defer(struct server *srv, json_t *id, const char *method, json_t *params)
{
    MG_GROW(srv->pending, srv->cap_pending, srv->n_pending + 1);
    struct srv_pending *p = &srv->pending[srv->n_pending++];
    p->id = json_incref(id); /* kept until answered or cancelled */
    p->method = xstrdup(method);
    p->params = params ? json_incref(params) : NULL;
}

static void pending_release(struct srv_pending *p)
{
    json_decref(p->id);
    json_decref(p->params);
    free(p->method);
}

static void cancel(struct server *srv, json_t *params)
{
    json_t *id = json_is_object(params) ? json_object_get(params, "id") : NULL;
    if (id == NULL)
        return;
    for (size_t i = 0; i < srv->n_pending; i++) {
        if (!json_equal(srv->pending[i].id, id))
            continue;
        struct srv_pending p = srv->pending[i];
        memmove(&srv->pending[i], &srv->pending[i + 1],
                (srv->n_pending - i - 1) * sizeof(*srv->pending));
        srv->n_pending--;
        struct srv_err err = {0};
        srv_err_set(&err, RPC_REQUEST_CANCELLED, "request '%s' was cancelled", p.method);
        reply(srv, p.id, p.method, NULL, &err);
        pending_release(&p);
        return;
    }
    /* Already answered (or never seen): nothing to do, as the spec allows. */
}

static void handle_request(struct server *srv, struct rpc_msg *msg)
{
    struct srv_err err = {0};
    const struct method *m = find_method(msg->method);
    if (strcmp(msg->method, "shutdown") == 0 && srv->state == SRV_RUNNING) {
        /* Requests that came before shutdown are answered before it. */
        srv_flush(srv);
        srv->state = SRV_SHUTDOWN;
        reply(srv, msg->id, msg->method, NULL, &err);
        return;
    }
    if (srv->state == SRV_UNINIT && strcmp(msg->method, "initialize") != 0) {
        srv_err_set(&err, RPC_SERVER_NOT_INITIALIZED, "server is not initialized: '%s' refused",
                    msg->method);
    } else if (srv->state == SRV_SHUTDOWN) {
        srv_err_set(&err, RPC_INVALID_REQUEST, "server is shutting down: '%s' refused",
                    msg->method);
    } else if (srv->state == SRV_RUNNING && strcmp(msg->method, "initialize") == 0) {
        srv_err_set(&err, RPC_INVALID_REQUEST, "server is already initialized");
    } else if (m == NULL || m->kind != M_REQUEST) {
        srv_err_set(&err, RPC_METHOD_NOT_FOUND, "unknown request '%s'", msg->method);
    } else if (m->flags & F_DEFERRED) {
        defer(srv, msg->id, msg->method, msg->params);
        return;
    } else {
        json_t *result = m->fn(srv, msg->params, &err);
        reply(srv, msg->id, msg->method, result, &err);
        return;
    }
    reply(srv, msg->id, msg->method, NULL, &err);
}

static void handle_notification(struct server *srv, struct rpc_msg *msg)
{
    if (strcmp(msg->method, "exit") == 0) {
        srv_flush(srv); /* whatever came before exit still gets its answer */
        srv->exit_code = srv->state == SRV_SHUTDOWN ? 0 : 1;
        srv->state = SRV_EXITED;
        return;
    }
    if (strcmp(msg->method, "$/cancelRequest") == 0) {
        cancel(srv, msg->params);
        return;
    }
    if (srv->state != SRV_RUNNING) {
        LOGD("dropping notification '%s' (server not running)", msg->method);
        return;
    }
    const struct method *m = find_method(msg->method);
    if (m == NULL || m->kind != M_NOTIFICATION) {
        /* Unknown notifications are ignored; "$/" ones silently (the spec says so). */
        if (strncmp(msg->method, "$/", 2) != 0)
            LOGD("ignoring unknown notification '%s'", msg->method);
        return;
    }
    struct srv_err err = {0};
    json_decref(m->fn(srv, msg->params, &err));
    if (err.code != 0) {
        srv_log_client(srv, 2, "%s: %s", msg->method, err.message);
        free(err.message);
    }
}

void srv_handle_body(struct server *srv, const char *body, size_t len)
{
    if (srv->state == SRV_EXITED)
        return;
    struct rpc_msg msg;
    json_t *err_reply = NULL;
    if (rpc_decode(body, len, &msg, &err_reply) != 0) {
        LOGW("refusing a message: %s",
             json_string_value(json_object_get(json_object_get(err_reply, "error"), "message")));
        srv->send(srv, err_reply);
        return;
    }
    switch (msg.kind) {
    case RPC_REQUEST:
        LOGI("<-- %s", msg.method);
        handle_request(srv, &msg);
        break;
    case RPC_NOTIFICATION:
        LOGI("<-- %s", msg.method);
        handle_notification(srv, &msg);
        break;
    case RPC_RESPONSE:
        /* Replies to our own requests (workspace/diagnostic/refresh): nothing waits on them. */
        LOGD("<-- response");
        break;
    }
    rpc_msg_release(&msg);
}

void srv_flush(struct server *srv)
{
    if (srv->dirty && srv->state != SRV_EXITED) {
        srv->dirty = false;
        for (size_t i = 0; i < srv->docs.n; i++)
            srv__refresh(srv, srv->docs.items[i]);
    }
    /* Answer in arrival order; a handler may not add pending requests. */
    size_t n = srv->n_pending;
    struct srv_pending *list = srv->pending;
    srv->pending = NULL;
    srv->n_pending = srv->cap_pending = 0;
    for (size_t i = 0; i < n; i++) {
        struct srv_err err = {0};
        json_t *result = NULL;
        if (srv->state == SRV_EXITED) {
            srv_err_set(&err, RPC_INTERNAL_ERROR, "server exited before answering");
        } else {
            const struct method *m = find_method(list[i].method);
            result = m->fn(srv, list[i].params, &err);
        }
        reply(srv, list[i].id, list[i].method, result, &err);
        pending_release(&list[i]);
    }
    free(list);
}

void srv_eof(struct server *srv)
{
    if (srv->state != SRV_EXITED) {
        srv->exit_code = srv->state == SRV_SHUTDOWN ? 0 : 1;
        srv->state = SRV_EXITED;
    }
    /* A workspace index still being built stops (frees itself when done). */
    wsi_live_free(srv->windex);
    srv->windex = NULL;
    srv_flush(srv);
}

void srv_log_client(struct server *srv, int type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    log_msg(type <= 1 ? LOG_ERROR : type == 2 ? LOG_WARN : LOG_INFO, __func__, "%s", msg);
    if (srv->state == SRV_RUNNING || srv->state == SRV_SHUTDOWN) {
        json_t *params = json_pack("{s:i, s:s}", "type", type, "message", msg);
        if (params != NULL)
            srv__notify(srv, "window/logMessage", params);
    }
    free(msg);
}
