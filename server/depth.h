/* A guard for Debian's tree-sitter 0.20.7: when error recovery wraps a
 * parse stack of 65536 or more entries into one ERROR node, the node's
 * child count wraps around and the tree is corrupt (a double free in
 * ts_tree_delete follows). "x = " followed by 65533 '(' is enough, and so
 * are 70,000 unary '-', 'not' or 'lambda:' without an operand. Fixed
 * upstream in 0.20.8; until margin can use that, texts whose parse stack
 * could get that deep are not parsed at all. */
#ifndef MG_DEPTH_H
#define MG_DEPTH_H

#include <stddef.h>
#include <stdint.h>

/* Texts whose depth_estimate() exceeds this are not handed to tree-sitter:
 * far below 65536, because the estimate is a heuristic (it can be fooled
 * by garbage that keeps error recovery busy). Real code stays under ~500:
 * the largest among the Python files of a Debian system (stdlib, pip,
 * setuptools, gcloud SDK, lit tests) is 507. */
#define DEPTH_LIMIT 20000u

/* An estimate, from above, of the deepest tree-sitter-python parse stack
 * `text` (UTF-8 or not, `len` bytes) can produce: a single pass that counts
 * the tokens that stay unreduced (open brackets, prefix and right-
 * associative operators, ternaries, lambdas) plus a fixed cost per block
 * indentation level, skipping strings and comments. Stops counting once
 * past DEPTH_LIMIT and returns a value above it. Never fails. */
uint32_t depth_estimate(const char *text, size_t len);

#endif
