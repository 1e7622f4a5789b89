#!/usr/bin/env bash
# The layers of the tree, read from the built objects: a file depends on
# another when it uses a function or data the other defines. Layers point
# down only, the network layer knows nothing above it, no two files in
# different folders depend on each other both ways, and two files of one
# folder do so only where docs/ARCHITECTURE.md says why.
. "$(dirname "$0")/../lib.sh"
OBJ=$(cd "$BIN/../obj" && pwd)

python3 - "$OBJ" docs/ARCHITECTURE.md >"$T/report" <<'EOF'
import collections, os, re, subprocess, sys

objdir, notes = sys.argv[1], sys.argv[2]
# each top folder's layer; a file may use its own layer's files and lower ones
rank = {'common': 0, 'protocol': 1, 'codecs': 2, 'server': 3, 'client': 3,
        'demo': 4, 'vmhost': 4, 'qemu': 4, 'programs': 5, 'guest-agent': 2}
# server/qemu is floe's libspice-server: a host of libfloe-server, above it
def layer(path):
    return 'qemu' if path.startswith('server/qemu/') else path.split('/')[0]
# pairs of the same layer that must not meet
apart = {('server', 'client'), ('client', 'server'), ('demo', 'vmhost'), ('vmhost', 'demo')}
# the network layer: bytes, messages and queues; it learns of the rest
# through the callbacks its owner hands it
net_may_use = ('server/net/', 'protocol/', 'common/')

defs, uses = {}, collections.defaultdict(set)
for root, _, files in os.walk(objdir):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), objdir)
        if not f.endswith('.o') or rel.split('/')[0] not in rank:
            continue
        rel = rel[:-2]
        # an object left from a file that is gone (a build before a move)
        if not any(os.path.exists(rel + ext) for ext in ('.c', '.S')):
            continue
        for line in subprocess.run(['nm', os.path.join(root, f)], capture_output=True,
                                   text=True, check=True).stdout.splitlines():
            p = line.split()
            if len(p) == 2 and p[0] == 'U':
                uses[rel].add(p[1])
            elif len(p) == 3 and p[1] in 'TDBRCV' and not p[2].startswith('__'):
                defs[p[2]] = rel
edges = collections.defaultdict(dict)   # a -> b -> a symbol a uses from b
for a, syms in uses.items():
    for s in sorted(syms):
        b = defs.get(s)
        if b and b != a:
            edges[a].setdefault(b, s)

allowed = set()
for line in open(notes):
    m = re.match(r'\s*[-*] `([\w/.-]+)` <-> `([\w/.-]+)`:\s*\S', line)
    if m:
        allowed.add(frozenset((m.group(1), m.group(2))))

files = sorted(set(uses) | set(defs.values()))
print('files', len(files), 'edges', sum(len(v) for v in edges.values()))
for a in sorted(edges):
    for b, sym in sorted(edges[a].items()):
        ta, tb = layer(a), layer(b)
        if rank[tb] > rank[ta] or (ta, tb) in apart:
            print(f'UP {a} -> {b} ({sym})')
        if a.startswith('server/net/') and not b.startswith(net_may_use):
            print(f'NET {a} -> {b} ({sym})')
        if ta == 'qemu' and tb == 'server' and not sym.startswith('floe_'):
            print(f'UP {a} -> {b} ({sym}: the library uses the server through its interface only)')
        if a < b and a in edges.get(b, {}):
            pair = frozenset((a, b))
            if os.path.dirname(a) != os.path.dirname(b):
                print(f'BOTHWAYS {a} <-> {b} ({sym} / {edges[b][a]})')
            elif pair not in allowed:
                print(f'UNNOTED {a} <-> {b} ({sym} / {edges[b][a]})')
            else:
                print(f'noted {a} <-> {b}')
EOF
cat "$T/report"
n=$(grep -c . "$T/report")
[ "$n" -ge 1 ] && grep -q '^files [1-9]' "$T/report" && pass "dependencies read from $(sed -n 's/^files //p' "$T/report")" ||
    fail "no objects found under $OBJ"
for kind in UP NET BOTHWAYS UNNOTED; do
    k=$(grep -c "^$kind " "$T/report" || true)
    case $kind in
        UP) what="a file uses a higher layer (or server and client meet)" ;;
        NET) what="server/net uses something above the network layer" ;;
        BOTHWAYS) what="files in different folders depend on each other both ways" ;;
        UNNOTED) what="files of one folder depend on each other both ways without a note in docs/ARCHITECTURE.md" ;;
    esac
    [ "$k" = 0 ] && pass "none where $what" || fail "$k where $what"
done
finish
