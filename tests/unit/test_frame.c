/* Unit tests for protocol/frame.c: bodies out of any split of the input,
 * resynchronisation after bad headers and junk, refused bodies. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "mg.h"

/* Everything a reader reported, in order. */
struct sink {
    struct frame_reader fr;
    char **bodies;
    size_t *lens;
    size_t n, cap;
    char **warns;
    size_t n_warns, warn_cap;
    size_t max_cap; /* largest buffer the reader held between feeds */
};

static void on_body(void *ud, const char *body, size_t len)
{
    struct sink *s = ud;
    cr_assert_eq(body[len], '\0', "body not NUL-terminated at body[len]");
    cr_assert_eq(frame_pending(&s->fr), 0, "pending inside on_body");
    size_t cap = s->cap;
    MG_GROW(s->bodies, cap, s->n + 1);
    MG_GROW(s->lens, s->cap, s->n + 1);
    s->bodies[s->n] = xmalloc(len + 1);
    memcpy(s->bodies[s->n], body, len + 1);
    s->lens[s->n++] = len;
}

static void on_warn(void *ud, const char *msg)
{
    struct sink *s = ud;
    MG_GROW(s->warns, s->warn_cap, s->n_warns + 1);
    s->warns[s->n_warns++] = xstrdup(msg);
}

static void sink_init(struct sink *s, size_t max_body)
{
    memset(s, 0, sizeof(*s));
    struct frame_cbs cbs = {.on_body = on_body, .on_warn = on_warn};
    frame_init(&s->fr, &cbs, s, max_body);
}

static void sink_release(struct sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->bodies[i]);
    for (size_t i = 0; i < s->n_warns; i++)
        free(s->warns[i]);
    free(s->bodies);
    free(s->lens);
    free(s->warns);
    frame_release(&s->fr);
}

static void feed(struct sink *s, const char *p, size_t n)
{
    frame_feed(&s->fr, p, n);
    if (s->fr.cap > s->max_cap)
        s->max_cap = s->fr.cap;
}

static void feeds(struct sink *s, const char *str)
{
    feed(s, str, strlen(str));
}

/* Feed `p` cut at the sorted offsets cuts[0..n_cuts). */
static void feed_cut(struct sink *s, const char *p, size_t len, const size_t *cuts, size_t n_cuts)
{
    size_t at = 0;
    for (size_t i = 0; i < n_cuts; i++) {
        feed(s, p + at, cuts[i] - at);
        at = cuts[i];
    }
    feed(s, p + at, len - at);
}

static void assert_body(const struct sink *s, size_t i, const char *want)
{
    cr_assert_lt(i, s->n, "only %zu bodies, wanted #%zu", s->n, i);
    cr_assert_eq(s->lens[i], strlen(want), "body %zu: length %zu, want %zu", i, s->lens[i],
                 strlen(want));
    cr_assert_str_eq(s->bodies[i], want);
}

/* The same bodies and warnings, byte for byte. */
static void assert_same(const struct sink *a, const struct sink *b, const char *what)
{
    cr_assert_eq(a->n, b->n, "%s: %zu bodies vs %zu", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        cr_assert_eq(a->lens[i], b->lens[i], "%s: body %zu length", what, i);
        cr_assert(memcmp(a->bodies[i], b->bodies[i], a->lens[i]) == 0, "%s: body %zu", what, i);
    }
    cr_assert_eq(a->n_warns, b->n_warns, "%s: %zu warnings vs %zu", what, a->n_warns, b->n_warns);
    for (size_t i = 0; i < a->n_warns; i++)
        cr_assert_str_eq(a->warns[i], b->warns[i], "%s: warning %zu", what, i);
}

