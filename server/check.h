/* `margin check`: the analyzers over files and folders, for CI and the
 * command line. */
#ifndef MG_CHECK_H
#define MG_CHECK_H

/* argv[0] is "check"; the rest are its flags and paths. Prints findings to
 * stdout and errors to stderr. Returns the process exit status: 0 no
 * findings, 1 findings, 2 usage or I/O error. */
int check_main(int argc, char **argv);

#endif
