/* Positions: a line index over a UTF-8 text, and conversion between byte
 * offsets and LSP positions (line, character) in the negotiated encoding. */
#ifndef MG_POS_H
#define MG_POS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pos_enc { POS_UTF8, POS_UTF16, POS_UTF32 };

/* "utf-8", "utf-16", "utf-32" (static strings; an out-of-range value gives
 * "utf-16", LSP's default). pos_enc_parse() maps those names (any case) back
 * to the enum and returns -1 for NULL or an unknown name. */
const char *pos_enc_name(enum pos_enc enc);
int pos_enc_parse(const char *name);

/* Start offset of every line. A line ends at "\n", "\r\n" or a lone "\r"
 * (the LSP rule); "\r\n" is one line break. starts[0] is always 0, and a
 * text ending in a break has an empty last line. */
struct pos_index {
    uint32_t *starts;
    size_t n, cap;
    size_t n_lone_cr; /* lone "\r" breaks: tree-sitter does not count these as rows */
    uint8_t *lone_cr; /* lone_cr[i] != 0: line i (i > 0) starts after a lone "\r" */
};

/* An empty index (n == 0, no memory). The functions below treat it as the
 * index of an empty text, but callers normally build it first. */
void pos_index_init(struct pos_index *ix);
/* Free the arrays; `ix` is left empty, as after pos_index_init(). */
void pos_index_release(struct pos_index *ix);
/* Index `text` (`len` bytes, len <= UINT32_MAX; need not be NUL-terminated),
 * replacing whatever `ix` held. O(len). */
void pos_index_build(struct pos_index *ix, const char *text, size_t len);

/* Bring the index up to date after [start, old_end) of the old text was
 * replaced, giving `text` (the whole new text, `len` bytes) in which the
 * replacement occupies [start, new_end). Costs O(lines after the edit) in
 * integer adds plus O(edit) in scanning; equals pos_index_build() on `text`.
 * Arguments that cannot describe an edit of the indexed text (start past
 * either end, new_end > len) make it fall back to pos_index_build(). */
void pos_index_splice(struct pos_index *ix, const char *text, size_t len, uint32_t start,
                      uint32_t old_end, uint32_t new_end);

/* The line holding byte `off` (0-based), by binary search: O(log lines).
 * off == len is on the last line; so is any larger offset. The bytes of a
 * line break belong to the line they end. */
uint32_t pos_line_of(const struct pos_index *ix, uint32_t off);

/* LSP position -> byte offset. A character past the end of its line means
 * the end of that line (before its break); a line past the last line means
 * the end of the text. A character inside a multi-byte sequence or between
 * the halves of a surrogate pair rounds down to the sequence's start.
 * *clamped (may be NULL) is set to whether the position had to be adjusted.
 * Characters count units of `enc`: UTF-8 bytes, UTF-16 code units (2 for a
 * code point >= U+10000) or code points; a byte that does not start a
 * well-formed UTF-8 sequence is one unit in every encoding. `text` is the
 * indexed text. O(log lines + length of the line). */
uint32_t pos_to_offset(const struct pos_index *ix, const char *text, size_t len, uint32_t line,
                       uint32_t character, enum pos_enc enc, bool *clamped);

/* Byte offset -> LSP position. An offset inside a multi-byte sequence
 * counts from that sequence's start, and one between the "\r" and "\n" of
 * a "\r\n" from before the "\r"; off > len is treated as len. Invalid
 * UTF-8 bytes count as one unit each. `line` and `character` must not be
 * NULL. O(log lines + length of the line). */
void pos_from_offset(const struct pos_index *ix, const char *text, size_t len, uint32_t off,
                     enum pos_enc enc, uint32_t *line, uint32_t *character);

/* Tree-sitter's point for byte `off` (> len is treated as len): rows count
 * "\n" only, columns are bytes since the last "\n". O(log lines) when the
 * text has no lone "\r"; otherwise O(lines before `off`) byte reads. */
void pos_ts_point(const struct pos_index *ix, const char *text, size_t len, uint32_t off,
                  uint32_t *row, uint32_t *column);

/* Units of `enc` in text[from, to) (from <= to <= len). Only bytes before
 * `to` are read, so a sequence cut by `to` counts as invalid bytes. */
uint32_t pos_units(const char *text, uint32_t from, uint32_t to, enum pos_enc enc);

#endif
