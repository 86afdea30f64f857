/* Content-Length framing; see frame.h.
 *
 * A three-state machine:
 *   HEADER  lines are handled as soon as they are complete, so `buf` holds
 *           only the unfinished line and every byte is searched for "\n"
 *           once, whatever the split of the input.
 *   BODY    `buf` collects body_len bytes, growing geometrically.
 *   SKIP    a refused body: bytes are dropped straight from the input.
 * Header lines of the current block are not kept: what matters of them
 * (the Content-Length, whether the block is malformed) is in the reader.
 */
#include "frame.h"
#include "mg.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { ST_HEADER, ST_BODY, ST_SKIP };

/* A buffer grown past this for one big body is freed once it is delivered. */
#define KEEP_CAP ((size_t)1 << 20)

/* Warnings quote at most this many bytes of the offending input. */
#define QUOTE_MAX 40
#define QUOTE_BUF (QUOTE_MAX * 4 + 4)

static const char CL_NAME[] = "content-length";
#define CL_LEN (sizeof(CL_NAME) - 1)

static void vwarn(struct frame_reader *fr, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void warn(struct frame_reader *fr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void block_bad(struct frame_reader *fr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void vwarn(struct frame_reader *fr, const char *fmt, va_list ap)
{
    if (fr->cbs.on_warn == NULL)
        return;
    char *msg = xvasprintf(fmt, ap);
    fr->cbs.on_warn(fr->ud, msg);
    free(msg);
}

static void warn(struct frame_reader *fr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fr, fmt, ap);
    va_end(ap);
}

/* The current header block is malformed: it is dropped at its end, and its
 * body (if any) then reads as junk. Only its first problem is reported, so
 * one broken message gives one warning. */
static void block_bad(struct frame_reader *fr, const char *fmt, ...)
{
    if (!fr->bad) {
        va_list ap;
        va_start(ap, fmt);
        vwarn(fr, fmt, ap);
        va_end(ap);
    }
    fr->bad = true;
}

/* Input quoted in a warning is arbitrary bytes: escape what isn't printable
 * ASCII so logs stay one readable line, and cut it short. */
static const char *quote(char out[QUOTE_BUF], const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && i < QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (n > QUOTE_MAX) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* Forget the current header block (but not the junk state). */
static void block_reset(struct frame_reader *fr)
{
    fr->in_block = fr->have_len = fr->bad = false;
    fr->hdr_len = 0;
    fr->body_len = 0;
}

static bool is_tchar(unsigned char c)
{
    /* RFC 9110 token characters. */
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A decimal Content-Length surrounded by optional blanks. Fails on signs,
 * other characters and values whose body_len + 1 would overflow. */
static bool parse_len(const char *s, size_t n, size_t *out)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return false;
    size_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        size_t d = (size_t)(s[i] - '0');
        if (v > (SIZE_MAX - 1 - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool is_cl_at(const char *p)
{
    return strncasecmp(p, CL_NAME, CL_LEN) == 0;
}

/* First case-insensitive "content-length" in p[0, n), or NULL. */
static const char *find_cl(const char *p, size_t n)
{
    for (size_t i = 0; i + CL_LEN <= n; i++)
        if ((p[i] | 0x20) == 'c' && is_cl_at(p + i))
            return p + i;
    return NULL;
}

/* Last case-insensitive "content-length" in p[0, n), or NULL. */
static const char *find_last_cl(const char *p, size_t n)
{
    for (size_t i = n; i >= CL_LEN; i--)
        if ((p[i - CL_LEN] | 0x20) == 'c' && is_cl_at(p + i - CL_LEN))
            return p + i - CL_LEN;
    return NULL;
}

/* Make room for `need` bytes. Doubling keeps a big body fed in small
 * chunks linear; a body's buffer is not grown past what it needs. */
static void reserve(struct frame_reader *fr, size_t need)
{
    if (need <= fr->cap)
        return;
    size_t n = fr->cap ? fr->cap : 256;
    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    if (fr->state == ST_BODY && need <= fr->body_len + 1 && n > fr->body_len + 1)
        n = fr->body_len + 1;
    fr->buf = xrealloc(fr->buf, n);
    fr->cap = n;
}

static void append(struct frame_reader *fr, const char *p, size_t n)
{
    reserve(fr, fr->len + n + 1);
    memcpy(fr->buf + fr->len, p, n);
    fr->len += n;
}

/* Hand the finished body in `buf` to on_body and go back to headers. The
 * reader is reset first so frame_pending() reads 0 inside the callback. */
static void deliver(struct frame_reader *fr)
{
    reserve(fr, fr->len + 1);
    fr->buf[fr->len] = '\0';
    size_t n = fr->len;
    fr->len = 0;
    fr->state = ST_HEADER;
    block_reset(fr);
    fr->cbs.on_body(fr->ud, fr->buf, n);
    if (fr->cap > KEEP_CAP) {
        free(fr->buf);
        fr->buf = NULL;
        fr->cap = 0;
    }
}

/* Bytes that are not part of any header block. Reported once per run of
 * junk, so megabytes of garbage give one warning, not one per line. */
static void junk(struct frame_reader *fr, const char *p, size_t n)
{
    char q[QUOTE_BUF];
    if (fr->in_block) {
        /* Something is off; try the next line as the start of a block. */
        block_bad(fr, "cannot parse header '%s'", quote(q, p, n));
        block_reset(fr);
    } else if (!fr->in_junk) {
        warn(fr, "ignoring junk before header '%s'", quote(q, p, n));
    }
    fr->in_junk = true;
}

/* The empty line closing a block (`term` bytes: "\n" or "\r\n"). */
static void end_block(struct frame_reader *fr, size_t term)
{
    if (!fr->have_len || fr->bad) {
        if (!fr->bad)
            warn(fr, "missing header 'Content-Length'");
        /* Its body (if any) follows; it is junk, already reported. */
        block_reset(fr);
        fr->in_junk = true;
        return;
    }
    fr->in_block = false;
    fr->hdr_len += term;
    if (fr->body_len > fr->max_body) {
        warn(fr, "refusing a body of %zu bytes (limit %zu)", fr->body_len, fr->max_body);
        fr->state = ST_SKIP;
        fr->skip = fr->body_len;
        return;
    }
    fr->state = ST_BODY;
    fr->len = 0;
    if (fr->body_len == 0)
        deliver(fr);
}

/* A syntactically valid "name:value" line of `n` bytes (+ `term`). */
static void header(struct frame_reader *fr, const char *line, size_t n, size_t name_len,
                   size_t term)
{
    char q[QUOTE_BUF];
    if (fr->in_block && fr->hdr_len + n + term > FRAME_MAX_HEADER)
        block_bad(fr, "discarding a header block over %zu bytes", FRAME_MAX_HEADER);
    fr->in_block = true;
    fr->in_junk = false;
    fr->hdr_len += n + term;
    const char *value = line + name_len + 1;
    size_t value_len = n - name_len - 1;
    size_t v;
    if (name_len == CL_LEN && is_cl_at(line)) {
        if (!parse_len(value, value_len, &v)) {
            block_bad(fr, "cannot parse header '%s'", quote(q, line, n));
        } else if (fr->have_len && v != fr->body_len) {
            block_bad(fr, "conflicting header '%s' (after %zu)", quote(q, line, n), fr->body_len);
        } else {
            fr->have_len = true;
            fr->body_len = v;
        }
    } else if (name_len == 12 && strncasecmp(line, "content-type", 12) == 0) {
        /* Only utf-8 JSON is in use; the value is not worth checking. */
    } else if (!fr->bad) {
        warn(fr, "ignoring unknown header '%s'", quote(q, line, n));
    }
}

/* One complete line of `n` bytes, its terminator ("\n" or "\r\n") removed.
 * A line that is no header may still hold one after some junk; each retry
 * starts further right and reuses the end of the run of name characters
 * already found, so even a long line of "content-length"s costs O(n). */
static void on_line(struct frame_reader *fr, const char *line, size_t n, size_t term)
{
    if (n == 0) {
        /* A stray blank line between messages is harmless. */
        if (fr->in_block)
            end_block(fr, term);
        return;
    }
    const char *end = line + n;
    const char *tok = line; /* end of the run of name characters from `line` */
    for (;;) {
        if (tok <= line) {
            tok = line;
            while (tok < end && is_tchar((unsigned char)*tok))
                tok++;
        }
        size_t name_len = tok < end && *tok == ':' ? (size_t)(tok - line) : 0;
        size_t skip;
        if (name_len > CL_LEN && is_cl_at(tok - CL_LEN)) {
            /* Junk glued to the name: "42Content-Length: 2". */
            skip = name_len - CL_LEN;
        } else if (name_len > 0) {
            header(fr, line, (size_t)(end - line), name_len, term);
            return;
        } else {
            /* Resynchronise at a Content-Length glued to junk, such as the
             * body of a discarded message ("{...}Content-Length: 5"). */
            const char *cl = find_cl(line + 1, (size_t)(end - line) - 1);
            if (cl == NULL) {
                junk(fr, line, (size_t)(end - line));
                return;
            }
            skip = (size_t)(cl - line);
        }
        junk(fr, line, skip);
        line += skip;
    }
}

/* Split a complete line (`n` bytes with its "\n") into content and
 * terminator length. */
static size_t line_content(const char *p, size_t n, size_t *term)
{
    *term = 1;
    n--;
    if (n > 0 && p[n - 1] == '\r') {
        n--;
        *term = 2;
    }
    return n;
}

/* A line over FRAME_MAX_HEADER bytes (with its "\n") is no header. This
 * reports it, once, as soon as it is known to be that long: when its first
 * part is trimmed, or when it arrives whole. Either way `p` is its start,
 * so any split of the input gives the same warning. */
static void long_line_report(struct frame_reader *fr, const char *p, size_t n)
{
    char q[QUOTE_BUF];
    if (fr->in_block) {
        block_bad(fr, "discarding a header block over %zu bytes", FRAME_MAX_HEADER);
    } else if (!fr->in_junk) {
        warn(fr, "ignoring junk before header '%s'", quote(q, p, n));
        fr->in_junk = true;
    }
}

/* The end of a long line: `p` holds its last `n` bytes with the "\n" (all
 * of it, or what trimming kept). The only header it can still hold is one
 * at the last "content-length" within its final FRAME_MAX_HEADER / 2 bytes,
 * which trimming always keeps; so this sees the same thing however the line
 * was split. */
static void long_line_done(struct frame_reader *fr, const char *p, size_t n)
{
    size_t term;
    n = line_content(p, n, &term);
    size_t window = n < FRAME_MAX_HEADER / 2 ? n : FRAME_MAX_HEADER / 2;
    const char *hit = find_last_cl(p + n - window, window);
    if (hit == NULL) {
        junk(fr, p, n); /* already reported */
        return;
    }
    on_line(fr, hit, (size_t)(p + n - hit), term);
}

/* The unfinished line in `buf` is longer than any header. Keep only what
 * long_line_done() may need: from the last "content-length" in the final
 * half, or else the last CL_LEN - 1 bytes in case the name is split across
 * feeds. Keeping at most half means the next trim is FRAME_MAX_HEADER / 2
 * bytes away, so junk costs O(1) per byte and memory stays bounded. */
static void trim_line(struct frame_reader *fr)
{
    if (!fr->trimmed)
        long_line_report(fr, fr->buf, fr->len);
    fr->trimmed = true;
    size_t half = FRAME_MAX_HEADER / 2;
    const char *hit = find_last_cl(fr->buf + fr->len - half, half);
    size_t keep = hit ? (size_t)(fr->buf + fr->len - hit) : CL_LEN - 1;
    if (fr->in_block)
        fr->hdr_len += fr->len - keep; /* still part of the pending message */
    memmove(fr->buf, fr->buf + fr->len - keep, keep);
    fr->len = keep;
}

/* A whole line (`n` bytes with its "\n"); `trimmed`: its start was cut. */
static void line_done(struct frame_reader *fr, const char *p, size_t n, bool trimmed)
{
    if (trimmed || n > FRAME_MAX_HEADER) {
        if (!trimmed)
            long_line_report(fr, p, n);
        long_line_done(fr, p, n);
        return;
    }
    size_t term;
    n = line_content(p, n, &term);
    on_line(fr, p, n, term);
}

static size_t feed_header(struct frame_reader *fr, const char *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    size_t take = nl ? (size_t)(nl - data) + 1 : len;
    if (fr->len == 0 && nl) {
        /* The common case: a whole line in the input, no copy. */
        line_done(fr, data, take, false);
        return take;
    }
    if (take > FRAME_MAX_HEADER)
        take = FRAME_MAX_HEADER; /* bound `buf` even for a huge feed */
    append(fr, data, take);
    if (fr->buf[fr->len - 1] == '\n') {
        size_t n = fr->len;
        bool trimmed = fr->trimmed;
        fr->len = 0; /* on_line may switch to a body, which reuses `buf` */
        fr->trimmed = false;
        line_done(fr, fr->buf, n, trimmed);
    } else if (fr->len > FRAME_MAX_HEADER) {
        trim_line(fr);
    }
    return take;
}

static size_t feed_body(struct frame_reader *fr, const char *data, size_t len)
{
    size_t n = fr->body_len - fr->len;
    if (n > len)
        n = len;
    append(fr, data, n);
    if (fr->len == fr->body_len)
        deliver(fr);
    return n;
}

static size_t feed_skip(struct frame_reader *fr, size_t len)
{
    size_t n = fr->skip < len ? fr->skip : len;
    fr->skip -= n;
    if (fr->skip == 0) {
        fr->state = ST_HEADER;
        block_reset(fr);
    }
    return n;
}

void frame_init(struct frame_reader *fr, const struct frame_cbs *cbs, void *ud, size_t max_body)
{
    memset(fr, 0, sizeof(*fr));
    fr->cbs = *cbs;
    fr->ud = ud;
    fr->max_body = max_body ? max_body : FRAME_MAX_BODY;
    fr->state = ST_HEADER;
}

void frame_release(struct frame_reader *fr)
{
    assert(!fr->in_feed);
    free(fr->buf);
    fr->buf = NULL;
    fr->len = fr->cap = 0;
}

void frame_feed(struct frame_reader *fr, const char *data, size_t len)
{
    assert(!fr->in_feed && "frame_feed() called from a frame callback");
    fr->in_feed = true;
    while (len > 0) {
        size_t used;
        if (fr->state == ST_SKIP)
            used = feed_skip(fr, len);
        else if (fr->state == ST_BODY)
            used = feed_body(fr, data, len);
        else
            used = feed_header(fr, data, len);
        data += used;
        len -= used;
    }
    fr->in_feed = false;
}

size_t frame_pending(const struct frame_reader *fr)
{
    if (fr->state == ST_SKIP)
        return fr->hdr_len + (fr->body_len - fr->skip);
    return fr->hdr_len + fr->len;
}

size_t frame_header(char *out, size_t cap, size_t body_len)
{
    char tmp[FRAME_HEADER_CAP];
    int n = snprintf(tmp, sizeof(tmp), "Content-Length: %zu\r\n\r\n", body_len);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    memcpy(out, tmp, (size_t)n + 1);
    return (size_t)n;
}
