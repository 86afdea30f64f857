/* Unit tests for protocol/pos.c: the line index (built and spliced) and
 * conversions, checked against literal values and against a slow
 * reference written independently here. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg.h"
#include "pos.h"

static const enum pos_enc encs[] = {POS_UTF8, POS_UTF16, POS_UTF32};

/* ---- the reference: obviously correct, quadratic where convenient ---- */

/* One UTF-8 step at s: decode the code point, then reject overlongs,
 * surrogates and values over U+10FFFF. Returns its length (1 for a byte
 * that starts no well-formed sequence) and its units in `enc`. */
static size_t ref_step(const char *text, size_t avail, enum pos_enc enc, uint32_t *units)
{
    const unsigned char *s = (const unsigned char *)text;
    static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = 0;
    uint32_t cp = 0;
    static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    if (s[0] < 0x80)
        n = 1;
    else if ((s[0] & 0xe0) == 0xc0)
        n = 2;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3;
    else if ((s[0] & 0xf8) == 0xf0)
        n = 4;
    cp = s[0] & lead_mask[n];
    bool ok = n > 0 && n <= avail;
    for (size_t i = 1; ok && i < n; i++) {
        ok = (s[i] & 0xc0) == 0x80;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (ok && n > 1)
        ok = cp >= min_cp[n] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    if (!ok)
        n = 1;
    *units = enc == POS_UTF8 ? (uint32_t)n : enc == POS_UTF16 && ok && cp >= 0x10000 ? 2 : 1;
    return n;
}

struct ref_line {
    size_t start, end; /* end: where the content stops, before the break */
};

/* `out` holds len + 1 entries. */
static size_t ref_lines(const char *t, size_t len, struct ref_line *out)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] != '\n' && t[i] != '\r')
            continue;
        out[n++] = (struct ref_line){start, i};
        if (t[i] == '\r' && i + 1 < len && t[i + 1] == '\n')
            i++;
        start = i + 1;
    }
    out[n++] = (struct ref_line){start, len};
    return n;
}

static size_t ref_lone_cr(const char *t, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += t[i] == '\r' && (i + 1 == len || t[i + 1] != '\n');
    return n;
}

static size_t ref_line_of(const struct ref_line *lines, size_t n, size_t off)
{
    size_t l = 0;
    while (l + 1 < n && lines[l + 1].start <= off)
        l++;
    return l;
}

/* Offset -> position; *floor_out gets the offset the position stands for. */
static void ref_from_offset(const char *t, size_t len, size_t off, enum pos_enc enc, uint32_t *line,
                            uint32_t *ch, size_t *floor_out)
{
    struct ref_line *lines = xmalloc((len + 1) * sizeof(*lines));
    size_t n = ref_lines(t, len, lines);
    if (off > len)
        off = len;
    size_t l = ref_line_of(lines, n, off);
    if (off > lines[l].end)
        off = lines[l].end;
    size_t at = lines[l].start;
    uint32_t units = 0, u;
    for (;;) {
        size_t step = at < lines[l].end ? ref_step(t + at, lines[l].end - at, enc, &u) : 0;
        if (step == 0 || at + step > off)
            break;
        at += step;
        units += u;
    }
    *line = (uint32_t)l;
    *ch = units;
    *floor_out = at;
    free(lines);
}

/* Position -> offset: the last step boundary of the line at or before
 * `ch` units; clamped unless one is exactly at `ch`. */
static size_t ref_to_offset(const char *t, size_t len, uint32_t line, uint32_t ch, enum pos_enc enc,
                            bool *clamped)
{
    struct ref_line *lines = xmalloc((len + 1) * sizeof(*lines));
    size_t n = ref_lines(t, len, lines);
    size_t best = len;
    *clamped = true;
    if (line < n) {
        size_t at = lines[line].start;
        uint32_t units = 0, u;
        best = at;
        while (units <= ch) {
            best = at;
            if (units == ch) {
                *clamped = false;
                break;
            }
            if (at >= lines[line].end)
                break;
            at += ref_step(t + at, lines[line].end - at, enc, &u);
            units += u;
        }
    }
    free(lines);
    return best;
}

