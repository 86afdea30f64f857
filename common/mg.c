/* Error strings, allocators and the byte buffer declared in mg.h. */
#include "mg.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *mg_strerror(int err)
{
    switch (err < 0 ? -err : err) {
    case MG_OK:
        return "success";
    case MG_ENOMEM:
        return "out of memory";
    case MG_ERANGE:
        return "position out of range";
    case MG_EINVAL:
        return "invalid input";
    case MG_EIO:
        return "input/output error";
    case MG_ETOOBIG:
        return "input too large";
    case MG_EDEPTH:
        return "input nested too deeply";
    }
    return "unknown error";
}

static void oom(size_t n)
{
    fprintf(stderr, "margin: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    /* Format into a small buffer first; most messages fit. (This also keeps
     * gcc's -Wformat-truncation quiet, which vsnprintf(NULL, 0) trips.) */
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return xstrdup("");
    char *s = xmalloc((size_t)n + 1);
    if ((size_t)n < sizeof(small))
        memcpy(s, small, (size_t)n + 1);
    else
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void *xgrow(void *arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return arr;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    arr = xrealloc(arr, n * size);
    *cap = n;
    return arr;
}

void mg_buf_add(struct mg_buf *b, const void *p, size_t n)
{
    b->data = xgrow(b->data, &b->cap, b->len + n + 1, 1);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void mg_buf_adds(struct mg_buf *b, const char *s)
{
    mg_buf_add(b, s, strlen(s));
}

void mg_buf_addf(struct mg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    mg_buf_adds(b, s);
    free(s);
}

char *mg_buf_detach(struct mg_buf *b, size_t *len_out)
{
    if (b->data == NULL)
        mg_buf_add(b, "", 0);
    char *s = b->data;
    if (len_out)
        *len_out = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void mg_buf_release(struct mg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

struct big_stack_call {
    int (*fn)(void *);
    void *arg;
    int rc;
};

static void *big_stack_main(void *p)
{
    struct big_stack_call *c = p;
    c->rc = c->fn(c->arg);
    return NULL;
}

int mg_run_on_big_stack(size_t stack_size, int (*fn)(void *), void *arg)
{
    struct big_stack_call call = {fn, arg, 0};
    pthread_attr_t attr;
    pthread_t t;
    if (pthread_attr_init(&attr) != 0)
        return fn(arg);
    int rc = pthread_attr_setstacksize(&attr, stack_size);
    if (rc == 0)
        rc = pthread_create(&t, &attr, big_stack_main, &call);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "margin: cannot start a thread with a %zu MiB stack; using this one\n",
                stack_size >> 20);
        return fn(arg);
    }
    pthread_join(t, NULL);
    return call.rc;
}

size_t mg_utf8_valid_prefix(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if ((v & UINT64_C(0x8080808080808080)) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1Fu;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07u;
        } else {
            return i;
        }
        if (len - i < n)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
            return i;
        if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))
            return i;
        i += n;
    }
    return len;
}

int mg_read_file(const char *path, size_t max, char **text_out, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno;
    struct stat st;
    size_t cap = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (uint64_t)st.st_size > max ? max + 1u : (size_t)st.st_size + 1;
    if (cap < 4096)
        cap = 4096;
    char *buf = xmalloc(cap + 1);
    size_t len = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                rc = -1;
                break;
            }
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = errno;
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (rc == 0 && len > max)
        rc = -1;
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *text_out = buf;
    *len_out = len;
    return 0;
}

/* How common a byte is in Python source, roughly: the more common, the
 * later in this list. Unlisted bytes (capitals, digits, most punctuation)
 * count as rare. */
static const char common_bytes[] = "kxvwyg.:,)(=bfhmpu\"'_cldoaisrnte \n";

static unsigned byte_commonness(unsigned char ch)
{
    const char *p = strchr(common_bytes, ch);
    return ch != '\0' && p != NULL ? (unsigned)(p - common_bytes) + 1 : 0;
}

const char *mg_memmem(const char *hay, size_t n, const char *needle, size_t k)
{
    if (k == 0)
        return hay;
    if (k > n)
        return NULL;
    size_t r = 0;
    for (size_t i = 1; i < k; i++)
        if (byte_commonness((unsigned char)needle[i]) < byte_commonness((unsigned char)needle[r]))
            r = i;
    const char *p = hay + r, *last = hay + (n - k) + r; /* where needle[r] may be */
    while (p <= last) {
        const char *q = memchr(p, needle[r], (size_t)(last - p) + 1);
        if (q == NULL)
            return NULL;
        if (memcmp(q - r, needle, k) == 0)
            return q - r;
        p = q + 1;
    }
    return NULL;
}
