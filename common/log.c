/* stderr logging; see log.h. */
#include "log.h"
#include "mg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <stdlib.h>
#include <time.h>

static enum log_level level = LOG_WARN;
static FILE *sink;

void log_set_level(enum log_level l)
{
    level = l;
}

enum log_level log_get_level(void)
{
    return level;
}

int log_level_parse(const char *name)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (size_t i = 0; i < MG_ARRAY_LEN(names); i++)
        if (strcasecmp(name, names[i]) == 0)
            return (int)i;
    if (strcasecmp(name, "warning") == 0)
        return LOG_WARN;
    return -1;
}

int log_set_file(const char *path)
{
    FILE *f = fopen(path, "a");
    if (f == NULL)
        return -MG_EIO;
    setvbuf(f, NULL, _IOLBF, 0);
    log_close();
    sink = f;
    return 0;
}

void log_close(void)
{
    if (sink != NULL)
        fclose(sink);
    sink = NULL;
}

void log_msg(enum log_level l, const char *func, const char *fmt, ...)
{
    if (l > level)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    /* One fprintf per line keeps lines whole across threads (stdio locks). */
    fprintf(sink ? sink : stderr, "%c %02d:%02d:%02d.%03d %s: %s\n", "EWID"[l], tm.tm_hour,
            tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000), func, msg);
    free(msg);
}