static void ref_ts_point(const char *t, size_t off, uint32_t *row, uint32_t *col)
{
    uint32_t r = 0;
    size_t line_start = 0;
    for (size_t i = 0; i < off; i++)
        if (t[i] == '\n') {
            r++;
            line_start = i + 1;
        }
    *row = r;
    *col = (uint32_t)(off - line_start);
}

/* ---- helpers ---- */

static void assert_index(const struct pos_index *ix, const char *t, size_t len, const char *what)
{
    struct ref_line *lines = xmalloc((len + 1) * sizeof(*lines));
    size_t n = ref_lines(t, len, lines);
    cr_assert_eq(ix->n, n, "%s: %zu lines, want %zu", what, ix->n, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ix->starts[i], lines[i].start, "%s: line %zu starts at %u, want %zu", what, i,
                     ix->starts[i], lines[i].start);
    cr_assert_eq(ix->n_lone_cr, ref_lone_cr(t, len), "%s: n_lone_cr %zu, want %zu", what,
                 ix->n_lone_cr, ref_lone_cr(t, len));
    free(lines);
}

/* Every offset, and every position up to past the ends, in all encodings. */
static void check_all(const char *t, size_t len)
{
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t, len);
    assert_index(&ix, t, len, "build");
    struct ref_line *lines = xmalloc((len + 1) * sizeof(*lines));
    size_t n = ref_lines(t, len, lines);
    for (size_t e = 0; e < MG_ARRAY_LEN(encs); e++) {
        enum pos_enc enc = encs[e];
        for (size_t off = 0; off <= len + 2; off++) {
            uint32_t l, c, rl, rc;
            size_t floor;
            pos_from_offset(&ix, t, len, (uint32_t)off, enc, &l, &c);
            ref_from_offset(t, len, off, enc, &rl, &rc, &floor);
            cr_assert(l == rl && c == rc, "%s off %zu: (%u,%u), want (%u,%u)", pos_enc_name(enc),
                      off, l, c, rl, rc);
            bool clamped = true;
            uint32_t back = pos_to_offset(&ix, t, len, l, c, enc, &clamped);
            cr_assert_eq(back, floor, "%s off %zu: back to %u, want %zu", pos_enc_name(enc), off,
                         back, floor);
            cr_assert(!clamped, "%s off %zu: a position we made was clamped", pos_enc_name(enc),
                      off);
        }
        for (uint32_t l = 0; l < n + 2; l++) {
            size_t width = l < n ? lines[l].end - lines[l].start : 0;
            for (uint32_t c = 0; c <= width + 3; c++) {
                bool clamped, rclamped;
                uint32_t off = pos_to_offset(&ix, t, len, l, c, enc, &clamped);
                size_t want = ref_to_offset(t, len, l, c, enc, &rclamped);
                cr_assert_eq(off, want, "%s (%u,%u): offset %u, want %zu", pos_enc_name(enc), l, c,
                             off, want);
                cr_assert_eq(clamped, rclamped, "%s (%u,%u): clamped %d", pos_enc_name(enc), l, c,
                             clamped);
                cr_assert_eq(pos_to_offset(&ix, t, len, l, c, enc, NULL), off);
            }
        }
    }
    for (size_t off = 0; off <= len; off++) {
        cr_assert_eq(pos_line_of(&ix, (uint32_t)off), ref_line_of(lines, n, off), "line of %zu",
                     off);
        uint32_t row, col, rrow, rcol;
        pos_ts_point(&ix, t, len, (uint32_t)off, &row, &col);
        ref_ts_point(t, off, &rrow, &rcol);
        cr_assert(row == rrow && col == rcol, "ts point of %zu: (%u,%u), want (%u,%u)", off, row,
                  col, rrow, rcol);
    }
    free(lines);
    pos_index_release(&ix);
}

static uint64_t rng_next(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 2685821657736338717ULL;
}

/* ---- literal cases ---- */

