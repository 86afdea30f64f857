/* margin's shared basics: error codes, the abort-on-OOM allocators and a
 * growable byte buffer. Everything else in the tree includes this. */
#ifndef MG_H
#define MG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_VERSION "0.1.0"

/* Negative return values of margin's functions. 0 is success. */
enum mg_err {
    MG_OK = 0,
    MG_ENOMEM = 1,  /* an injected allocator refused */
    MG_ERANGE = 2,  /* a position or range is outside the text */
    MG_EINVAL = 3,  /* malformed input */
    MG_EIO = 4,     /* reading or writing failed */
    MG_ETOOBIG = 5, /* input over a fixed cap */
    MG_EDEPTH = 6,  /* input nested too deeply to analyse */
};

/* Short lowercase description of -err or err; never NULL. */
const char *mg_strerror(int err);

/* Allocation that never fails: on exhaustion prints and aborts, the only
 * abort in margin (the policy of tree-sitter and Redis). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grow *arr (of *cap elements of `size` bytes) so it holds at least `need`. */
void *xgrow(void *arr, size_t *cap, size_t need, size_t size);
#define MG_GROW(arr, cap, need) ((arr) = xgrow((arr), &(cap), (need), sizeof(*(arr))))

/* A growable byte string, always NUL-terminated once anything was added. */
struct mg_buf {
    char *data;
    size_t len, cap;
};
void mg_buf_add(struct mg_buf *b, const void *p, size_t n);
void mg_buf_adds(struct mg_buf *b, const char *s);
void mg_buf_addf(struct mg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the string to the caller (who frees it) and resets the buffer. */
char *mg_buf_detach(struct mg_buf *b, size_t *len_out);
void mg_buf_release(struct mg_buf *b);

/* Read the whole file at `path` into a NUL-terminated heap buffer (caller
 * frees *text_out). Returns 0; an errno value when it cannot be read; -1
 * when it is over `max` bytes (nothing is returned then). "/dev/stdin"
 * reads standard input. */
int mg_read_file(const char *path, size_t max, char **text_out, size_t *len_out);

/* Length of the longest prefix of text[0, len) that is well-formed UTF-8
 * (no overlong forms, surrogates or code points past U+10FFFF): len when
 * all of it is. */
size_t mg_utf8_valid_prefix(const char *text, size_t len);

/* memmem() for short needles in source text: finds the needle's rarest
 * byte (by the frequency of bytes in Python code) with memchr(), which is
 * vectorised, then compares. Much faster than glibc's two-way memmem on
 * long haystacks. The first occurrence of needle[0, k) in hay[0, n), or
 * NULL; an empty needle is found at hay. */
const char *mg_memmem(const char *hay, size_t n, const char *needle, size_t k);

/* Run fn(arg) on a new thread with a `stack_size` stack and wait for it.
 * Debian's tree-sitter 0.20.7 recurses on deeply nested input, so parsing
 * and analysis run on a large (lazily committed) stack. Returns fn's result,
 * or runs fn on the calling thread when no thread can be made. */
int mg_run_on_big_stack(size_t stack_size, int (*fn)(void *), void *arg);
#define MG_BIG_STACK ((size_t)512 << 20)

#define MG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A byte of a Python identifier: ASCII letters, digits, '_', and every
 * byte of a non-ASCII character. */
static inline bool mg_is_ident_byte(char c)
{
    unsigned char u = (unsigned char)c;
    return u >= 0x80 || u == '_' || (u >= '0' && u <= '9') ||
           ((u | 0x20) >= 'a' && (u | 0x20) <= 'z');
}

#endif
