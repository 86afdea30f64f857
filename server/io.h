/* The server's transport: LSP frames over stdin/stdout on a libuv loop. */
#ifndef MG_IO_H
#define MG_IO_H

#include "server.h"

/* Serve `srv` (already srv_init'ed) on stdin/stdout until `exit` or EOF.
 * stdin may be a pipe, a socket, a tty or a regular file. Returns the
 * process exit status (0 after shutdown + exit, else 1). */
int io_run(struct server *srv);

#endif