Test(pos, enc_names)
{
    cr_assert_str_eq(pos_enc_name(POS_UTF8), "utf-8");
    cr_assert_str_eq(pos_enc_name(POS_UTF16), "utf-16");
    cr_assert_str_eq(pos_enc_name(POS_UTF32), "utf-32");
    for (size_t e = 0; e < MG_ARRAY_LEN(encs); e++)
        cr_assert_eq(pos_enc_parse(pos_enc_name(encs[e])), (int)encs[e]);
    cr_assert_eq(pos_enc_parse("UTF-16"), POS_UTF16);
    cr_assert_eq(pos_enc_parse(NULL), -1);
    cr_assert_eq(pos_enc_parse(""), -1);
    cr_assert_eq(pos_enc_parse("utf8"), -1);
    cr_assert_eq(pos_enc_parse("utf-16le"), -1);
}

Test(pos, ascii)
{
    const char *t = "hello\nworld";
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t, strlen(t));
    cr_assert_eq(ix.n, 2);
    cr_assert_eq(ix.starts[0], 0);
    cr_assert_eq(ix.starts[1], 6);
    bool clamped = true;
    for (size_t e = 0; e < MG_ARRAY_LEN(encs); e++) {
        cr_assert_eq(pos_to_offset(&ix, t, 11, 1, 3, encs[e], &clamped), 9);
        cr_assert(!clamped);
        cr_assert_eq(pos_to_offset(&ix, t, 11, 0, 5, encs[e], &clamped), 5);
        cr_assert(!clamped, "the end of a line is a position");
        uint32_t l, c;
        pos_from_offset(&ix, t, 11, 9, encs[e], &l, &c);
        cr_assert(l == 1 && c == 3);
        pos_from_offset(&ix, t, 11, 5, encs[e], &l, &c);
        cr_assert(l == 0 && c == 5, "the \\n itself is the end of line 0");
        pos_from_offset(&ix, t, 11, 11, encs[e], &l, &c);
        cr_assert(l == 1 && c == 5);
    }
    cr_assert_eq(pos_line_of(&ix, 5), 0);
    cr_assert_eq(pos_line_of(&ix, 6), 1);
    cr_assert_eq(pos_line_of(&ix, 11), 1);
    cr_assert_eq(pos_line_of(&ix, 1000), 1);
    pos_index_release(&ix);
    check_all(t, strlen(t));
}

/* a é € 😀 b: 1 + 2 + 3 + 4 + 1 bytes; 😀 is a surrogate pair in UTF-16. */
Test(pos, multibyte_utf8)
{
    const char *t = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                    "b";
    size_t len = strlen(t);
    cr_assert_eq(len, 11);
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t, len);
    /* Offsets of a, é, €, 😀, b and the end, per encoding. */
    static const uint32_t u8[] = {0, 1, 3, 6, 10, 11};
    static const uint32_t u16[] = {0, 1, 2, 3, 5, 6};
    static const uint32_t u32[] = {0, 1, 2, 3, 4, 5};
    static const uint32_t bytes[] = {0, 1, 3, 6, 10, 11};
    for (size_t i = 0; i < 6; i++) {
        bool clamped = true;
        cr_assert_eq(pos_to_offset(&ix, t, len, 0, u8[i], POS_UTF8, &clamped), bytes[i]);
        cr_assert(!clamped);
        cr_assert_eq(pos_to_offset(&ix, t, len, 0, u16[i], POS_UTF16, &clamped), bytes[i]);
        cr_assert(!clamped);
        cr_assert_eq(pos_to_offset(&ix, t, len, 0, u32[i], POS_UTF32, &clamped), bytes[i]);
        cr_assert(!clamped);
        uint32_t l, c;
        pos_from_offset(&ix, t, len, bytes[i], POS_UTF16, &l, &c);
        cr_assert(l == 0 && c == u16[i], "utf-16 of byte %u: %u", bytes[i], c);
        pos_from_offset(&ix, t, len, bytes[i], POS_UTF32, &l, &c);
        cr_assert(l == 0 && c == u32[i]);
        pos_from_offset(&ix, t, len, bytes[i], POS_UTF8, &l, &c);
        cr_assert(l == 0 && c == u8[i]);
    }
    /* Inside a sequence: round down to its start. */
    bool clamped = false;
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 2, POS_UTF8, &clamped), 1, "inside é");
    cr_assert(clamped);
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 5, POS_UTF8, &clamped), 3, "inside €");
    cr_assert(clamped);
    for (uint32_t b = 7; b < 10; b++) {
        cr_assert_eq(pos_to_offset(&ix, t, len, 0, b, POS_UTF8, &clamped), 6, "inside 😀");
        uint32_t l, c;
        pos_from_offset(&ix, t, len, b, POS_UTF16, &l, &c);
        cr_assert_eq(c, 3, "byte %u is inside 😀, which starts at unit 3", b);
        pos_from_offset(&ix, t, len, b, POS_UTF8, &l, &c);
        cr_assert_eq(c, 6);
        pos_from_offset(&ix, t, len, b, POS_UTF32, &l, &c);
        cr_assert_eq(c, 3);
    }
    pos_index_release(&ix);
    check_all(t, len);
}

