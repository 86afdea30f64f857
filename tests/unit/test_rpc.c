/* Unit tests of protocol/rpc.c: classifying messages and building replies. */
#include <criterion/criterion.h>
#include <string.h>

#include "rpc.h"

static int decode(const char *body, struct rpc_msg *msg, json_t **reply)
{
    return rpc_decode(body, strlen(body), msg, reply);
}

static int error_code(json_t *reply)
{
    return (int)json_integer_value(json_object_get(json_object_get(reply, "error"), "code"));
}

Test(rpc, request)
{
    struct rpc_msg m;
    json_t *r;
    cr_assert_eq(decode("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x/y\",\"params\":{}}", &m, &r),
                 0);
    cr_assert_eq(m.kind, RPC_REQUEST);
    cr_assert_str_eq(m.method, "x/y");
    cr_assert_eq(json_integer_value(m.id), 7);
    cr_assert(json_is_object(m.params));
    cr_assert_null(r);
    rpc_msg_release(&m);
}

Test(rpc, notification_and_string_id)
{
    struct rpc_msg m;
    json_t *r;
    cr_assert_eq(decode("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}", &m, &r), 0);
    cr_assert_eq(m.kind, RPC_NOTIFICATION);
    cr_assert_null(m.id);
    cr_assert_null(m.params);
    rpc_msg_release(&m);
    cr_assert_eq(decode("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"m\"}", &m, &r), 0);
    cr_assert_eq(m.kind, RPC_REQUEST);
    cr_assert_str_eq(json_string_value(m.id), "a");
    rpc_msg_release(&m);
}

Test(rpc, response)
{
    struct rpc_msg m;
    json_t *r;
    cr_assert_eq(decode("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":null}", &m, &r), 0);
    cr_assert_eq(m.kind, RPC_RESPONSE);
    rpc_msg_release(&m);
    cr_assert_eq(decode("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":1}}", &m, &r), 0);
    cr_assert_eq(m.kind, RPC_RESPONSE);
    rpc_msg_release(&m);
}

Test(rpc, parse_error_has_null_id)
{
    struct rpc_msg m;
    json_t *r;
    cr_assert_eq(decode("{\"jsonrpc\":\"2.0\",\"id\":1,", &m, &r), RPC_PARSE_ERROR);
    cr_assert_eq(error_code(r), RPC_PARSE_ERROR);
    cr_assert(json_is_null(json_object_get(r, "id")));
    json_decref(r);
}

Test(rpc, invalid_utf8_is_a_parse_error)
{
    struct rpc_msg m;
    json_t *r;
    cr_assert_eq(decode("{\"jsonrpc\":\"2.0\",\"method\":\"\xff\"}", &m, &r), RPC_PARSE_ERROR);
    json_decref(r);
    cr_assert_eq(decode("{\"jsonrpc\":\"2.0\",\"method\":\"\\ud800\"}", &m, &r), RPC_PARSE_ERROR);
    json_decref(r);
}

Test(rpc, nul_in_strings_is_allowed)
{
    struct rpc_msg m;
    json_t *r;
    const char body[] = "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"t\":\"a\\u0000b\"}}";
    cr_assert_eq(rpc_decode(body, sizeof(body) - 1, &m, &r), 0);
    cr_assert_eq(json_string_length(json_object_get(m.params, "t")), 3);
    rpc_msg_release(&m);
}

Test(rpc, invalid_requests)
{
    static const char *const bodies[] = {
        "[1,2]",
        "\"x\"",
        "{\"jsonrpc\":\"2.0\",\"id\":1}",
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}",
        "{\"id\":1,\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}",
        "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":3}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct rpc_msg m;
        json_t *r;
        cr_assert_eq(decode(bodies[i], &m, &r), RPC_INVALID_REQUEST, "%s", bodies[i]);
        cr_assert_eq(error_code(r), RPC_INVALID_REQUEST, "%s", bodies[i]);
        json_decref(r);
    }
}

Test(rpc, invalid_request_keeps_a_valid_id)
{
    struct rpc_msg m;
    json_t *r;
    decode("{\"jsonrpc\":\"1.0\",\"id\":9,\"method\":\"m\"}", &m, &r);
    cr_assert_eq(json_integer_value(json_object_get(r, "id")), 9);
    json_decref(r);
}

Test(rpc, builders)
{
    json_t *id = json_integer(4);
    json_t *res = rpc_result(id, NULL);
    cr_assert(json_is_null(json_object_get(res, "result")));
    cr_assert_eq(json_integer_value(json_object_get(res, "id")), 4);
    json_decref(res);

    json_t *err = rpc_error(id, RPC_METHOD_NOT_FOUND, "unknown request '%s'", "x");
    cr_assert_eq(error_code(err), RPC_METHOD_NOT_FOUND);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(err, "error"), "message")),
                     "unknown request 'x'");
    json_decref(err);

    /* A message that is not UTF-8 must still give a valid error. */
    err = rpc_error(id, RPC_INVALID_PARAMS, "bad '%s'", "\xff");
    cr_assert_not_null(err);
    cr_assert_eq(error_code(err), RPC_INVALID_PARAMS);
    json_decref(err);

    json_t *n = rpc_notification("window/logMessage", json_object());
    cr_assert_null(json_object_get(n, "id"));
    cr_assert(json_is_object(json_object_get(n, "params")));
    json_decref(n);

    json_t *q = rpc_request(id, "workspace/diagnostic/refresh", NULL);
    cr_assert_eq(json_integer_value(json_object_get(q, "id")), 4);
    cr_assert_null(json_object_get(q, "params"));
    json_decref(q);
    json_decref(id);
}

Test(rpc, id_str)
{
    char buf[32];
    json_t *a = json_integer(12), *b = json_string("x");
    cr_assert_str_eq(rpc_id_str(a, buf, sizeof(buf)), "12");
    cr_assert_str_eq(rpc_id_str(b, buf, sizeof(buf)), "\"x\"");
    cr_assert_str_eq(rpc_id_str(NULL, buf, sizeof(buf)), "null");
    json_decref(a);
    json_decref(b);
}
