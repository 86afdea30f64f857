/* The workspace index (analyzers/index.h) built from files: margin check
 * builds one from the paths it checks before analysing them; the language
 * server from the workspace folders, on the libuv thread pool. */
#ifndef MG_WSINDEX_H
#define MG_WSINDEX_H

#include "index.h"

#include <stddef.h>

/* Read, parse and summarise the .py/.pyi files `paths` on up to
 * `n_threads` threads (0: one per CPU), and finish the index. Files that
 * cannot be read or parsed are left out. Returns a new index (idx_free()
 * frees it); never NULL. */
struct idx_index *wsi_build(const char *const *paths, size_t n, size_t n_threads);

/* Summarise `text` (len bytes) as the file `path` and put it into `ix`,
 * then finish the index again. `tree` may be NULL (the text is parsed). */
void wsi_update_text(struct idx_index *ix, const char *path, const char *text, size_t len,
                     const TSTree *tree);

/* ---- the language server's index ---------------------------------------- */

#define WSI_MAX_FILES 50000 /* a workspace folder that is a home directory stays bounded */

struct wsi_live;

/* Start building the index of the *.py files under `roots` (walked as
 * `margin check` walks: .gitignore and the default exclusions honoured) on
 * the libuv thread pool of `loop` (a uv_loop_t *). `ready(ud)` runs on the
 * loop's thread once the index is there. Never NULL. */
struct wsi_live *wsi_live_start(void *loop, char *const *roots, size_t n_roots,
                                void (*ready)(void *ud), void *ud);

/* The index analyses read (main thread), or NULL while the first build
 * runs. */
const struct idx_index *wsi_live_index(const struct wsi_live *l);

/* An open document changed on disk (didSave): summarise `doc` (parsed;
 * path set) into the index and finish it again, on the calling thread.
 * Documents outside the roots are left out. While the first build runs,
 * the document is remembered and put in when it ends. */
void wsi_live_update(struct wsi_live *l, const struct pdoc *doc);

/* Free the index; a build still running is told to stop and frees itself
 * when it does (the loop must run until then). NULL is fine. */
void wsi_live_free(struct wsi_live *l);

#endif