Test(pos, surrogate_pair_middle)
{
    const char *t = "\xf0\x9f\x98\x80\xf0\x9f\x98\x80x"; /* 😀😀x */
    size_t len = strlen(t);
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t, len);
    bool clamped;
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 1, POS_UTF16, &clamped), 0);
    cr_assert(clamped, "unit 1 is between the halves of the first pair");
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 2, POS_UTF16, &clamped), 4);
    cr_assert(!clamped);
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 3, POS_UTF16, &clamped), 4);
    cr_assert(clamped);
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 4, POS_UTF16, &clamped), 8);
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 5, POS_UTF16, &clamped), 9);
    cr_assert(!clamped);
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 6, POS_UTF16, &clamped), 9);
    cr_assert(clamped);
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 2, POS_UTF32, &clamped), 8);
    cr_assert_eq(pos_units(t, 0, (uint32_t)len, POS_UTF16), 5);
    cr_assert_eq(pos_units(t, 0, (uint32_t)len, POS_UTF32), 3);
    cr_assert_eq(pos_units(t, 0, (uint32_t)len, POS_UTF8), 9);
    pos_index_release(&ix);
}

Test(pos, crlf)
{
    const char *t = "ab\r\ncd\r\n";
    size_t len = strlen(t);
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t, len);
    cr_assert_eq(ix.n, 3);
    cr_assert_eq(ix.starts[1], 4);
    cr_assert_eq(ix.starts[2], 8);
    cr_assert_eq(ix.n_lone_cr, 0);
    bool clamped;
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 2, POS_UTF16, &clamped), 2);
    cr_assert(!clamped);
    cr_assert_eq(pos_to_offset(&ix, t, len, 0, 3, POS_UTF16, &clamped), 2, "before the \\r");
    cr_assert(clamped);
    uint32_t l, c;
    pos_from_offset(&ix, t, len, 3, POS_UTF16, &l, &c); /* between \r and \n */
    cr_assert(l == 0 && c == 2, "(%u,%u)", l, c);
    pos_from_offset(&ix, t, len, 8, POS_UTF16, &l, &c);
    cr_assert(l == 2 && c == 0);
    uint32_t row, col;
    pos_ts_point(&ix, t, len, 3, &row, &col);
    cr_assert(row == 0 && col == 3, "tree-sitter counts the \\r as a column");
    pos_ts_point(&ix, t, len, 4, &row, &col);
    cr_assert(row == 1 && col == 0);
    pos_index_release(&ix);
    check_all(t, len);
}

Test(pos, lone_cr)
{
    const char *t = "a\rb\rc";
    size_t len = strlen(t);
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t, len);
    cr_assert_eq(ix.n, 3);
    cr_assert_eq(ix.starts[1], 2);
    cr_assert_eq(ix.starts[2], 4);
    cr_assert_eq(ix.n_lone_cr, 2);
    cr_assert_eq(pos_to_offset(&ix, t, len, 2, 1, POS_UTF16, NULL), 5);
    uint32_t row, col;
    pos_ts_point(&ix, t, len, 4, &row, &col);
    cr_assert(row == 0 && col == 4, "a lone \\r is no row to tree-sitter: (%u,%u)", row, col);
    pos_index_release(&ix);
    check_all(t, len);
}

