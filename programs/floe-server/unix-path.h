/* Unix socket paths floe-server listens on: a stale socket left by a dead
 * run is replaced, a live one (another server answering) or a file kept. */
#ifndef FLOE_SERVER_UNIX_PATH_H
#define FLOE_SERVER_UNIX_PATH_H

#include <stdbool.h>

/* Makes path free to bind: 0 when nothing was there, or when a socket
 * nobody listens on was there and is removed (*stale set, if stale is not
 * NULL); -EADDRINUSE when a server answers on it, -EEXIST when it is
 * another kind of file, -ENAMETOOLONG, or another -errno. */
int floe_unix_path_claim(const char *path, bool *stale);
/* One line's reason for a negative floe_unix_path_claim() result. */
const char *floe_unix_path_error(int rc);

#endif