/* xorshift64*: fixed seeds make the "random" splits reproducible. */
static uint64_t rng_next(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 2685821657736338717ULL;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* A client session: the bodies, and the framed stream of them. */
static const char *const session[] = {
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"processId\":4242,"
    "\"rootUri\":\"file:///home/u/proj\",\"capabilities\":{\"general\":{\"positionEncodings\":"
    "[\"utf-8\",\"utf-16\"]},\"textDocument\":{\"publishDiagnostics\":{\"relatedInformation\":"
    "true}}},\"clientInfo\":{\"name\":\"Neovim\",\"version\":\"0.9.5\"}}}",
    "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}",
    "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":{\"textDocument\":{"
    "\"uri\":\"file:///home/u/proj/caf\xc3\xa9.py\",\"languageId\":\"python\",\"version\":0,"
    "\"text\":\"import os\\r\\n\\ndef f():\\n    try:\\n        pass\\n    except:\\n        "
    "pass  # \xf0\x9f\x98\x80 \xe2\x82\xac\\n\"}}}",
    "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"textDocument\":{"
    "\"uri\":\"file:///home/u/proj/caf\xc3\xa9.py\",\"version\":1},\"contentChanges\":[{"
    "\"range\":{\"start\":{\"line\":0,\"character\":9},\"end\":{\"line\":0,\"character\":9}},"
    "\"text\":\", sys\"}]}}",
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"textDocument/codeAction\",\"params\":{"
    "\"textDocument\":{\"uri\":\"file:///home/u/proj/caf\xc3\xa9.py\"},\"range\":{\"start\":{"
    "\"line\":6,\"character\":4},\"end\":{\"line\":6,\"character\":11}},\"context\":{"
    "\"diagnostics\":[]}}}",
    "{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":2}}",
    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"shutdown\"}",
    "{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}",
};

static char *session_stream(size_t *len_out)
{
    struct mg_buf b = {0};
    for (size_t i = 0; i < MG_ARRAY_LEN(session); i++) {
        size_t n = strlen(session[i]);
        /* Vary the header spelling the way real clients do. */
        if (i == 2)
            mg_buf_addf(&b,
                        "Content-Length: %zu\r\nContent-Type: application/vscode-jsonrpc; "
                        "charset=utf-8\r\n\r\n",
                        n);
        else if (i == 5)
            mg_buf_addf(&b, "content-length:%zu\r\n\r\n", n);
        else
            mg_buf_addf(&b, "Content-Length: %zu\r\n\r\n", n);
        mg_buf_adds(&b, session[i]);
    }
    return mg_buf_detach(&b, len_out);
}

static void assert_session(const struct sink *s, const char *what)
{
    cr_assert_eq(s->n, MG_ARRAY_LEN(session), "%s: %zu bodies", what, s->n);
    for (size_t i = 0; i < s->n; i++)
        cr_assert_str_eq(s->bodies[i], session[i], "%s: body %zu", what, i);
    cr_assert_eq(s->n_warns, 0, "%s: %zu warnings, first '%s'", what, s->n_warns,
                 s->n_warns ? s->warns[0] : "");
    cr_assert_eq(frame_pending(&s->fr), 0, "%s: bytes left pending", what);
}

Test(frame, splits_two_bodies)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "Content-Length: 2\r\n\r\n{}Content-Length: 13\r\n\r\n{\"method\":1");
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "{}");
    cr_assert_eq(frame_pending(&s.fr), 22 + 11, "header and body so far are pending");
    sink_release(&s);

    sink_init(&s, 0);
    feeds(&s, "Content-Length: 2\r\n\r\n{}Content-Length: 3\r\n\r\n[1]");
    cr_assert_eq(s.n, 2);
    assert_body(&s, 0, "{}");
    assert_body(&s, 1, "[1]");
    cr_assert_eq(s.n_warns, 0);
    sink_release(&s);
}

Test(frame, session_whole_and_byte_by_byte)
{
    size_t len;
    char *stream = session_stream(&len);
    struct sink s;
    sink_init(&s, 0);
    feed(&s, stream, len);
    assert_session(&s, "one feed");
    sink_release(&s);

    sink_init(&s, 0);
    for (size_t i = 0; i < len; i++)
        feed(&s, stream + i, 1);
    assert_session(&s, "byte by byte");
    sink_release(&s);
    free(stream);
}

Test(frame, session_every_split_point)
{
    size_t len;
    char *stream = session_stream(&len);
    for (size_t cut = 0; cut <= len; cut++) {
        struct sink s;
        sink_init(&s, 0);
        feed_cut(&s, stream, len, &cut, 1);
        char what[32];
        snprintf(what, sizeof(what), "cut at %zu", cut);
        assert_session(&s, what);
        sink_release(&s);
    }
    free(stream);
}

Test(frame, session_random_splits)
{
    size_t len;
    char *stream = session_stream(&len);
    uint64_t rng = 0x5eed1234abcdULL;
    size_t cuts[40];
    for (int round = 0; round < 2000; round++) {
        size_t n_cuts = 2 + rng_next(&rng) % 38;
        for (size_t i = 0; i < n_cuts; i++)
            cuts[i] = rng_next(&rng) % (len + 1);
        qsort(cuts, n_cuts, sizeof(cuts[0]), cmp_size);
        struct sink s;
        sink_init(&s, 0);
        feed_cut(&s, stream, len, cuts, n_cuts);
        char what[32];
        snprintf(what, sizeof(what), "round %d", round);
        assert_session(&s, what);
        sink_release(&s);
    }
    free(stream);
}