Test(pos, mixed_endings)
{
    const char *t = "a\nb\r\nc\rd\n\re\r\r\n\n";
    size_t len = strlen(t);
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t, len);
    static const uint32_t want[] = {0, 2, 5, 7, 9, 10, 12, 14, 15};
    cr_assert_eq(ix.n, MG_ARRAY_LEN(want));
    for (size_t i = 0; i < MG_ARRAY_LEN(want); i++)
        cr_assert_eq(ix.starts[i], want[i], "line %zu", i);
    cr_assert_eq(ix.n_lone_cr, 3);
    uint32_t row, col;
    pos_ts_point(&ix, t, len, 10, &row, &col); /* the 'e' after "\n\r" */
    cr_assert(row == 3 && col == 1, "(%u,%u)", row, col);
    pos_index_release(&ix);
    check_all(t, len);
}

Test(pos, empty_text)
{
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, "", 0);
    cr_assert_eq(ix.n, 1);
    cr_assert_eq(ix.starts[0], 0);
    bool clamped = true;
    cr_assert_eq(pos_to_offset(&ix, "", 0, 0, 0, POS_UTF16, &clamped), 0);
    cr_assert(!clamped);
    cr_assert_eq(pos_to_offset(&ix, "", 0, 0, 7, POS_UTF16, &clamped), 0);
    cr_assert(clamped);
    cr_assert_eq(pos_to_offset(&ix, "", 0, 3, 0, POS_UTF16, &clamped), 0);
    cr_assert(clamped);
    uint32_t l = 9, c = 9;
    pos_from_offset(&ix, "", 0, 5, POS_UTF16, &l, &c);
    cr_assert(l == 0 && c == 0);
    pos_index_release(&ix);
    check_all("", 0);
}

/* An index that was never built reads as the index of "", and is safe. */
Test(pos, unbuilt_index)
{
    struct pos_index ix;
    pos_index_init(&ix);
    cr_assert_eq(pos_line_of(&ix, 3), 0);
    cr_assert_eq(pos_to_offset(&ix, "", 0, 0, 0, POS_UTF16, NULL), 0);
    uint32_t l = 9, c = 9;
    pos_from_offset(&ix, "", 0, 0, POS_UTF16, &l, &c);
    cr_assert(l == 0 && c == 0);
    pos_ts_point(&ix, "", 0, 0, &l, &c);
    cr_assert(l == 0 && c == 0);
    pos_index_splice(&ix, "a\nb", 3, 0, 0, 3); /* falls back to a build */
    assert_index(&ix, "a\nb", 3, "splice into an unbuilt index");
    pos_index_release(&ix);
    pos_index_release(&ix); /* released twice: still empty, still fine */
}

Test(pos, text_ending_with_break)
{
    static const char *const texts[] = {"a\n", "a\r\n", "a\r", "\n", "\r\n", "\r"};
    for (size_t i = 0; i < MG_ARRAY_LEN(texts); i++) {
        const char *t = texts[i];
        size_t len = strlen(t);
        struct pos_index ix;
        pos_index_init(&ix);
        pos_index_build(&ix, t, len);
        cr_assert_eq(ix.n, 2, "'%s' has an empty last line", t);
        cr_assert_eq(ix.starts[1], len);
        uint32_t l, c;
        pos_from_offset(&ix, t, len, (uint32_t)len, POS_UTF16, &l, &c);
        cr_assert(l == 1 && c == 0);
        bool clamped;
        cr_assert_eq(pos_to_offset(&ix, t, len, 1, 0, POS_UTF16, &clamped), len);
        cr_assert(!clamped);
        cr_assert_eq(pos_to_offset(&ix, t, len, 2, 0, POS_UTF16, &clamped), len);
        cr_assert(clamped);
        pos_index_release(&ix);
        check_all(t, len);
    }
}

