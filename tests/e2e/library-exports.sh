#!/usr/bin/env bash
# Each built library exposes exactly what its public headers declare, and no
# symbol is exposed by two libraries: internals stay inside their library.
. "$(dirname "$0")/../lib.sh"
LIBDIR=$(cd "$BIN/../lib" && pwd)

# the public headers of each library (the ones that push default visibility)
declare -A HDRS=(
    [common]="common/log.h"
    [protocol]="protocol/spice/*.h protocol/rfb/rfb.h"
    [codecs]="codecs/*.h"
    [server]="server/include/floe/server.h"
    [demo]="demo/demo.h"
    [client]="client/include/floe/client.h"
    [vmhost]="vmhost/vm.h vmhost/vm-config.h"
)

CPPFLAGS="-D_GNU_SOURCE -I. -Iserver/include -Iclient/include $(pkg-config --cflags libuv pixman-1 2>/dev/null)"

# The functions and data a header declares at file scope, one per line:
# statements outside braces, not typedefs, not static (inline) definitions.
# The header is preprocessed (its tables of messages are macros) and only
# the text that comes from the header itself is read.
declared() {
    local h
    for h in "$@"; do
        # a header that does not push default visibility is a library's own
        grep -q 'visibility push(default)' "$h" || continue
        # shellcheck disable=SC2086
        gcc -E $CPPFLAGS -x c "$h" >"$T/pp" || { echo "cannot preprocess $h" >&2; return 1; }
        python3 "$T/declared.py" "$h" "$T/pp"
    done
}
cat >"$T/declared.py" <<'EOF'
import re, sys
header, pp = sys.argv[1], sys.argv[2]
mine, keep = False, []
for line in open(pp):
    m = re.match(r'# \d+ "([^"]*)"', line)
    if m:
        mine = m.group(1) == header
        continue
    if mine and not line.startswith("#"):
        keep.append(line)
depth, stmt = 0, ''
for ch in ''.join(keep):
    if ch == '{':
        if depth == 0 and re.match(r'\s*static\b', stmt):
            stmt = 'static'
        depth += 1
        continue
    if ch == '}':
        depth -= 1
        continue
    if depth:
        continue
    if ch != ';':
        stmt += ch
        continue
    s = ' '.join(stmt.split())
    stmt = ''
    if not s or s.startswith(('typedef', 'static')):
        continue
    m = re.match(r'[^(]*?\b([A-Za-z_]\w*)\s*\(', s)   # a function, not a pointer to one
    if m and not re.match(r'[^(]*\(\s*\*', s):
        print(m.group(1))
        continue
    m = re.match(r'extern\b.*?\b([A-Za-z_]\w*)\s*(\[[^\]]*\])*$', s)   # data
    if m:
        print(m.group(1))
EOF

exported() { # library archive -> its defined global symbols
    nm -g --defined-only "$1" | awk '$2 ~ /^[TDBRCVW]$/ && $3 !~ /^__(odr_)?asan/ { print $3 }' | sort -u
}

all_exports=$T/all
: >"$all_exports"
for lib in "${!HDRS[@]}"; do
    a=$LIBDIR/libfloe-$lib.a
    [ -f "$a" ] || { fail "$lib: $a is not built"; continue; }
    # shellcheck disable=SC2086
    declared ${HDRS[$lib]} | sort -u >"$T/$lib.declared"
    exported "$a" >"$T/$lib.exported"
    extra=$(comm -13 "$T/$lib.declared" "$T/$lib.exported")
    missing=$(comm -23 "$T/$lib.declared" "$T/$lib.exported")
    n=$(wc -l <"$T/$lib.exported")
    if [ -z "$extra" ]; then
        pass "libfloe-$lib exposes $n symbols, each declared in its public header"
    else
        fail "libfloe-$lib exposes symbols its public header does not declare: $(echo $extra)"
    fi
    if [ -z "$missing" ]; then
        pass "libfloe-$lib defines everything its public header declares"
    else
        fail "libfloe-$lib's public header declares what it does not export: $(echo $missing)"
    fi
    sed "s/^/$lib /" "$T/$lib.exported" >>"$all_exports"
done

dups=$(awk '{ n[$2]++; l[$2] = l[$2] " " $1 } END { for (s in n) if (n[s] > 1) print s ":" l[s] }' "$all_exports")
[ -z "$dups" ] && pass "no symbol is exposed by two libraries" || fail "exposed by several libraries: $dups"

# the check itself: a hidden internal of the server must not be reachable
nm "$LIBDIR/libfloe-server.a" | grep -q ' t fsrv_chan_new$' &&
    pass "an internal (fsrv_chan_new) is local in libfloe-server.a" ||
    fail "fsrv_chan_new is not a local symbol of libfloe-server.a"
finish