/* Bad input too must give the same bodies and warnings for any split. */
static const char messy[] = "garbage line\r\n"
                            "Content-Length: 2\r\n\r\n{}"
                            "\r\n"
                            "Content-Length: abc\r\n\r\n{\"lost\":1}\n"
                            "content-length: 3\nX-Custom: 1\n\n[1]"
                            "Content-Type: text/plain\r\n\r\n{\"nolen\":1}"
                            "Content-Length: 40\r\n\r\nContent-Length: 2\r\n\r\n{}0123456789abcdefg"
                            "Content-Length: 5\r\nContent-Length: 6\r\n\r\n{...}"
                            "Content-Length: 7\r\n\r\n"
                            "a\0b\r\n\0c"
                            "junk{\"x\":1}Content-Length: 2\r\n\r\n[]";

static void feed_messy(struct sink *s, const size_t *cuts, size_t n_cuts)
{
    feed_cut(s, messy, sizeof(messy) - 1, cuts, n_cuts);
}

Test(frame, messy_input_every_split_point)
{
    struct sink ref;
    sink_init(&ref, 16);
    feed_messy(&ref, NULL, 0);
    cr_assert_eq(ref.n, 4);
    assert_body(&ref, 0, "{}");
    assert_body(&ref, 1, "[1]");
    cr_assert_eq(ref.lens[2], 7);
    cr_assert(memcmp(ref.bodies[2], "a\0b\r\n\0c", 8) == 0);
    assert_body(&ref, 3, "[]");
    static const char *const want[] = {
        "ignoring junk before header 'garbage line'",
        "cannot parse header 'Content-Length: abc'",
        "ignoring unknown header 'X-Custom: 1'",
        "missing header 'Content-Length'",
        "refusing a body of 40 bytes (limit 16)",
        "conflicting header 'Content-Length: 6' (after 5)",
        "ignoring junk before header 'junk{\"x\":1}'",
    };
    cr_assert_eq(ref.n_warns, MG_ARRAY_LEN(want), "%zu warnings", ref.n_warns);
    for (size_t i = 0; i < MG_ARRAY_LEN(want); i++)
        cr_assert_str_eq(ref.warns[i], want[i]);
    cr_assert_eq(frame_pending(&ref.fr), 0);
    for (size_t cut = 0; cut <= sizeof(messy) - 1; cut++) {
        struct sink s;
        sink_init(&s, 16);
        feed_messy(&s, &cut, 1);
        char what[32];
        snprintf(what, sizeof(what), "cut at %zu", cut);
        assert_same(&ref, &s, what);
        sink_release(&s);
    }
    uint64_t rng = 42;
    size_t cuts[24];
    for (int round = 0; round < 1000; round++) {
        size_t n_cuts = 1 + rng_next(&rng) % 24;
        for (size_t i = 0; i < n_cuts; i++)
            cuts[i] = rng_next(&rng) % sizeof(messy);
        qsort(cuts, n_cuts, sizeof(cuts[0]), cmp_size);
        struct sink s;
        sink_init(&s, 16);
        feed_messy(&s, cuts, n_cuts);
        assert_same(&ref, &s, "random cuts");
        sink_release(&s);
    }
    sink_release(&ref);
}

Test(frame, header_names_case_insensitive)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "content-length: 1\r\n\r\na"
              "CONTENT-LENGTH: 1\r\n\r\nb"
              "CoNtEnT-lEnGtH:1\r\n\r\nc"
              "Content-Length: \t1 \r\n\r\nd");
    cr_assert_eq(s.n, 4);
    assert_body(&s, 0, "a");
    assert_body(&s, 1, "b");
    assert_body(&s, 2, "c");
    assert_body(&s, 3, "d");
    cr_assert_eq(s.n_warns, 0);
    sink_release(&s);
}

Test(frame, content_type_tolerated)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
              "Content-Length: 2\r\n\r\n{}"
              "Content-Length: 2\r\ncontent-type: application/json\r\n\r\n[]");
    cr_assert_eq(s.n, 2);
    assert_body(&s, 0, "{}");
    assert_body(&s, 1, "[]");
    cr_assert_eq(s.n_warns, 0);
    sink_release(&s);
}

