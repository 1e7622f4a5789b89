/* The syntax of values put on QEMU's command line: option values, whose
 * commas are doubled, and shell words for exec: migration URIs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmhost/vm-priv.h"

char *vm_escape_commas(const char *prefix, const char *v, const char *suffix)
{
    size_t n = strlen(prefix) + 2 * strlen(v) + strlen(suffix) + 1;
    char *out = malloc(n), *o = out;

    if (!out)
        return NULL;
    o += sprintf(o, "%s", prefix);
    for (; *v; v++) {
        *o++ = *v;
        if (*v == ',')
            *o++ = ',';
    }
    strcpy(o, suffix);
    return out;
}

int vm_has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && !strcmp(s + a - b, suffix);
}

char *vm_shell_quoted(const char *prefix, const char *s)
{
    size_t n = strlen(prefix) + 4 * strlen(s) + 3;
    char *out = malloc(n), *o = out;

    if (!out)
        return NULL;
    o += sprintf(o, "%s'", prefix);
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *s;
        }
    }
    strcpy(o, "'");
    return out;
}
