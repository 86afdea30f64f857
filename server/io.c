/* stdin/stdout on a libuv loop. The only writer of stdout.
 *
 * Input: a pipe, socket or tty is read as a libuv stream; a regular file
 * (margin lsp < transcript) through uv_fs_read. Each chunk goes through the
 * framer; each body to the server. A uv_check handle runs after every poll,
 * i.e. once the messages already read are applied, and flushes the server:
 * a burst of keystrokes costs one analysis, a lone keystroke is answered at
 * once, and no fixed debounce delay is added.
 *
 * Output is written synchronously (poll() on EAGAIN): replies keep their
 * order, none is lost when the process exits, and a client that stops
 * reading slows the server down instead of growing a queue without bound.
 *
 * Analysis runs on the loop thread, so a hang-up during a long analysis (a
 * 20 MB file) would go unnoticed until it ends. A watchdog thread polls
 * stdin for the hang-up only (it reads nothing); if the loop has not seen
 * the end of input itself within a grace period, the watchdog ends the
 * process with the status the loop would have given. */
#include "io.h"
#include "frame.h"
#include "log.h"
#include "mg.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define READ_CHUNK (64 * 1024)

struct io {
    uv_loop_t loop;
    union {
        uv_pipe_t pipe;
        uv_tty_t tty;
    } in;
    uv_stream_t *stream; /* NULL when stdin is a file read with uv_fs_read */
    uv_fs_t fs_req;
    char *fs_buf;
    uv_check_t check;
    struct frame_reader fr;
    struct server *srv;
    bool closing;
    bool out_broken;
    /* The watchdog (see the top of this file). */
    pthread_t watchdog;
    bool watchdog_running;
    int wake[2];          /* a pipe: written to stop the watchdog */
    atomic_bool eof_seen; /* the loop has taken the end of input */
    atomic_int exit_code; /* the status if the process ended now */
};

#define WATCHDOG_GRACE_MS 1500

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* stdout shares a non-blocking description (a socketpair): wait. */
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, -1);
        } else {
            return -MG_EIO;
        }
    }
    return 0;
}

static void io_send_text(struct server *srv, const char *body, size_t len)
{
    struct io *io = srv->send_ud;
    if (io->out_broken)
        return;
    char header[64];
    size_t hlen = frame_header(header, sizeof(header), len);
    if (write_all(STDOUT_FILENO, header, hlen) != 0 || write_all(STDOUT_FILENO, body, len) != 0) {
        LOGW("cannot write to stdout (%s): the client is gone", strerror(errno));
        io->out_broken = true;
    }
}

static void io_send(struct server *srv, json_t *msg)
{
    char *body = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (body == NULL) {
        LOGE("cannot serialise an outgoing message");
        return;
    }
    io_send_text(srv, body, strlen(body));
    free(body);
}

static void on_body(void *ud, const char *body, size_t len)
{
    struct io *io = ud;
    srv_handle_body(io->srv, body, len);
}

static void on_warn(void *ud, const char *msg)
{
    struct io *io = ud;
    srv_log_client(io->srv, 2, "%s", msg);
}

static void close_all(struct io *io)
{
    if (io->closing)
        return;
    io->closing = true;
    if (io->stream != NULL) {
        uv_read_stop(io->stream);
        uv_close((uv_handle_t *)io->stream, NULL);
    }
    uv_close((uv_handle_t *)&io->check, NULL);
}

static void end_of_input(struct io *io)
{
    atomic_store(&io->eof_seen, true);
    LOGI("end of input");
    srv_eof(io->srv);
    close_all(io);
}

/* Feed a chunk; stop once the client said exit or stdout broke. */
static void feed(struct io *io, const char *data, size_t len)
{
    frame_feed(&io->fr, data, len);
    enum srv_state st = io->srv->state;
    atomic_store(&io->exit_code, st == SRV_EXITED     ? io->srv->exit_code
                                 : st == SRV_SHUTDOWN ? 0
                                                      : 1);
    if (io->srv->state == SRV_EXITED || io->out_broken)
        end_of_input(io);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = xmalloc(READ_CHUNK);
    buf->len = READ_CHUNK;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct io *io = s->data;
    if (nread > 0 && !io->closing)
        feed(io, buf->base, (size_t)nread);
    free(buf->base);
    if (nread < 0) {
        if (nread != UV_EOF)
            LOGW("cannot read stdin: %s", uv_strerror((int)nread));
        if (!io->closing)
            end_of_input(io);
    }
}

static void fs_read_cb(uv_fs_t *req)
{
    struct io *io = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    if (n > 0 && !io->closing)
        feed(io, io->fs_buf, (size_t)n);
    if (io->closing)
        return;
    if (n <= 0) {
        if (n < 0)
            LOGW("cannot read stdin: %s", uv_strerror((int)n));
        end_of_input(io);
        return;
    }
    uv_buf_t b = uv_buf_init(io->fs_buf, READ_CHUNK);
    uv_fs_read(&io->loop, &io->fs_req, STDIN_FILENO, &b, 1, -1, fs_read_cb);
}