Test(frame, unknown_header_warns)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "X-Trace: on\r\nContent-Length: 2\r\n\r\n{}");
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "{}");
    cr_assert_eq(s.n_warns, 1);
    cr_assert_str_eq(s.warns[0], "ignoring unknown header 'X-Trace: on'");
    sink_release(&s);
}

Test(frame, missing_length_resyncs)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "Content-Type: application/json\r\n\r\n{\"id\":1,\"method\":\"x\"}"
              "Content-Length: 2\r\n\r\n{}");
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "{}");
    cr_assert_eq(s.n_warns, 1);
    cr_assert_str_eq(s.warns[0], "missing header 'Content-Length'");
    sink_release(&s);
}

/* Each bad value: one warning, the block and its body are dropped, and the
 * next message arrives. */
Test(frame, bad_length_resyncs)
{
    static const char *const bad[] = {
        "abc",
        "-5",
        "+5",
        "",
        "  ",
        "5x",
        "0x10",
        "1 2",
        "5.0",
        "99999999999999999999999", /* overflows size_t */
        "18446744073709551615",    /* SIZE_MAX: body_len + 1 would overflow */
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(bad); i++) {
        struct sink s;
        sink_init(&s, 0);
        char *in = xasprintf("Content-Length: %s\r\n\r\n{\"lost\":true}\r\n"
                             "Content-Length: 2\r\n\r\n{}",
                             bad[i]);
        feeds(&s, in);
        cr_assert_eq(s.n, 1, "value '%s': %zu bodies", bad[i], s.n);
        assert_body(&s, 0, "{}");
        cr_assert_eq(s.n_warns, 1, "value '%s': %zu warnings", bad[i], s.n_warns);
        char *want = xasprintf("cannot parse header 'Content-Length: %s'", bad[i]);
        cr_assert_str_eq(s.warns[0], want);
        cr_assert_eq(frame_pending(&s.fr), 0);
        free(want);
        free(in);
        sink_release(&s);
    }
}

Test(frame, duplicate_length)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "Content-Length: 2\r\ncontent-length: 2\r\n\r\n{}");
    cr_assert_eq(s.n, 1, "an equal duplicate is harmless");
    cr_assert_eq(s.n_warns, 0);
    feeds(&s, "Content-Length: 2\r\nContent-Length: 3\r\n\r\n[1]Content-Length: 2\r\n\r\n[]");
    cr_assert_eq(s.n, 2);
    assert_body(&s, 1, "[]");
    cr_assert_eq(s.n_warns, 1);
    cr_assert_str_eq(s.warns[0], "conflicting header 'Content-Length: 3' (after 2)");
    sink_release(&s);
}

Test(frame, garbage_before_header)
{
    struct sink s;
    sink_init(&s, 0);
    static const char in[] = "garbage\r\nmore garbage\n\x01\x02\xff\r\n{\"a\":1}\r\n"
                             "\0\0:\0\r\n"
                             "Content-Length: 2\r\n\r\n{}";
    feed(&s, in, sizeof(in) - 1);
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "{}");
    cr_assert_eq(s.n_warns, 1, "one warning for one run of junk");
    cr_assert_str_eq(s.warns[0], "ignoring junk before header 'garbage'");

    /* Junk glued to the header, and unprintable junk quoted with escapes. */
    feeds(&s, "\x1b[0m\\ junk Content-Length: 2\r\n\r\n[]");
    cr_assert_eq(s.n, 2);
    assert_body(&s, 1, "[]");
    cr_assert_eq(s.n_warns, 2);
    cr_assert_str_eq(s.warns[1], "ignoring junk before header '\\x1b[0m\\x5c junk '");
    cr_assert_eq(frame_pending(&s.fr), 0);
    sink_release(&s);
}

Test(frame, junk_inside_header_block)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "Content-Length: 5\r\nnot a header\r\nContent-Length: 2\r\n\r\n{}");
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "{}");
    cr_assert_eq(s.n_warns, 1);
    cr_assert_str_eq(s.warns[0], "cannot parse header 'not a header'");
    sink_release(&s);
}

Test(frame, long_warning_subject_is_cut)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "0123456789012345678901234567890123456789-and-more\r\n");
    cr_assert_eq(s.n_warns, 1);
    cr_assert_str_eq(s.warns[0], "ignoring junk before header "
                                 "'0123456789012345678901234567890123456789...'");
    sink_release(&s);
}

