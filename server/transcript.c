/* The transcript runner (see transcript.h): the same server code as
 * `margin lsp`, driven synchronously with no transport. */
#include "transcript.h"
#include "log.h"
#include "mg.h"
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_msg(struct server *srv, json_t *msg)
{
    (void)srv;
    char *s = json_dumps(msg, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(msg);
    if (s != NULL) {
        fputs(s, stdout);
        fputs("\n", stdout);
        free(s);
    }
}

static bool is_line(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 &&
           (p + n == end || p[n] == '\n' ||
            (p[n] == '\r' && (p + n + 1 == end || p[n + 1] == '\n')));
}

static void run_block(struct server *srv, const char *p, const char *end)
{
    struct mg_buf body = {0};
    bool flush = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl + 1 : end;
        if (is_line(p, end, "#! noflush"))
            flush = false;
        else if (*p != '#')
            mg_buf_add(&body, p, (size_t)(eol - p));
        p = eol;
    }
    size_t i = 0;
    while (i < body.len && strchr(" \t\r\n", body.data[i]))
        i++;
    if (i < body.len)
        srv_handle_body(srv, body.data, body.len);
    if (flush && srv->state != SRV_EXITED)
        srv_flush(srv);
    mg_buf_release(&body);
}

int transcript_run(const char *path)
{
    size_t len;
    char *text;
    int rc = mg_read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path, SIZE_MAX, &text, &len);
    if (rc != 0) {
        fprintf(stderr, "margin: cannot read '%s': %s\n", path, strerror(rc));
        return 2;
    }
    struct server srv;
    if (srv_init(&srv, print_msg, NULL) != 0) {
        free(text);
        return 2;
    }
    const char *p = text, *end = text + len, *block = text;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl + 1 : end;
        if (is_line(p, end, "---")) {
            run_block(&srv, block, p);
            block = eol;
        }
        p = eol;
        if (srv.state == SRV_EXITED)
            break;
    }
    if (srv.state != SRV_EXITED)
        run_block(&srv, block, end);
    if (srv.state == SRV_EXITED) {
        srv_eof(&srv);
        printf("# exit %d\n", srv.exit_code);
    } else {
        srv_eof(&srv);
        printf("# end of input (exit %d)\n", srv.exit_code);
    }
    srv_release(&srv);
    free(text);
    fflush(stdout);
    return 0;
}