Test(pos, clamping)
{
    const char *t = "ab\r\ncd\nef";
    size_t len = strlen(t);
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t, len);
    bool clamped = false;
    for (size_t e = 0; e < MG_ARRAY_LEN(encs); e++) {
        cr_assert_eq(pos_to_offset(&ix, t, len, 0, 99, encs[e], &clamped), 2, "end of line 0");
        cr_assert(clamped);
        cr_assert_eq(pos_to_offset(&ix, t, len, 1, 3, encs[e], &clamped), 6, "end of line 1");
        cr_assert(clamped);
        cr_assert_eq(pos_to_offset(&ix, t, len, 2, 2, encs[e], &clamped), 9);
        cr_assert(!clamped);
        cr_assert_eq(pos_to_offset(&ix, t, len, 2, 3, encs[e], &clamped), 9);
        cr_assert(clamped);
        cr_assert_eq(pos_to_offset(&ix, t, len, 3, 0, encs[e], &clamped), len, "past the end");
        cr_assert(clamped);
        cr_assert_eq(pos_to_offset(&ix, t, len, UINT32_MAX, UINT32_MAX, encs[e], &clamped), len);
        cr_assert(clamped);
        cr_assert_eq(pos_to_offset(&ix, t, len, 0, UINT32_MAX, encs[e], &clamped), 2);
        uint32_t l, c;
        pos_from_offset(&ix, t, len, UINT32_MAX, encs[e], &l, &c);
        cr_assert(l == 2 && c == 2);
    }
    uint32_t row, col;
    pos_ts_point(&ix, t, len, UINT32_MAX, &row, &col);
    cr_assert(row == 2 && col == 2);
    pos_index_release(&ix);
}

Test(pos, invalid_utf8)
{
    static const struct {
        const char *text;
        uint32_t u16, u32; /* units of the whole text */
    } cases[] = {
        {"\xff", 1, 1},
        {"\x80\x80x", 3, 3},                /* stray continuation bytes */
        {"\xc0\xaf", 2, 2},                 /* overlong '/' */
        {"\xe0\x80\xaf", 3, 3},             /* overlong, 3 bytes */
        {"\xf0\x80\x80\xaf", 4, 4},         /* overlong, 4 bytes */
        {"\xed\xa0\x80", 3, 3},             /* an encoded surrogate */
        {"\xf4\x90\x80\x80", 4, 4},         /* over U+10FFFF */
        {"\xf8\x88\x80\x80\x80", 5, 5},     /* 5-byte form */
        {"\xe2\x82x", 3, 3},                /* truncated, then ASCII */
        {"\xe2\x82\xe2\x82\xac", 3, 3},     /* truncated, then a good € */
        {"a\xf0\x9f\x98", 4, 4},            /* truncated at the end of the text */
        {"\xf0\x9f\x98\n\x80", 5, 5},       /* truncated by a line break */
        {"\xc3\xa9\xc3", 2, 2},             /* é then a lone lead byte */
        {"\xf4\x8f\xbf\xbf", 2, 1},         /* U+10FFFF itself is fine */
        {"\xef\xbf\xbf\xee\x80\x80", 2, 2}, /* U+FFFF, U+E000 */
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(cases); i++) {
        const char *t = cases[i].text;
        uint32_t len = (uint32_t)strlen(t);
        cr_assert_eq(pos_units(t, 0, len, POS_UTF16), cases[i].u16, "case %zu", i);
        cr_assert_eq(pos_units(t, 0, len, POS_UTF32), cases[i].u32, "case %zu", i);
        cr_assert_eq(pos_units(t, 0, len, POS_UTF8), len);
        check_all(t, len);
    }
    /* A sequence cut by `to` counts as its bytes. */
    cr_assert_eq(pos_units("\xe2\x82\xac", 0, 2, POS_UTF16), 2);
    cr_assert_eq(pos_units("\xe2\x82\xac", 1, 3, POS_UTF32), 2);
    cr_assert_eq(pos_units("abc", 2, 2, POS_UTF16), 0);
}

Test(pos, round_trips)
{
    static const char *const texts[] = {
        "",
        "x",
        "def f(x):\n    return x\n",
        "caf\xc3\xa9 = '\xe2\x82\xac'\r\n# \xf0\x9f\x98\x80\xf0\x9f\x98\x80!\r\n\r\n",
        "\r\r\n\n\r",
        "\xf0\x9f\x98\x80\r\xf0\x9f\x98\x80\n\xc3\xa9\r\n\xe2\x82\xac",
        "\xff\xfe\r\n\xc0\x80\n\xed\xbf\xbf\xf0\x9f\x98",
        "\n\n\n\n",
        "tab\there\r\nno break at end \xe2\x82",
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(texts); i++)
        check_all(texts[i], strlen(texts[i]));
}

