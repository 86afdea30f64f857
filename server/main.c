/* margin: flags and wiring; nothing else. */
#include "analyzer.h"
#include "check.h"
#include "io.h"
#include "log.h"
#include "mg.h"
#include "server.h"
#include "transcript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: margin [--log=LEVEL] [--log-file PATH] <command> [args]\n"
    "\n"
    "commands:\n"
    "  lsp [--stdio]        run the language server on stdin/stdout\n"
    "  check [PATH...]      review files and folders (margin check --help)\n"
    "  version              print the version\n"
    "\n"
    "  --stdio              the same as `lsp` (what editors append)\n"
    "  --log=LEVEL          error, warn (default), info or debug, to stderr\n"
    "  --log-file PATH      append logs to PATH instead of stderr\n"
    "  --test FILE          run an LSP transcript (for margin's tests)\n";

static int run_lsp(void *arg)
{
    (void)arg;
    struct server srv;
    if (srv_init(&srv, NULL, NULL) != 0)
        return 1;
    int rc = io_run(&srv);
    srv_release(&srv);
    return rc;
}

static int run_transcript(void *arg)
{
    return transcript_run(arg);
}

struct check_args {
    int argc;
    char **argv;
};

static int run_check(void *arg)
{
    struct check_args *a = arg;
    return check_main(a->argc, a->argv);
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--log=", 6) == 0 || (strcmp(a, "--log") == 0 && i + 1 < argc)) {
            const char *v = a[5] == '=' ? a + 6 : argv[++i];
            int level = log_level_parse(v);
            if (level < 0) {
                fprintf(stderr, "margin: unknown log level '%s'\n", v);
                return 2;
            }
            log_set_level((enum log_level)level);
        } else if (strncmp(a, "--log-file=", 11) == 0 ||
                   (strcmp(a, "--log-file") == 0 && i + 1 < argc)) {
            const char *v = a[10] == '=' ? a + 11 : argv[++i];
            if (log_set_file(v) != 0) {
                fprintf(stderr, "margin: cannot open log file '%s'\n", v);
                return 2;
            }
        } else if (strcmp(a, "--stdio") == 0) {
            break;
        } else if (strcmp(a, "--test") == 0 && i + 1 < argc) {
            an_init_all(tree_sitter_python());
            int rc = mg_run_on_big_stack(MG_BIG_STACK, run_transcript, argv[i + 1]);
            an_fini_all();
            return rc;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("margin %s\n", MG_VERSION);
            return 0;
        } else {
            fprintf(stderr, "margin: unknown option '%s'\n\n%s", a, usage);
            return 2;
        }
    }
    const char *cmd = i < argc ? argv[i] : NULL;
    if (cmd == NULL) {
        fputs(usage, stderr);
        return 2;
    }
    if (strcmp(cmd, "version") == 0) {
        printf("margin %s\n", MG_VERSION);
        return 0;
    }
    if (strcmp(cmd, "check") == 0) {
        struct check_args ca = {argc - i, argv + i};
        return mg_run_on_big_stack(MG_BIG_STACK, run_check, &ca);
    }
    if (strcmp(cmd, "lsp") == 0 || strcmp(cmd, "--stdio") == 0) {
        for (int j = i + 1; j < argc; j++) {
            if (strcmp(argv[j], "--stdio") != 0) {
                fprintf(stderr, "margin lsp: unknown argument '%s'\n", argv[j]);
                return 2;
            }
        }
        if (an_init_all(tree_sitter_python()) != 0)
            return 1;
        int rc = mg_run_on_big_stack(MG_BIG_STACK, run_lsp, NULL);
        an_fini_all();
        log_close();
        return rc;
    }
    fprintf(stderr, "margin: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
