/* Levelled logging to stderr, one line per call, safe from several threads
 * (each line is written with a single fprintf). */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_prefix = "floe";
static int log_level = -1;

void floe_log_set_prefix(const char *prefix)
{
    log_prefix = prefix;
}

static int level_from_env(void)
{
    const char *v = getenv("FLOE_LOG");
    static const char *names[] = { "error", "warn", "info", "debug" };

    if (!v)
        return FLOE_LOG_INFO;
    for (int i = 0; i < 4; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    return FLOE_LOG_INFO;
}

int floe_log_enabled(enum floe_log_level level)
{
    if (log_level < 0)
        log_level = level_from_env();
    return (int)level <= log_level;
}

void floe_log(enum floe_log_level level, const char *fmt, ...)
{
    static const char *tags[] = { "error", "warning", "info", "debug" };
    char line[1024];
    va_list ap;

    if (!floe_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s: %s\n", log_prefix, tags[level], line);
}
