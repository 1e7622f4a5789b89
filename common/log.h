/* Levelled logging for every floe program and library.
 * FLOE_LOG=error|warn|info|debug picks the level (default info). */
#ifndef FLOE_LOG_H
#define FLOE_LOG_H

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

enum floe_log_level { FLOE_LOG_ERROR, FLOE_LOG_WARN, FLOE_LOG_INFO, FLOE_LOG_DEBUG };

/* Sets the prefix printed before every line (the program's name). */
void floe_log_set_prefix(const char *prefix);
int floe_log_enabled(enum floe_log_level level);
void floe_log(enum floe_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define floe_err(...)   floe_log(FLOE_LOG_ERROR, __VA_ARGS__)
#define floe_warn(...)  floe_log(FLOE_LOG_WARN, __VA_ARGS__)
#define floe_info(...)  floe_log(FLOE_LOG_INFO, __VA_ARGS__)
#define floe_debug(...) floe_log(FLOE_LOG_DEBUG, __VA_ARGS__)

#pragma GCC visibility pop

#endif
