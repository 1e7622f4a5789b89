/* Reads the password file (see password.h); re-read at every link so the
 * password and its expiry can change while the server runs. */
#include "server/net/password.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "floe/server.h"

static void chomp(char *s)
{
    size_t n = strlen(s);

    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
}

static int parse_when(const char *v, time_t *out)
{
    struct tm tm;
    char *end;
    long long secs = strtoll(v, &end, 10);

    if (*v && *end == 0) {
        *out = (time_t)secs;
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    end = strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return -EINVAL;
    *out = timegm(&tm);
    return 0;
}

int fsrv_password_read(const char *path, char pw[61], time_t *expiry)
{
    char line[256];
    FILE *f = fopen(path, "r");
    int rc = 0;

    *expiry = 0;
    if (!f) {
        floe_err("password file %s: %s", path, strerror(errno));
        return -errno;
    }
    if (!fgets(line, sizeof(line), f))
        line[0] = 0;
    chomp(line);
    if (line[0] == 0) {
        floe_err("password file %s: the first line (the password) is empty", path);
        rc = -EINVAL;
        goto out;
    }
    if (strlen(line) > 60) {
        floe_err("password file %s: password longer than 60 characters", path);
        rc = -EINVAL;
        goto out;
    }
    strcpy(pw, line);
    while (fgets(line, sizeof(line), f)) {
        chomp(line);
        if (strncmp(line, "expires=", 8) == 0 && parse_when(line + 8, expiry) < 0) {
            floe_err("password file %s: bad expiry '%s'", path, line + 8);
            rc = -EINVAL;
            goto out;
        }
    }
out:
    fclose(f);
    return rc;
}

int floe_server_password_file_check(const char *path)
{
    char pw[61];
    time_t expiry;

    return fsrv_password_read(path, pw, &expiry);
}