Test(frame, oversize_body_skipped)
{
    /* The refused body holds a whole message: it must be skipped, not parsed. */
    static const char in[] = "Content-Length: 17\r\n\r\n0123456789abcdef!"
                             "Content-Length: 40\r\n\r\n"
                             "Content-Length: 2\r\n\r\n{}0123456789abcdefg"
                             "Content-Length: 16\r\n\r\n0123456789abcdef";
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        struct sink s;
        sink_init(&s, 16);
        if (bytewise)
            for (size_t i = 0; i < sizeof(in) - 1; i++)
                feed(&s, in + i, 1);
        else
            feed(&s, in, sizeof(in) - 1);
        cr_assert_eq(s.n, 1, "%zu bodies", s.n);
        assert_body(&s, 0, "0123456789abcdef"); /* exactly the limit is fine */
        cr_assert_eq(s.n_warns, 2);
        cr_assert_str_eq(s.warns[0], "refusing a body of 17 bytes (limit 16)");
        cr_assert_str_eq(s.warns[1], "refusing a body of 40 bytes (limit 16)");
        sink_release(&s);
    }
}

Test(frame, oversize_body_not_buffered)
{
    struct sink s;
    sink_init(&s, 16);
    size_t big = (size_t)4 << 20;
    char *chunk = xmalloc(65536);
    memset(chunk, '{', 65536);
    char hdr[FRAME_HEADER_CAP];
    feed(&s, hdr, frame_header(hdr, sizeof(hdr), big));
    size_t hlen = strlen(hdr);
    for (size_t done = 0; done < big; done += 65536) {
        cr_assert_eq(frame_pending(&s.fr), hlen + done);
        feed(&s, chunk, 65536);
    }
    cr_assert_eq(frame_pending(&s.fr), 0);
    cr_assert_lt(s.max_cap, 1024, "the refused body was buffered (%zu bytes)", s.max_cap);
    feeds(&s, "Content-Length: 2\r\n\r\n{}");
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "{}");
    cr_assert_eq(s.n_warns, 1);
    free(chunk);
    sink_release(&s);
}

Test(frame, body_with_nul_bytes)
{
    static const char in[] = "Content-Length: 6\r\n\r\n\0a\0\0b\0Content-Length: 1\r\n\r\n\0";
    struct sink s;
    sink_init(&s, 0);
    feed(&s, in, sizeof(in) - 1);
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.lens[0], 6);
    cr_assert(memcmp(s.bodies[0], "\0a\0\0b\0", 7) == 0, "body or its terminating NUL differs");
    cr_assert_eq(s.lens[1], 1);
    cr_assert_eq(s.bodies[1][0], '\0');
    sink_release(&s);
}

Test(frame, zero_length_body)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "Content-Length: 0\r\n\r\nContent-Length: 0\n\n");
    cr_assert_eq(s.n, 2);
    assert_body(&s, 0, "");
    assert_body(&s, 1, "");
    cr_assert_eq(frame_pending(&s.fr), 0);
    sink_release(&s);
}

Test(frame, lf_only_headers)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "Content-Length: 2\n\n{}"
              "Content-Length: 2\r\n\n[]"
              "Content-Length: 3\nContent-Type: x\r\n\r\n[1]");
    cr_assert_eq(s.n, 3);
    assert_body(&s, 0, "{}");
    assert_body(&s, 1, "[]");
    assert_body(&s, 2, "[1]");
    cr_assert_eq(s.n_warns, 0);
    sink_release(&s);
}

Test(frame, blank_lines_between_messages)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "\r\n\nContent-Length: 2\r\n\r\n{}\r\n\r\nContent-Length: 2\r\n\r\n[]\n");
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.n_warns, 0);
    cr_assert_eq(frame_pending(&s.fr), 0);
    sink_release(&s);
}

/* Megabytes of junk, without and with line breaks, in one feed, in 64 KiB
 * chunks and in odd chunks: one warning, bounded memory, and the message
 * after it still arrives. (No criterion .timeout here or below: criterion
 * 2.4.1 leaks in its runner when two tests with timeouts overlap, which
 * fails the ASan build; meson's test timeout is the backstop.) */
