/* Line index and position conversion; see pos.h.
 *
 * UTF-8 is cut into steps the same way everywhere: scanning forward from a
 * line start, each step is one well-formed sequence (Unicode Table 3-7: no
 * overlongs, no surrogates, nothing over U+10FFFF) or else a single byte.
 * Only continuation bytes (10xxxxxx) can be inside a step, so every other
 * byte starts one. That lets an offset be rounded down to the start of its
 * step by looking back at most 3 bytes, and means a step never crosses a
 * line break.
 *
 * The index invariant: starts[0] == 0, starts[] is strictly increasing,
 * and for i > 0, lone_cr[i] says whether starts[i] follows a lone "\r";
 * n_lone_cr is the number of such i. */
#include "pos.h"
#include "mg.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *pos_enc_name(enum pos_enc enc)
{
    switch (enc) {
    case POS_UTF8:
        return "utf-8";
    case POS_UTF16:
        return "utf-16";
    case POS_UTF32:
        return "utf-32";
    }
    return "utf-16";
}

int pos_enc_parse(const char *name)
{
    if (name == NULL)
        return -1;
    if (strcasecmp(name, "utf-8") == 0)
        return POS_UTF8;
    if (strcasecmp(name, "utf-16") == 0)
        return POS_UTF16;
    if (strcasecmp(name, "utf-32") == 0)
        return POS_UTF32;
    return -1;
}

