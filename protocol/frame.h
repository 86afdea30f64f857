/* Content-Length framing: bytes in, whole message bodies out. No I/O, no JSON.
 * Any split of the input across frame_feed() calls gives the same bodies. */
#ifndef MG_FRAME_H
#define MG_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#define FRAME_MAX_BODY   ((size_t)64 << 20) /* a body over this is refused and skipped */
#define FRAME_MAX_HEADER ((size_t)8 << 10)  /* header block longer than this is junk */
/* Room frame_header() needs for any body length, with its NUL. */
#define FRAME_HEADER_CAP 48

struct frame_cbs {
    /* A complete body. `body` is borrowed for the call only and is
     * NUL-terminated at body[len] (the body itself may contain NULs). */
    void (*on_body)(void *ud, const char *body, size_t len);
    /* Something was wrong with the input and was skipped; `msg` is a
     * lowercase sentence without a trailing period, borrowed for the call
     * only. May be NULL. */
    void (*on_warn)(void *ud, const char *msg);
};

/* All fields are internal; use the functions below. */
struct frame_reader {
    struct frame_cbs cbs;
    void *ud;
    size_t max_body;
    char *buf; /* header state: the partial line; body state: the body so far */
    size_t len, cap;
    int state;       /* internal */
    size_t body_len; /* in body states: the announced Content-Length */
    size_t skip;     /* in the skip state: bytes of a refused body still to drop */
    size_t hdr_len;  /* bytes of complete header lines in the current block */
    bool in_block;   /* a header line of the current block was seen */
    bool have_len;   /* the block had a usable Content-Length (in body_len) */
    bool bad;        /* the block is malformed and will be discarded at its end */
    bool in_junk;    /* junk was reported; stay quiet until the next header */
    bool trimmed;    /* the unfinished line was too long and its start was cut */
    bool in_feed;    /* inside frame_feed(): guards against re-entry */
};

/* Prepare `fr`; `max_body` 0 means FRAME_MAX_BODY. `cbs` is copied;
 * cbs->on_body must not be NULL. `ud` is passed to the callbacks. */
void frame_init(struct frame_reader *fr, const struct frame_cbs *cbs, void *ud, size_t max_body);
/* Free the buffer; `fr` may be initialised again. Not from a callback. */
void frame_release(struct frame_reader *fr);

/* Consume `len` bytes (`data` may be NULL when `len` is 0). Calls
 * cbs.on_body once per complete message, in order, and cbs.on_warn for
 * malformed headers (the reader resynchronises at the next header block),
 * for junk between messages and for refused oversized bodies (skipped
 * without being buffered). Header lines end in "\r\n" or a bare "\n";
 * names are case-insensitive; Content-Type is ignored. A line longer than
 * FRAME_MAX_HEADER is junk, though a Content-Length glued to its end is
 * still found. Headers and junk never grow the buffer past
 * 4 * FRAME_MAX_HEADER, and each input byte costs O(1) amortised. Warnings
 * are the same for any split of the input.
 *
 * Not re-entrant: a callback must not call frame_feed() or frame_release()
 * on the same reader (asserted). It may keep a copy of the body. */
void frame_feed(struct frame_reader *fr, const char *data, size_t len);

/* Bytes of an unfinished message received so far: its header lines and
 * any part of its body, including the part of a refused body already
 * skipped, or a partial line that may become a header. 0 between messages,
 * so a nonzero value at EOF means the input ended mid-message. */
size_t frame_pending(const struct frame_reader *fr);

/* Write "Content-Length: N\r\n\r\n" (NUL-terminated) for a body of
 * `body_len` bytes into `out`, which holds `cap` bytes; FRAME_HEADER_CAP
 * is always enough. Returns the header's length without the NUL, or 0
 * (and writes nothing) when `cap` is too small. */
size_t frame_header(char *out, size_t cap, size_t body_len);

#endif