Test(frame, huge_garbage_then_valid)
{
    size_t junk_len = (size_t)3 << 20;
    const char *tail = "Content-Length: 2\r\n\r\n{}";
    size_t len = junk_len + strlen(tail);
    char *in = xmalloc(len);
    uint64_t rng = 7;
    for (int variant = 0; variant < 4; variant++) {
        for (size_t i = 0; i < junk_len; i++) {
            /* Printable but no ':', so no line looks like a header. */
            char c = (char)('!' + rng_next(&rng) % 90);
            if (c == ':')
                c = '.';
            if (variant == 1 && rng_next(&rng) % 100 == 0)
                c = '\n';
            if (variant == 2)
                c = (char)(rng_next(&rng) & 0xff); /* any byte at all */
            in[i] = c;
        }
        if (variant == 3) /* a near miss right before the real header */
            memcpy(in + junk_len - 14, "Content-Lengt", 13);
        memcpy(in + junk_len, tail, strlen(tail));
        static const size_t chunks[] = {0, 65536, 1000, 4097};
        for (size_t c = 0; c < MG_ARRAY_LEN(chunks); c++) {
            struct sink s;
            sink_init(&s, 0);
            size_t step = chunks[c] ? chunks[c] : len;
            for (size_t at = 0; at < len; at += step)
                feed(&s, in + at, len - at < step ? len - at : step);
            cr_assert_eq(s.n, 1, "variant %d chunk %zu: %zu bodies", variant, step, s.n);
            assert_body(&s, 0, "{}");
            cr_assert_geq(s.n_warns, 1);
            if (variant != 2) /* random bytes may hold stray header-like lines */
                cr_assert_eq(s.n_warns, 1, "variant %d: %zu warnings, first '%s'", variant,
                             s.n_warns, s.warns[0]);
            cr_assert_leq(s.max_cap, 4 * FRAME_MAX_HEADER, "variant %d: buffer grew to %zu",
                          variant, s.max_cap);
            sink_release(&s);
        }
    }
    free(in);
}

/* Lines over FRAME_MAX_HEADER, inside and outside header blocks: the same
 * bodies and warnings however the input is split. */
Test(frame, long_lines_any_split)
{
    struct mg_buf b = {0};
    for (int i = 0; i < 10000; i++)
        mg_buf_add(&b, "A", 1);
    mg_buf_adds(&b, "Content-Length: 2\r\n\r\n{}"); /* glued to the end: found */
    mg_buf_adds(&b, "Content-Length: 3\r\nX-Big: ");
    for (int i = 0; i < 9000; i++)
        mg_buf_add(&b, "b", 1);
    mg_buf_adds(&b, "\r\n\r\n[1]Content-Length: 2\r\n\r\n[]"); /* block dropped */
    for (int i = 0; i < 800; i++)
        mg_buf_adds(&b, "content-lengt:");
    mg_buf_adds(&b, "\r\nContent-Length: 1\r\n\r\nx");
    mg_buf_adds(&b, "Content-Length: 5");
    for (int i = 0; i < 9000; i++)
        mg_buf_add(&b, " ", 1);
    mg_buf_adds(&b, "\r\n\r\nhelloContent-Length: 2\r\n\r\n{}");
    mg_buf_adds(&b, "Content-Length: 9");
    for (int i = 0; i < 9000; i++) /* a long line: resync near its end */
        mg_buf_add(&b, "z", 1);
    mg_buf_adds(&b, "Content-Length: 2\r\n\r\nok");

    struct sink ref;
    sink_init(&ref, 0);
    feed(&ref, b.data, b.len);
    static const char *const want[] = {"{}", "[]", "x", "{}", "ok"};
    cr_assert_eq(ref.n, MG_ARRAY_LEN(want), "%zu bodies", ref.n);
    for (size_t i = 0; i < MG_ARRAY_LEN(want); i++)
        assert_body(&ref, i, want[i]);
    cr_assert_eq(frame_pending(&ref.fr), 0);

    struct sink s;
    sink_init(&s, 0);
    for (size_t i = 0; i < b.len; i++)
        feed(&s, b.data + i, 1);
    assert_same(&ref, &s, "byte by byte");
    sink_release(&s);
    uint64_t rng = 99;
    size_t cuts[32];
    for (int round = 0; round < 300; round++) {
        size_t n_cuts = 1 + rng_next(&rng) % 32;
        for (size_t i = 0; i < n_cuts; i++)
            cuts[i] = rng_next(&rng) % (b.len + 1);
        qsort(cuts, n_cuts, sizeof(cuts[0]), cmp_size);
        sink_init(&s, 0);
        feed_cut(&s, b.data, b.len, cuts, n_cuts);
        assert_same(&ref, &s, "random cuts");
        sink_release(&s);
    }
    sink_release(&ref);
    mg_buf_release(&b);
}