/* Length of the step at s (1 to 4 bytes); `avail` bytes may be read. */
static uint32_t step_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    uint32_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong below U+0800 */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xf4)
            hi = 0x8f; /* over U+10FFFF */
    } else {
        return 1;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 1;
    for (uint32_t i = 2; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

/* Units of `enc` taken by a step of `n` bytes. */
static uint32_t step_units(uint32_t n, enum pos_enc enc)
{
    if (enc == POS_UTF8)
        return n;
    if (enc == POS_UTF16)
        return n == 4 ? 2 : 1;
    return 1;
}

uint32_t pos_units(const char *text, uint32_t from, uint32_t to, enum pos_enc enc)
{
    if (enc == POS_UTF8)
        return to > from ? to - from : 0;
    const unsigned char *s = (const unsigned char *)text;
    uint32_t units = 0;
    for (uint32_t i = from; i < to;) {
        uint32_t n = s[i] < 0x80 ? 1 : step_len(s + i, to - i);
        units += step_units(n, enc);
        i += n;
    }
    return units;
}

/* `off` rounded down to the start of its step; steps are read up to `end`
 * and never before `floor` (a line start). */
static uint32_t step_floor(const char *text, uint32_t floor, uint32_t end, uint32_t off)
{
    const unsigned char *s = (const unsigned char *)text;
    for (uint32_t q = off; q > floor && off - q < 3;) {
        q--;
        if ((s[q] & 0xc0) == 0x80)
            continue;
        return step_len(s + q, end - q) > off - q ? q : off;
    }
    return off;
}

/* An index built before any text (n == 0) reads as the index of "". */
static size_t n_lines(const struct pos_index *ix)
{
    return ix->n ? ix->n : 1;
}

static uint32_t line_start(const struct pos_index *ix, size_t line)
{
    return ix->n ? ix->starts[line] : 0;
}

/* End of the content of `line`, before its break. */
static uint32_t line_end(const struct pos_index *ix, const char *text, size_t len, size_t line)
{
    if (line + 1 >= n_lines(ix))
        return (uint32_t)len;
    uint32_t ls = ix->starts[line];
    uint32_t e = ix->starts[line + 1];
    if (e > len) /* a stale index; stay inside the text */
        return (uint32_t)len;
    e--; /* the last byte of the break */
    if (text[e] == '\n' && e > ls && text[e - 1] == '\r')
        e--;
    return e;
}

static void index_reserve(struct pos_index *ix, size_t need)
{
    if (need <= ix->cap)
        return;
    size_t cap = ix->cap ? ix->cap : 64;
    while (cap < need)
        cap *= 2;
    ix->starts = xrealloc(ix->starts, cap * sizeof(*ix->starts));
    ix->lone_cr = xrealloc(ix->lone_cr, cap * sizeof(*ix->lone_cr));
    ix->cap = cap;
}

/* Find the line breaks that begin in text[from, to) and write the starts
 * of the lines after them to starts[] and lone_cr[] (when not NULL).
 * Returns how many; *n_lone gets how many are lone "\r"s. A "\r\n" whose
 * "\n" is at `to` (to < len) is left out: the caller knows that line from
 * the text after `to`. With to == len this is exactly the build scan. */
static size_t scan_breaks(const char *text, size_t len, uint32_t from, uint32_t to,
                          uint32_t *starts, uint8_t *lone_cr, size_t *n_lone)
{
    size_t n = 0, lone = 0;
    for (uint32_t p = from; p < to; p++) {
        char c = text[p];
        if (c != '\n' && c != '\r')
            continue;
        bool is_lone = false;
        if (c == '\r' && p + 1 < len && text[p + 1] == '\n') {
            if (p + 1 >= to)
                break;
            p++; /* "\r\n": one break; the start follows the "\n" */
        } else if (c == '\r') {
            is_lone = true;
        }
        if (starts) {
            starts[n] = p + 1;
            lone_cr[n] = is_lone;
        }
        n++;
        lone += is_lone;
    }
    if (n_lone)
        *n_lone = lone;
    return n;
}

void pos_index_init(struct pos_index *ix)
{
    memset(ix, 0, sizeof(*ix));
}

void pos_index_release(struct pos_index *ix)
{
    free(ix->starts);
    free(ix->lone_cr);
    pos_index_init(ix);
}

void pos_index_build(struct pos_index *ix, const char *text, size_t len)
{
    assert(len <= UINT32_MAX);
    /* Two passes (count, then fill) keep the arrays exactly sized. */
    size_t n = scan_breaks(text, len, 0, (uint32_t)len, NULL, NULL, NULL);
    index_reserve(ix, n + 1);
    ix->starts[0] = 0;
    ix->lone_cr[0] = 0;
    scan_breaks(text, len, 0, (uint32_t)len, ix->starts + 1, ix->lone_cr + 1, &ix->n_lone_cr);
    ix->n = n + 1;
}

/* First line whose start is >= off (or > off when `after`), in [0, n]. */
static size_t first_start(const struct pos_index *ix, uint32_t off, bool after)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->starts[mid] < off || (after && ix->starts[mid] == off))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Which starts can an edit of [start, old_end) change? A break is decided
 * by its bytes and the byte after it, so breaks that begin before
 * start - 1 keep their starts, which are all < start; a "\r" at start - 1
 * may join or leave a "\n" at start. Breaks ending at or after old_end
 * (starts > old_end) keep their kind and shift: a "\n" at old_end ends a
 * line whatever precedes it. Everything in between is rescanned. */
void pos_index_splice(struct pos_index *ix, const char *text, size_t len, uint32_t start,
                      uint32_t old_end, uint32_t new_end)
{
    if (ix->n == 0 || start > old_end || start > new_end || new_end > len ||
        ix->starts[ix->n - 1] > (uint64_t)len - new_end + old_end) {
        pos_index_build(ix, text, len);
        return;
    }
    size_t keep = start ? first_start(ix, start, false) : 1; /* starts[0] stays */
    size_t tail = first_start(ix, old_end, true);
    assert(tail >= keep);
    for (size_t i = keep; i < tail; i++)
        ix->n_lone_cr -= ix->lone_cr[i] != 0;

    uint32_t from = start ? start - 1 : 0;
    size_t add = scan_breaks(text, len, from, new_end, NULL, NULL, NULL);
    size_t n_tail = ix->n - tail, n = keep + add + n_tail;
    index_reserve(ix, n);
    memmove(ix->starts + keep + add, ix->starts + tail, n_tail * sizeof(*ix->starts));
    memmove(ix->lone_cr + keep + add, ix->lone_cr + tail, n_tail * sizeof(*ix->lone_cr));
    uint32_t delta = new_end - old_end; /* unsigned wrap-around subtracts when shrinking */
    for (size_t i = keep + add; i < n; i++)
        ix->starts[i] += delta;
    size_t lone;
    scan_breaks(text, len, from, new_end, ix->starts + keep, ix->lone_cr + keep, &lone);
    ix->n_lone_cr += lone;
    ix->n = n;
}

uint32_t pos_line_of(const struct pos_index *ix, uint32_t off)
{
    if (ix->n == 0)
        return 0;
    /* The last line whose start is <= off; starts[0] == 0 always is. */
    return (uint32_t)(first_start(ix, off, true) - 1);
}

/* Walk the steps of [ls, e) to the one `character` units in. */
static uint32_t walk_units(const char *text, uint32_t ls, uint32_t e, uint32_t character,
                           enum pos_enc enc, bool *clamped)
{
    const unsigned char *s = (const unsigned char *)text;
    uint32_t i = ls, units = 0;
    while (units < character) {
        if (i >= e) {
            *clamped = true; /* past the end of the line */
            break;
        }
        uint32_t n = s[i] < 0x80 ? 1 : step_len(s + i, e - i);
        uint32_t w = step_units(n, enc);
        if (units + w > character) {
            *clamped = true; /* between the halves of a surrogate pair */
            break;
        }
        units += w;
        i += n;
    }
    return i;
}

uint32_t pos_to_offset(const struct pos_index *ix, const char *text, size_t len, uint32_t line,
                       uint32_t character, enum pos_enc enc, bool *clamped)
{
    bool clamp = false;
    uint32_t off;
    if (line >= n_lines(ix)) {
        off = (uint32_t)len;
        clamp = true;
    } else {
        uint32_t ls = line_start(ix, line);
        uint32_t e = line_end(ix, text, len, line);
        if (enc != POS_UTF8) {
            off = walk_units(text, ls, e, character, enc, &clamp);
        } else if (character > e - ls) {
            off = e;
            clamp = true;
        } else {
            off = step_floor(text, ls, e, ls + character);
            clamp = off != ls + character;
        }
    }
    if (clamped)
        *clamped = clamp;
    return off;
}

void pos_from_offset(const struct pos_index *ix, const char *text, size_t len, uint32_t off,
                     enum pos_enc enc, uint32_t *line, uint32_t *character)
{
    if (off > len)
        off = (uint32_t)len;
    uint32_t ln = pos_line_of(ix, off);
    uint32_t ls = line_start(ix, ln);
    uint32_t e = line_end(ix, text, len, ln);
    if (off > e) /* inside the line break: only its start is a position */
        off = e;
    off = step_floor(text, ls, e, off);
    *line = ln;
    *character = pos_units(text, ls, off, enc);
}

void pos_ts_point(const struct pos_index *ix, const char *text, size_t len, uint32_t off,
                  uint32_t *row, uint32_t *column)
{
    (void)text;
    if (off > len)
        off = (uint32_t)len;
    uint32_t ln = pos_line_of(ix, off);
    if (ix->n_lone_cr == 0) {
        *row = ln;
        *column = off - line_start(ix, ln);
        return;
    }
    /* Lines after a lone "\r" are not rows to tree-sitter: the row is the
     * number of "\n"-ended lines before, and the column runs back to the
     * nearest line that follows a "\n". */
    uint32_t lone = 0;
    for (size_t i = 1; i <= ln; i++)
        lone += ix->lone_cr[i] != 0;
    uint32_t j = ln;
    while (j > 0 && ix->lone_cr[j])
        j--;
    *row = ln - lone;
    *column = off - ix->starts[j];
}