static void check_cb(uv_check_t *h)
{
    struct io *io = h->data;
    if (!io->closing && (io->srv->dirty || io->srv->n_pending))
        srv_flush(io->srv);
}

static void *watchdog_main(void *arg)
{
    struct io *io = arg;
    struct pollfd pfd[2] = {
        {.fd = STDIN_FILENO, .events = POLLRDHUP},
        {.fd = io->wake[0], .events = POLLIN},
    };
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (pfd[1].revents != 0)
            return NULL; /* stopped: the loop is done */
        if (pfd[0].revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
            break;
    }
    /* Hung up. Give the loop time to read what is left and finish. */
    for (int waited = 0; waited < WATCHDOG_GRACE_MS; waited += 50) {
        if (atomic_load(&io->eof_seen))
            return NULL;
        struct pollfd w = {.fd = io->wake[0], .events = POLLIN};
        if (poll(&w, 1, 50) > 0)
            return NULL;
    }
    log_msg(LOG_INFO, __func__, "the client hung up during a long analysis: exiting");
    _exit(atomic_load(&io->exit_code));
}

/* Only a pipe or socket can hang up; a file or tty ends by reading. */
static void watchdog_start(struct io *io)
{
    uv_handle_type t = uv_guess_handle(STDIN_FILENO);
    if ((t != UV_NAMED_PIPE && t != UV_TCP) || pipe(io->wake) != 0)
        return;
    atomic_store(&io->exit_code, 1);
    io->watchdog_running = pthread_create(&io->watchdog, NULL, watchdog_main, io) == 0;
    if (!io->watchdog_running) {
        close(io->wake[0]);
        close(io->wake[1]);
    }
}

static void watchdog_stop(struct io *io)
{
    if (!io->watchdog_running)
        return;
    ssize_t w = write(io->wake[1], "x", 1);
    (void)w;
    pthread_join(io->watchdog, NULL);
    close(io->wake[0]);
    close(io->wake[1]);
    io->watchdog_running = false;
}

static int open_stdin(struct io *io)
{
    uv_handle_type t = uv_guess_handle(STDIN_FILENO);
    int rc;
    switch (t) {
    case UV_NAMED_PIPE:
    case UV_TCP:
        rc = uv_pipe_init(&io->loop, &io->in.pipe, 0);
        if (rc == 0)
            rc = uv_pipe_open(&io->in.pipe, STDIN_FILENO);
        io->stream = (uv_stream_t *)&io->in.pipe;
        break;
    case UV_TTY:
        rc = uv_tty_init(&io->loop, &io->in.tty, STDIN_FILENO, 1);
        io->stream = (uv_stream_t *)&io->in.tty;
        break;
    default: {
        /* A regular file (or /dev/null): libuv cannot poll it, so read it
         * in chunks on the thread pool. */
        io->stream = NULL;
        io->fs_buf = xmalloc(READ_CHUNK);
        io->fs_req.data = io;
        uv_buf_t b = uv_buf_init(io->fs_buf, READ_CHUNK);
        return uv_fs_read(&io->loop, &io->fs_req, STDIN_FILENO, &b, 1, -1, fs_read_cb);
    }
    }
    if (rc != 0)
        return rc;
    io->stream->data = io;
    return uv_read_start(io->stream, alloc_cb, read_cb);
}

int io_run(struct server *srv)
{
    struct io io;
    memset(&io, 0, sizeof(io));
    io.srv = srv;
    srv->send = io_send;
    srv->send_text = io_send_text;
    srv->send_ud = &io;
    signal(SIGPIPE, SIG_IGN); /* a vanished client is an EPIPE, not a death */

    int rc = uv_loop_init(&io.loop);
    if (rc != 0) {
        LOGE("cannot start the event loop: %s", uv_strerror(rc));
        return 1;
    }
    srv->loop = &io.loop;
    struct frame_cbs cbs = {on_body, on_warn};
    frame_init(&io.fr, &cbs, &io, 0);
    uv_check_init(&io.loop, &io.check);
    io.check.data = &io;
    uv_check_start(&io.check, check_cb);
    uv_unref((uv_handle_t *)&io.check);

    watchdog_start(&io);
    rc = open_stdin(&io);
    if (rc != 0) {
        LOGE("cannot read stdin: %s", uv_strerror(rc));
        srv->state = SRV_EXITED;
        srv->exit_code = 1;
        close_all(&io);
    }
    uv_run(&io.loop, UV_RUN_DEFAULT);
    /* Close whatever is left (a pending fs read finishes first). */
    close_all(&io);
    uv_run(&io.loop, UV_RUN_DEFAULT);
    watchdog_stop(&io);
    uv_loop_close(&io.loop);
    frame_release(&io.fr);
    free(io.fs_buf);
    return srv->exit_code;
}
