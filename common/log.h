/* Developer logging to stderr (or --log-file). stdout is never written here:
 * it carries only framed LSP messages. Safe to call from any thread. */
#ifndef MG_LOG_H
#define MG_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug" -> level; -1 when unknown. */
int log_level_parse(const char *name);
/* Append logs to `path` instead of stderr. Returns 0 or -MG_EIO. */
int log_set_file(const char *path);
void log_close(void);

/* One line: "I 12:00:01.234 func: message". */
void log_msg(enum log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOGE(...) log_msg(LOG_ERROR, __func__, __VA_ARGS__)
#define LOGW(...) log_msg(LOG_WARN, __func__, __VA_ARGS__)
#define LOGI(...) log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define LOGD(...) log_msg(LOG_DEBUG, __func__, __VA_ARGS__)

#endif