Test(pos, units)
{
    const char *t = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    cr_assert_eq(pos_units(t, 0, 10, POS_UTF8), 10);
    cr_assert_eq(pos_units(t, 0, 10, POS_UTF16), 5);
    cr_assert_eq(pos_units(t, 0, 10, POS_UTF32), 4);
    cr_assert_eq(pos_units(t, 1, 6, POS_UTF16), 2);
    cr_assert_eq(pos_units(t, 6, 10, POS_UTF16), 2);
}

/* ---- splicing ---- */

/* Replace [start, old_end) of *t with `ins`; splice `ix` and compare it
 * with a fresh build, and tree-sitter points with the reference. */
static void splice_and_check(struct mg_buf *t, struct pos_index *ix, size_t start, size_t old_end,
                             const char *ins, size_t ins_len, const char *what)
{
    struct mg_buf nt = {0};
    mg_buf_add(&nt, t->data, start);
    mg_buf_add(&nt, ins, ins_len);
    mg_buf_add(&nt, t->data + old_end, t->len - old_end);
    mg_buf_release(t);
    *t = nt;
    uint32_t new_end = (uint32_t)(start + ins_len);
    pos_index_splice(ix, t->data, t->len, (uint32_t)start, (uint32_t)old_end, new_end);
    assert_index(ix, t->data, t->len, what);
    struct pos_index fresh;
    pos_index_init(&fresh);
    pos_index_build(&fresh, t->data, t->len);
    for (size_t i = 1; i < fresh.n; i++)
        cr_assert_eq(!!ix->lone_cr[i], !!fresh.lone_cr[i], "%s: lone_cr[%zu]", what, i);
    pos_index_release(&fresh);
    const size_t probes[] = {0, start, new_end, t->len, start ? start - 1 : 0, new_end + 1};
    for (size_t i = 0; i < MG_ARRAY_LEN(probes); i++) {
        size_t off = probes[i] > t->len ? t->len : probes[i];
        uint32_t row, col, rrow, rcol;
        pos_ts_point(ix, t->data, t->len, (uint32_t)off, &row, &col);
        ref_ts_point(t->data, off, &rrow, &rcol);
        cr_assert(row == rrow && col == rcol, "%s: ts point of %zu: (%u,%u), want (%u,%u)", what,
                  off, row, col, rrow, rcol);
    }
}

static void splice_case(const char *before, size_t start, size_t old_end, const char *ins,
                        const char *after)
{
    struct mg_buf t = {0};
    mg_buf_adds(&t, before);
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t.data, t.len);
    char what[64];
    snprintf(what, sizeof(what), "'%s' [%zu,%zu) <- '%s'", before, start, old_end, ins);
    splice_and_check(&t, &ix, start, old_end, ins, strlen(ins), what);
    cr_assert_str_eq(t.data, after, "%s", what); /* the test itself is right */
    pos_index_release(&ix);
    mg_buf_release(&t);
}

Test(pos, splice_boundaries)
{
    splice_case("a\rb", 2, 2, "\n", "a\r\nb");   /* joins \r + \n into one break */
    splice_case("a\r\nb", 2, 2, "x", "a\rx\nb"); /* splits a CRLF by inserting */
    splice_case("a\r\nb", 2, 3, "", "a\rb");     /* deletes the \n of a CRLF */
    splice_case("a\r\nb", 1, 2, "", "a\nb");     /* deletes the \r of a CRLF */
    splice_case("a\rx\nb", 2, 3, "", "a\r\nb");  /* deleting joins \r and \n */
    splice_case("a\r", 2, 2, "\nb", "a\r\nb");   /* appending after a lone \r */
    splice_case("\nb", 0, 0, "a\r", "a\r\nb");   /* inserting a \r before a \n */
    splice_case("a\nb\nc\nd", 1, 5, "", "a\nd"); /* deleting merges lines */
    splice_case("a\nb\nc\nd", 0, 7, "", "");     /* deleting everything */
    splice_case("", 0, 0, "x\r\ny\rz\n", "x\r\ny\rz\n");
    splice_case("a\r\r\nb", 2, 2, "\r", "a\r\r\r\nb");
    splice_case("a\r\r\nb", 1, 3, "\n\n", "a\n\n\nb");
    splice_case("ab", 1, 1, "\r", "a\rb");
    splice_case("a\rb", 1, 2, "", "ab");
    splice_case("a\rb", 1, 2, "\r\n", "a\r\nb");
    splice_case("\r\n\r\n", 1, 3, "", "\r\n");
    splice_case("\r\n\r\n", 1, 3, "\r", "\r\r\n");
    splice_case("x\ry", 0, 3, "\n", "\n");
}

