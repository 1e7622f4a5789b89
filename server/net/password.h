/* The password file: the password on its first line, optionally a line
 * "expires=WHEN" (seconds since the epoch or YYYY-MM-DDTHH:MM:SSZ). */
#ifndef FLOE_PASSWORD_H
#define FLOE_PASSWORD_H

#include <time.h>

/* Reads `path` into pw (at most 60 characters + NUL) and *expiry (0 =
 * never). 0, or -errno with a logged reason. */
int fsrv_password_read(const char *path, char pw[61], time_t *expiry);

#endif
