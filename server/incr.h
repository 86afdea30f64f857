/* Incremental analysis (DESIGN.md, "How a keystroke flows", step 4).
 *
 * After an edit, only what the edit can have changed is analysed again:
 * the analyzers that read definitions one at a time (AN_PER_DEFINITION)
 * run on the definitions the edit touched (a top-level function, a method
 * of a top-level class, or a whole class when its header or its own
 * statements changed); the whole-file analyzers run again unless the
 * edited text shows that their findings stand (F401: none of the names
 * import statements bind; an analyzer that `watches`: no edit in what it
 * read, none of its cross words). The other findings are kept, their
 * offsets shifted, with their serials, versions and encoded JSON, so the
 * publish re-encodes only what is new.
 *
 * Everything falls back to a whole analysis when the edit touches the
 * module's own statements (imports, assignments, `if` blocks ...), when a
 * cross word of an analyzer appears in the edited text, when the text was
 * replaced, and when the settings, the review base or the index changed.
 * MARGIN_VERIFY_INCREMENTAL=1 in the environment compares every
 * incremental result with a whole analysis and aborts on a difference
 * (for tests). */
#ifndef MG_INCR_H
#define MG_INCR_H

#include "config.h"
#include "doc.h"

#include <stdbool.h>

/* Analyse parsed `doc` (lazy fixes; pdoc `pd` with its index) into `out`
 * (inited here) under `cfg`: incrementally from doc->diags and
 * doc->changes when they allow it, else whole. doc->diags is consumed
 * (left empty); findings carried over keep their serial and `born`
 * version, new ones get fresh serials and doc->version. Filters with
 * cfg_resolved_filter(); the caller resets doc->changes afterwards. */
void incr_analyze(struct doc *doc, const struct pdoc *pd, const struct cfg_resolved *cfg,
                  struct diag_list *out);

/* The next analysis of `doc` is whole (findings made some other way). */
void incr_forget(struct doc *doc);

/* Give every finding of `l` a fresh serial of `doc` and doc->version. */
void incr_stamp(struct doc *doc, struct diag_list *l);

void incr_free(struct incr *in);

#endif