/* Lines made of near misses: each could be where a header starts. Linear
 * code takes milliseconds; code that rescans per candidate takes hours. */
Test(frame, near_misses_stay_linear)
{
    static const char *const units[] = {"content-length", "Content-Length ", "xContent-Length",
                                        "content-lengt:"};
    for (size_t u = 0; u < MG_ARRAY_LEN(units); u++) {
        struct mg_buf b = {0};
        while (b.len < ((size_t)1 << 20))
            mg_buf_adds(&b, units[u]);
        mg_buf_adds(&b, "\r\nContent-Length: 2\r\n\r\n{}");
        for (int chunked = 0; chunked < 2; chunked++) {
            struct sink s;
            sink_init(&s, 0);
            size_t step = chunked ? 65536 : b.len;
            for (size_t at = 0; at < b.len; at += step)
                feed(&s, b.data + at, b.len - at < step ? b.len - at : step);
            cr_assert_eq(s.n, 1, "unit '%s'", units[u]);
            assert_body(&s, 0, "{}");
            cr_assert_eq(s.n_warns, 1, "unit '%s': %zu warnings", units[u], s.n_warns);
            sink_release(&s);
        }
        mg_buf_release(&b);
    }
}

/* The name split across feeds right where an over-long line is trimmed. */
Test(frame, long_junk_line_then_header_byte_by_byte)
{
    size_t junk_len = 3 * FRAME_MAX_HEADER + 5;
    for (size_t shift = 0; shift < 16; shift++) {
        struct mg_buf b = {0};
        for (size_t i = 0; i < junk_len + shift; i++)
            mg_buf_add(&b, "x", 1);
        mg_buf_adds(&b, "Content-Length: 2\r\n\r\n{}");
        struct sink s;
        sink_init(&s, 0);
        for (size_t i = 0; i < b.len; i++)
            feed(&s, b.data + i, 1);
        cr_assert_eq(s.n, 1, "shift %zu", shift);
        assert_body(&s, 0, "{}");
        cr_assert_eq(s.n_warns, 1);
        cr_assert_leq(s.max_cap, 4 * FRAME_MAX_HEADER);
        sink_release(&s);
        mg_buf_release(&b);
    }
}

/* Junk in one feed, then the header byte by byte: for some length of junk
 * an over-long line is trimmed while only part of the name has arrived. */
Test(frame, long_junk_then_header_split_at_trim)
{
    const char *hdr = "Content-Length: 2\r\n\r\n{}";
    for (size_t r = FRAME_MAX_HEADER - 48; r <= FRAME_MAX_HEADER; r++) {
        size_t junk_len = 3 * FRAME_MAX_HEADER + r;
        char *junk = xmalloc(junk_len);
        memset(junk, 'x', junk_len);
        struct sink s;
        sink_init(&s, 0);
        feed(&s, junk, junk_len);
        for (const char *p = hdr; *p; p++)
            feed(&s, p, 1);
        cr_assert_eq(s.n, 1, "%zu bytes of junk", junk_len);
        assert_body(&s, 0, "{}");
        cr_assert_eq(s.n_warns, 1);
        sink_release(&s);
        free(junk);
    }
}

Test(frame, header_block_too_long)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "Content-Length: 2\r\n");
    for (int i = 0; i < 100; i++) /* 100 * 99 bytes: over FRAME_MAX_HEADER in all */
        mg_buf_addf(&b, "Content-Type: %094d\r\n", i);
    mg_buf_adds(&b, "\r\n{}Content-Length: 2\r\n\r\n[]");
    struct sink s;
    sink_init(&s, 0);
    feed(&s, b.data, b.len);
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "[]");
    cr_assert_eq(s.n_warns, 1, "%zu warnings", s.n_warns);
    cr_assert_str_eq(s.warns[0], "discarding a header block over 8192 bytes");
    sink_release(&s);
    mg_buf_release(&b);

    /* One header line with no end in sight. */
    sink_init(&s, 0);
    feeds(&s, "Content-Length: 2\r\nX-Long: ");
    for (int i = 0; i < 200; i++) /* 14000 bytes: more than FRAME_MAX_HEADER */
        feeds(&s, "0123456789012345678901234567890123456789012345678901234567890123456789");
    feeds(&s, "\r\n\r\n{}Content-Length: 2\r\n\r\n[]");
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "[]");
    cr_assert_eq(s.n_warns, 1, "%zu warnings", s.n_warns);
    cr_assert_str_eq(s.warns[0], "discarding a header block over 8192 bytes");
    sink_release(&s);
}

