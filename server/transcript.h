/* `margin --test FILE`: run an LSP transcript synchronously for tests. */
#ifndef MG_TRANSCRIPT_H
#define MG_TRANSCRIPT_H

/* FILE holds message bodies separated by lines "---"; lines starting with
 * "#" are comments. After each body the server is flushed (analysis, then
 * pending replies) unless the body's block contains the line "#! noflush",
 * which keeps it in the same "read" as the next one (to test coalescing and
 * $/cancelRequest). Every outgoing message is printed to stdout as pretty
 * JSON with sorted keys; the last line is "# exit N" with the server's exit
 * status, or "# end of input". Returns 0, or 2 when FILE cannot be read. */
int transcript_run(const char *path);

#endif