Test(pos, splice_random)
{
    static const char *const pieces[] = {
        "a",    "bc",   "\r",       "\n",           "\r\n",
        "\n\r", " ",    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        "\xff", "\x80", "\xf0",     "\xe2\x82",     "\r\r",
    };
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    struct mg_buf t = {0};
    mg_buf_adds(&t, "start\r\nof\rthe\ntext\r");
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, t.data, t.len);
    for (int round = 0; round < 5000; round++) {
        struct mg_buf ins = {0};
        size_t n_pieces = rng_next(&rng) % 7;
        if (t.len > 400)
            n_pieces /= 3; /* keep the text small: favour deletions */
        for (size_t i = 0; i < n_pieces; i++)
            mg_buf_adds(&ins, pieces[rng_next(&rng) % MG_ARRAY_LEN(pieces)]);
        size_t start = t.len ? rng_next(&rng) % (t.len + 1) : 0;
        size_t span = rng_next(&rng) % (t.len > 400 ? 40 : 8);
        size_t old_end = start + span > t.len ? t.len : start + span;
        char what[32];
        snprintf(what, sizeof(what), "round %d", round);
        splice_and_check(&t, &ix, start, old_end, ins.data ? ins.data : "", ins.len, what);
        mg_buf_release(&ins);
        if (round % 250 == 0)
            check_all(t.data ? t.data : "", t.len);
    }
    pos_index_release(&ix);
    mg_buf_release(&t);
}

Test(pos, splice_bad_arguments_rebuild)
{
    const char *t = "a\nb\r\nc";
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, "zz\rzz", 5);
    pos_index_splice(&ix, t, 6, 4, 2, 5); /* start > old_end */
    assert_index(&ix, t, 6, "start > old_end");
    pos_index_build(&ix, "zz\rzz", 5);
    pos_index_splice(&ix, t, 6, 0, 0, 9); /* new_end > len */
    assert_index(&ix, t, 6, "new_end > len");
    pos_index_release(&ix);
}

/* A 15,000-line file: every conversion must cost about one line, not the
 * whole file. Quadratic code would take minutes here, and meson's test
 * timeout would stop it (see test_frame.c on criterion's .timeout). */
Test(pos, big_file_is_fast)
{
    struct mg_buf b = {0};
    for (int i = 0; i < 15000; i++)
        mg_buf_addf(&b, "    x_%05d = 'caf\xc3\xa9 \xf0\x9f\x98\x80' + str(%d)  # comment\r\n", i,
                    i * 7);
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, b.data, b.len);
    cr_assert_eq(ix.n, 15001);
    uint64_t rng = 1;
    for (int i = 0; i < 300000; i++) {
        uint32_t off = (uint32_t)(rng_next(&rng) % (b.len + 1));
        uint32_t l, c;
        pos_from_offset(&ix, b.data, b.len, off, POS_UTF16, &l, &c);
        uint32_t back = pos_to_offset(&ix, b.data, b.len, l, c, POS_UTF16, NULL);
        cr_assert_leq(back, off);
        cr_assert_lt(off - back, 4);
    }
    /* Typing at the top of the file: each keystroke splices the index. */
    for (int i = 0; i < 2000; i++) {
        mg_buf_add(&b, "", 1); /* room for one more byte */
        b.len--;
        memmove(b.data + 11, b.data + 10, b.len - 10);
        b.data[10] = i % 2 ? '\n' : 'y';
        b.len++;
        pos_index_splice(&ix, b.data, b.len, 10, 10, 11);
        memmove(b.data + 10, b.data + 11, b.len - 11);
        b.len--;
        pos_index_splice(&ix, b.data, b.len, 10, 11, 10);
    }
    assert_index(&ix, b.data, b.len, "after typing");
    cr_assert_eq(ix.n, 15001);
    mg_buf_release(&b);
    pos_index_release(&ix);
}