Test(frame, large_body_small_chunks)
{
    size_t big = (size_t)20 << 20;
    char *body = xmalloc(big);
    for (size_t i = 0; i < big; i++)
        body[i] = (char)('a' + i % 26);
    struct sink s;
    sink_init(&s, 0);
    char hdr[FRAME_HEADER_CAP];
    feed(&s, hdr, frame_header(hdr, sizeof(hdr), big));
    for (size_t at = 0; at < big; at += 65536)
        feed(&s, body + at, big - at < 65536 ? big - at : 65536);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.lens[0], big);
    cr_assert(memcmp(s.bodies[0], body, big) == 0);
    cr_assert_leq(s.max_cap, big + 1, "a body's buffer is not grown past it");
    cr_assert_lt(s.fr.cap, (size_t)2 << 20, "a big buffer is freed after its body");
    feeds(&s, "Content-Length: 2\r\n\r\n{}");
    cr_assert_eq(s.n, 2);
    free(body);
    sink_release(&s);
}

Test(frame, pending)
{
    struct sink s;
    sink_init(&s, 16);
    cr_assert_eq(frame_pending(&s.fr), 0);
    feeds(&s, "Conte");
    cr_assert_eq(frame_pending(&s.fr), 5);
    feeds(&s, "nt-Length: 5\r\n");
    cr_assert_eq(frame_pending(&s.fr), 19);
    feeds(&s, "\r\n");
    cr_assert_eq(frame_pending(&s.fr), 21);
    feeds(&s, "he");
    cr_assert_eq(frame_pending(&s.fr), 23);
    feeds(&s, "llo");
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "hello");
    cr_assert_eq(frame_pending(&s.fr), 0);
    /* A refused body counts what was skipped. */
    feeds(&s, "Content-Length: 40\r\n\r\n0123456789");
    cr_assert_eq(frame_pending(&s.fr), 22 + 10);
    feeds(&s, "012345678901234567890123456789");
    cr_assert_eq(frame_pending(&s.fr), 0);
    /* Junk is not a message. */
    feeds(&s, "junk\r\n");
    cr_assert_eq(frame_pending(&s.fr), 0);
    sink_release(&s);
}

Test(frame, without_warn_callback)
{
    struct sink s;
    memset(&s, 0, sizeof(s));
    struct frame_cbs cbs = {.on_body = on_body, .on_warn = NULL};
    frame_init(&s.fr, &cbs, &s, 4);
    feeds(&s, "junk\r\nContent-Length: x\r\n\r\nX: y\r\nContent-Length: 5\r\n\r\n12345"
              "Content-Length: 2\r\n\r\n{}");
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "{}");
    sink_release(&s);
}

Test(frame, header_written)
{
    char out[FRAME_HEADER_CAP];
    cr_assert_eq(frame_header(out, sizeof(out), 123), 23);
    cr_assert_str_eq(out, "Content-Length: 123\r\n\r\n");
    cr_assert_eq(frame_header(out, sizeof(out), 0), 21);
    cr_assert_str_eq(out, "Content-Length: 0\r\n\r\n");
    cr_assert_eq(frame_header(out, sizeof(out), SIZE_MAX), 16 + strlen("18446744073709551615") + 4);
    memset(out, '#', sizeof(out));
    cr_assert_eq(frame_header(out, 23, 123), 0, "no room for the NUL");
    cr_assert_eq(out[0], '#', "nothing written when too small");
    cr_assert_eq(frame_header(out, 24, 123), 23);

    /* What we write, we read. */
    struct sink s;
    sink_init(&s, 0);
    feed(&s, out, frame_header(out, sizeof(out), 7));
    feeds(&s, "\"hello\"");
    cr_assert_eq(s.n, 1);
    assert_body(&s, 0, "\"hello\"");
    sink_release(&s);
}

Test(frame, release_and_reinit)
{
    struct sink s;
    sink_init(&s, 0);
    feeds(&s, "Content-Length: 100\r\n\r\npartial");
    cr_assert_eq(frame_pending(&s.fr), 30);
    frame_release(&s.fr);
    struct frame_cbs cbs = {.on_body = on_body, .on_warn = on_warn};
    frame_init(&s.fr, &cbs, &s, 0);
    cr_assert_eq(frame_pending(&s.fr), 0);
    feeds(&s, "Content-Length: 2\r\n\r\n{}");
    cr_assert_eq(s.n, 1);
    sink_release(&s);
}
