#!/usr/bin/env bash
# floe's libspice-server.so.1 against Debian's, fed the same QXL commands by
# qxl_host (QEMU's side of the QXL interface, loading either library):
# for each scenario the primary surface's memory after update_area, the
# reference client's pictures (spicy-screenshot; remote-viewer while the
# commands arrive) and floe-viewer's equal the picture qxl_host computes by
# itself, for both libraries. Scenarios: scroll (a console scrolling by
# copy-bits, bottom-up primary), mixed (fills, 32-bit and 8-bit bitmaps in
# every layout, clips, BLACKNESS/WHITENESS/INVERS, copy-bits, an
# off-screen surface, the cursor) and bad (crafted bad commands among good
# ones: floe's library logs one line per bad command, drops it and goes on;
# a drawable whose bbox reaches past its surface is dropped whole, as the
# reference's validate_drawable_bbox does). The reference aborts on an
# address with a bad memslot id or generation (spice_critical) and
# dereferences NULL on a clip whose chunk chain loops, so it is sent only
# the bad commands it survives.
#
# The ops scenario (one draw operation kind per 128x96 tile: every QXL
# drawable type with its rop descriptors, brushes, masks, scaling, glyphs,
# paths and operators) has no picture of qxl_host's own: Debian's library
# is the reference. Its surface, spicy-screenshot's picture and
# remote-viewer's (the reference's client drawing the reference server's
# draw messages) must agree tile by tile, which validates the scenario;
# then floe's library's surface and floe-viewer's picture of the
# reference's messages must equal the reference's surface, tile by tile,
# for the ops floe renders (the two lists below); every other op is named
# as not compared. Last floe's library is watched by floe-viewer and by
# remote-viewer while the commands arrive: it sends the ops as draw
# messages (a capture counts them by type), plain copies and a few others
# as pixels, and each viewer's picture must equal floe's surface, tile by
# tile.
#
# The video scenario (a still desktop, a 320x240 area redrawn 25 times a
# second for 3 s as a video player's frames come, its last frame left
# still) goes to both libraries with video streams on: a capture of the
# display channel must show each streaming it to remote-viewer and to
# floe-viewer (STREAM_CREATE, STREAM_DATA, a DRAW_COPY of the area, then
# STREAM_DESTROY), floe-viewer must have drawn the frames (each at its
# stamp) and answered the reference's STREAM_ACTIVATE_REPORT with
# STREAM_REPORTs, and once the
# picture stood still both viewers' pictures must equal that library's
# surface. remote-viewer playing floe's streams shows that the reference's
# client takes them.
# Environment: BIN, TESTBIN (default build/bin, build/tests); SCENARIOS
# (default "scroll mixed bad ops video").
. "$(dirname "$0")/../lib.sh"

# The ops floe renders today, by tile name (qxl_host --list-ops): on the
# server (floe's library, into the surface) and in floe-viewer (from the
# reference server's draw messages). Grown as floe learns the rest.
FLOE_SERVER_OPS="fill_put fill_xor fill_and fill_or fill_put_invb fill_or_invd fill_and_invr
    fill_or_invb_invr fill_invers fill_pat8 fill_pat_npot fill_pat_xor fill_mask
    fill_mask_inv fill_clip copy_xor copy_and_invs copy_or_invd copy_put_invs copy_mask
    copy_mask_inv copy_up_nearest copy_up_interp copy_down_nearest copy_down_interp
    copy_1bit copy_argb opaque_xor opaque_and_pat opaque_or_invs blend_and blend_or_invs
    blend_xor_invd blackness_mask whiteness_mask_inv invers_mask transparent_32
    transparent_8 alpha_80 alpha_ff alpha_80_srca alpha_ff_srca alpha_scaled rop3_96
    rop3_b8 rop3_e2 rop3_ca rop3_1e rop3_96_mask rop3_b8_solid_mask text_a1 text_a1_back
    text_a4_back text_a1_xor comp_over comp_src comp_add comp_mask
    comp_transform stroke_put stroke_xor stroke_curve stroke_dash surf_565 surf_555 surf_a8"
FLOE_VIEWER_OPS=$FLOE_SERVER_OPS
# Ops where the reference's own client and server disagree: their tiles are
# left out of the comparison of the two (one line says so).
REF_CLIENT_DIFFERS=""
SCENARIOS=${SCENARIOS:-scroll mixed bad ops video}
. "$(dirname "$0")/../qxl-host-lib.sh"
COOKIE=24301   # qxl_host's update_area cookie
for f in "$HOST" "$VIEWER" "$FLOE_LIB"; do
    [ -e "$f" ] || { fail "$f is not built"; finish; }
done
for tool in compare import spicy-screenshot remote-viewer Xvfb openbox; do
    command -v $tool >/dev/null || { fail "$tool is missing (make deps installs it)"; finish; }
done

same() { # NAME WHAT A B: A and B are the same picture
    local d
    d=$(pixel_diff "$3" "$4")
    if [ "$d" = 0 ]; then pass "$1: $2 (0 differing pixels)"
    else fail "$1: $2: $d pixels differ"; fi
}

# Once the scenario was fed: the library's update_area answered
# (update_area_complete, then the cookie), its surface holds the picture
# (EXPECT; not checked when empty).
check_update() {
    local name=$1 expect=$2 u a
    if ! wait_for 60 grep -q '^ready' "$T/$name.out"; then
        fail "$name: the final update_area never completed"; tail -n 20 "$T/$name.err"; return 1
    fi
    u=$(grep -n '^update_area_complete surface=0' "$T/$name.out" | head -n 1 | cut -d: -f1)
    a=$(grep -n "^async_complete cookie=$COOKIE" "$T/$name.out" | head -n 1 | cut -d: -f1)
    if [ -n "$u" ] && [ -n "$a" ] && [ "$u" -lt "$a" ]; then
        pass "$name: update_area_async: update_area_complete, then async_complete"
    else
        fail "$name: update_area_async: update_area_complete line $u, async_complete line $a"
    fi
    [ -n "$expect" ] && [ -f "$T/$name.surface.ppm" ] &&
        same "$name" "surface memory equals the expected picture" "$expect" "$T/$name.surface.ppm"
    return 0
}

viewer_shot() { # NAME PORT FILE.png: floe-viewer's picture once nothing changes
    timeout 90 "$VIEWER" --headless --duration 3 --settle 2 --snapshot "$3" \
        "spice://127.0.0.1:$2" >"$T/$1.viewer.out" 2>&1
}

# rv_shot NAME FILE.png EXPECT: remote-viewer's full-screen window, taken
# until it equals EXPECT (at most 20 s: the client may lag behind)
rv_shot() {
    local i
    remote-viewer --full-screen "spice://127.0.0.1:$HOST_PORT" >"$T/$1.rv.log" 2>&1 &
    local rv=$!
    PIDS+=("$rv")
    for i in $(seq 1 20); do
        sleep 1
        import -window root "$2" 2>/dev/null || continue
        [ "$(pixel_diff "$3" "$2")" = 0 ] && break
    done
    kill "$rv" 2>/dev/null || true
    wait "$rv" 2>/dev/null || true
}

# capture_start NAME: tshark on a free port into $T/NAME.pcapng; sets CAP
# to "PID PORT", or empty (with a skip line) when it cannot capture
capture_start() {
    local port ts
    CAP=
    if ! command -v tshark >/dev/null; then
        skip "$1: floe's messages" "tshark is missing (make deps installs it)"
        return
    fi
    port=$(free_port)
    tshark -i lo -B 64 -f "tcp port $port" -w "$T/$1.pcapng" >"$T/$1.tshark.log" 2>&1 &
    ts=$!; PIDS+=("$ts")
    if wait_for 20 grep -q "Capturing on" "$T/$1.tshark.log"; then
        sleep 2   # the capture is live a moment after tshark says so
        CAP="$ts $port"
    else
        skip "$1: floe's messages" "tshark does not capture on lo here"
        kill "$ts" 2>/dev/null || true
    fi
}

# offscreen_check "PID PORT": the mixed scenario's capture shows floe's
# library giving the client its off-screen surface 1 (SURFACE_CREATE, draws
# on it, a DRAW_COPY from it as a SURFACE image, SURFACE_DESTROY)
offscreen_check() {
    local ts=${1% *} port=${1#* } rows c on from d
    sleep 0.5
    kill -INT "$ts" 2>/dev/null || true
    wait "$ts" 2>/dev/null || true
    if [ "$HOST_PORT" != "$port" ]; then
        skip "mixed: floe's off-screen surface" "qxl_host could not take the captured port"
        return
    fi
    # one line per message: type, surface id, image type (SURFACE is 104)
    tshark -r "$T/mixed.pcapng" -d "tcp.port==$port,spice" -T fields -E occurrence=a \
        -e tcp.srcport -e spice.message_type -e spice.surface_id -e spice.image_type 2>/dev/null |
        awk -F'\t' -v p="$port" '$1 == p && $2 != "" { print $2 "\t" $3 "\t" $4 }' >"$T/mixed.msgs"
    rows=$(awk -F'\t' '
        $1 ~ /(^|,)314(,|$)/ && $2 ~ /(^|,)1(,|$)/ { c++ }
        $1 ~ /(^|,)315(,|$)/ && $2 ~ /(^|,)1(,|$)/ { d++ }
        $1 ~ /(^|,)(302|304|316)(,|$)/ && $2 ~ /(^|,)1(,|$)/ { on++ }
        $1 ~ /(^|,)304(,|$)/ && $3 ~ /(^|,)104(,|$)/ { from++ }
        END { printf "%d %d %d %d", c, on, from, d }' "$T/mixed.msgs")
    read -r c on from d <<<"$rows"
    if grep -q 'the server renders for it' "$T/floe-mixed-live.err" 2>/dev/null; then
        # a busy machine made floe-viewer report rendering most of its
        # time: from then on it has no off-screen surfaces (destroyed) and
        # what reads them reaches it as pixels; its picture is checked above
        if [ "$c" -ge 1 ] && [ "$d" -ge 1 ]; then
            pass "mixed: floe's library gave floe-viewer its off-screen surface (SURFACE_CREATE $c, SURFACE_DESTROY $d) until it rendered for it: $(grep -m 1 'the server renders for it' "$T/floe-mixed-live.err" | sed 's/^.*display/display/')"
        else
            fail "mixed: floe's library did not give floe-viewer its off-screen surface: SURFACE_CREATE $c, SURFACE_DESTROY $d"
        fi
    elif [ "$c" -ge 1 ] && [ "$on" -ge 2 ] && [ "$from" -ge 2 ] && [ "$d" -ge 1 ]; then
        pass "mixed: floe's library gave floe-viewer its off-screen surface (SURFACE_CREATE $c, draws on it $on, DRAW_COPYs from it $from, SURFACE_DESTROY $d)"
    else
        fail "mixed: floe's library did not give floe-viewer its off-screen surface: SURFACE_CREATE $c," \
            "draws on it $on, DRAW_COPYs from it $from (2 wanted), SURFACE_DESTROY $d"
    fi
}

# half LABEL LIB BAD-LIST: every scenario on one library
half() {
    local lab=$1 lib=$2 bad=$3 scen opts name n want cap
    for scen in $SCENARIOS; do
        [ "$scen" = ops ] || [ "$scen" = video ] && continue
        opts=(--expect "$T/$scen.expect.ppm")
        [ "$scen" = scroll ] && opts+=(--negative-stride)
        [ "$scen" = bad ] && opts+=(--bad "$bad")

        # fed before any client connects
        name=$lab-$scen
        start_host "$name" "$lib" "$scen" "${opts[@]}" --surface "$T/$name.surface.ppm" || continue
        if check_update "$name" "$T/$scen.expect.ppm"; then
            if timeout 60 spicy-screenshot -h 127.0.0.1 -p "$HOST_PORT" -o "$T/$name.spicy.ppm" \
                >"$T/$name.spicy.log" 2>&1; then
                same "$name" "spicy-screenshot's picture equals the expected picture" \
                    "$T/$scen.expect.ppm" "$T/$name.spicy.ppm"
            else
                fail "$name: spicy-screenshot failed: $(tail -n 1 "$T/$name.spicy.log")"
            fi
            if viewer_shot "$name" "$HOST_PORT" "$T/$name.viewer.png"; then
                same "$name" "floe-viewer's picture equals the expected picture" \
                    "$T/$scen.expect.ppm" "$T/$name.viewer.png"
            else
                fail "$name: floe-viewer failed: $(tail -n 2 "$T/$name.viewer.out")"
            fi
        fi
        if [ "$scen" = bad ]; then
            want=$(grep -c '^bad command' "$T/$name.out" || true)
            if [ "$lab" = floe ]; then
                n=$(grep -c 'dropped' "$T/$name.err" || true)
                if [ "$n" = "$want" ]; then pass "$name: one line logged per bad command ($n)"
                else fail "$name: $n lines logged for $want bad commands"; fi
            fi
            if kill -0 "$HOST_PID" 2>/dev/null; then pass "$name: survived $want bad commands"
            else fail "$name: died after the bad commands"; fi
        fi
        stop_host "$name"
        [ "$scen" = bad ] && continue

        # fed while floe-viewer watches: the library's live stream (floe's
        # mixed one captured: its off-screen surface goes to the client)
        name=$lab-$scen-live
        CAP=
        [ "$lab/$scen" = floe/mixed ] && capture_start mixed
        cap=$CAP
        WANT_PORT=${cap#* } start_host "$name" "$lib" "$scen" "${opts[@]}" --wait-client || continue
        if viewer_shot "$name" "$HOST_PORT" "$T/$name.viewer.png"; then
            if [ "$(pixel_diff "$T/$scen.expect.ppm" "$T/$name.viewer.png")" = 0 ]; then
                pass "$name: floe-viewer's picture equals the expected picture"
            else
                fail "$name: floe-viewer's picture differs from the expected picture:" \
                    "$(pixel_diff "$T/$scen.expect.ppm" "$T/$name.viewer.png") pixels" \
                    "$(grep -h 'warning' "$T/$name.viewer.out" | head -n 3)"
            fi
        else
            fail "$name: floe-viewer failed: $(tail -n 2 "$T/$name.viewer.out")"
        fi
        check_update "$name" "$T/$scen.expect.ppm" || true
        stop_host "$name"
        [ -n "$cap" ] && offscreen_check "$cap"

        # and while the reference client watches
        name=$lab-$scen-rv
        start_host "$name" "$lib" "$scen" "${opts[@]}" --wait-client || continue
        rv_shot "$name" "$T/$name.png" "$T/$scen.expect.ppm"
        same "$name" "remote-viewer's window equals the expected picture" \
            "$T/$scen.expect.ppm" "$T/$name.png"
        check_update "$name" "$T/$scen.expect.ppm" || true
        stop_host "$name"
    done
}

# ---- the ops scenario ----

# tile_diffs A B: for each op of the tile table, "NAME N": the pixels of its
# tile that differ between pictures A and B (one ImageMagick run)
tile_diffs() {
    local crops=() name x y w h
    while read -r name x y w h; do
        crops+=('(' mpr:d -crop "${w}x${h}+${x}+${y}" +repage ')')
    done <"$T/ops.table"
    convert "$1" "$2" -compose difference -composite -separate -evaluate-sequence max \
        -threshold 0 -write mpr:d +delete "${crops[@]}" -format '%[fx:int(mean*w*h+0.5)]\n' info: |
        paste -d' ' <(cut -d' ' -f1 "$T/ops.table") -
}

listed() { [[ " $2 " == *" $1 "* ]]; }   # NAME LIST: NAME is in the list (one space apart)

# ops_compare WHAT A B [ONLY [LEFT-OUT]]: a PASS or FAIL line per op, its
# tile of picture A against B's. Ops not in ONLY (a list, or all) are named
# as not rendered by floe yet; ops in LEFT-OUT as ones where the reference's
# client and server disagree. Neither counts.
ops_compare() {
    local what=$1 a=$2 b=$3 only name n diffs out
    only=$(echo ${4:-all}) out=$(echo ${5:-})
    diffs=$( ([ -s "$a" ] && [ -s "$b" ] && tile_diffs "$a" "$b") 2>/dev/null || true)
    [ "$(printf '%s' "$diffs" | grep -c .)" = "$(grep -c . "$T/ops.table")" ] ||
        diffs=$(cut -d' ' -f1 "$T/ops.table" | sed 's/$/ none/')
    while read -r name n; do
        if [ "$only" != all ] && [ "$name" = text_a8_pat ]; then
            echo "ops: $name: not compared: the reference reads each A8 glyph's rows one off (its first row from past the glyph's data); floe reads them as stored"
        elif [ "$only" != all ] && ! listed "$name" "$only"; then
            echo "ops: $name: floe does not render it yet (not compared)"
        elif listed "$name" "$out"; then
            echo "ops: $name: $what: the reference's client and server disagree" \
                "(not compared; $n pixels differ)"
        elif [ "$n" = none ]; then
            fail "ops: $name: $what: no picture to compare"
        elif [ "$n" = 0 ]; then
            pass "ops: $name: $what"
        else
            fail "ops: $name: $what: $n pixels differ"
        fi
    done <<<"$diffs"
}

# ops_rv_shot NAME FILE.png REF: remote-viewer's window while the commands
# arrive, taken until every tile compared equals REF's (at most 20 s)
ops_rv_shot() {
    local i out
    out=$(echo $REF_CLIENT_DIFFERS)
    remote-viewer --full-screen "spice://127.0.0.1:$HOST_PORT" >"$T/$1.rv.log" 2>&1 &
    local rv=$!
    PIDS+=("$rv")
    for i in $(seq 1 20); do
        sleep 1
        import -window root "$2" 2>/dev/null || continue
        tile_diffs "$3" "$2" | while read -r name n; do
            [ "$n" = 0 ] || listed "$name" "$out" || echo "$name"
        done | grep -q . || break
    done
    kill "$rv" 2>/dev/null || true
    wait "$rv" 2>/dev/null || true
}

# ops_ready NAME: qxl_host's update_area came back (its surface was written)
ops_ready() {
    wait_for 60 grep -q '^ready' "$T/$1.out" && return
    fail "$1: the final update_area never completed: $(tail -n 1 "$T/$1.err")"
    return 1
}

ops_all() {
    local ref=$T/ref-ops.surface.ppm
    if ! "$HOST" --list-ops >"$T/ops.table" || [ ! -s "$T/ops.table" ]; then
        fail "ops: qxl_host --list-ops gave no table"; return
    fi
    # the reference's surface, then the reference's clients: spicy-screenshot
    # (fed before it came: the server sends its surface), remote-viewer
    # (fed while it watches: every draw message)
    if start_host ref-ops "$REF_LIB" ops --surface "$ref"; then
        if ops_ready ref-ops; then
            timeout 60 spicy-screenshot -h 127.0.0.1 -p "$HOST_PORT" -o "$T/ref-ops.spicy.ppm" \
                >"$T/ref-ops.spicy.log" 2>&1 ||
                fail "ref-ops: spicy-screenshot failed: $(tail -n 1 "$T/ref-ops.spicy.log")"
        fi
        stop_host ref-ops
    fi
    [ -s "$ref" ] || { fail "ops: no surface from the reference: nothing to compare"; return; }
    if start_host ref-ops-rv "$REF_LIB" ops --wait-client --surface "$T/ref-ops-rv.surface.ppm"; then
        ops_rv_shot ref-ops-rv "$T/ref-ops-rv.png" "$ref"
        ops_ready ref-ops-rv && same ref-ops-rv "the surface fed live equals the one fed at once" \
            "$ref" "$T/ref-ops-rv.surface.ppm"
        stop_host ref-ops-rv
    fi
    ops_compare "the reference's spicy-screenshot equals its surface" "$ref" "$T/ref-ops.spicy.ppm"
    ops_compare "the reference's remote-viewer equals its surface" "$ref" "$T/ref-ops-rv.png" all \
        "$REF_CLIENT_DIFFERS"

    # floe-viewer drawing the reference's draw messages
    if start_host ref-ops-live "$REF_LIB" ops --wait-client; then
        viewer_shot ref-ops-live "$HOST_PORT" "$T/ref-ops-live.viewer.png" ||
            fail "ref-ops-live: floe-viewer failed: $(tail -n 2 "$T/ref-ops-live.viewer.out")"
        stop_host ref-ops-live
    fi
    ops_compare "floe-viewer (the reference's messages) equals the reference's surface" \
        "$ref" "$T/ref-ops-live.viewer.png" "$FLOE_VIEWER_OPS"

    # floe's library
    if start_host floe-ops "$FLOE_LIB" ops --surface "$T/floe-ops.surface.ppm"; then
        ops_ready floe-ops || true
        stop_host floe-ops
    fi
    ops_compare "floe's surface equals the reference's" "$ref" "$T/floe-ops.surface.ppm" \
        "$FLOE_SERVER_OPS"
    ops_floe_live
}

# floe's library sends the guest's draws on the primary as draw messages
# for the client to render (their images LZ-compressed), but plain copies,
# which go as pictures (only what differs from the screen), draws that read
# an off-screen surface and text of A8 glyphs (which the reference client
# misreads), which go as the pixels they changed. Each viewer watching the
# commands arrive must end with floe's surface, tile by tile, and a
# capture must show the draw messages: at least as many of each type as
# the scenario has tiles that go as one.
# DRAW_FILL OPAQUE BLEND BLACKNESS WHITENESS INVERS ROP3 STROKE TEXT TRANSPARENT ALPHA_BLEND COMPOSITE
OFFLOAD_MIN="302:8 303:3 305:3 306:1 307:1 308:1 309:7 310:4 311:4 312:2 313:5 318:5"
ops_floe_live() {
    local surf=$T/floe-ops-live.surface.ppm ts= port type n got
    if command -v tshark >/dev/null; then
        port=$(free_port)
        tshark -i lo -B 64 -f "tcp port $port" -w "$T/ops.pcapng" >"$T/ops.tshark.log" 2>&1 &
        ts=$!; PIDS+=("$ts")
        if wait_for 20 grep -q "Capturing on" "$T/ops.tshark.log"; then
            sleep 2   # the capture is live a moment after tshark says so
        else
            skip "ops: floe's draw messages" "tshark does not capture on lo here"
            kill "$ts" 2>/dev/null || true; ts=
        fi
    else
        skip "ops: floe's draw messages" "tshark is missing (make deps installs it)"
    fi
    if WANT_PORT=${port:-} start_host floe-ops-live "$FLOE_LIB" ops --wait-client --surface "$surf"; then
        viewer_shot floe-ops-live "$HOST_PORT" "$T/floe-ops-live.viewer.png" ||
            fail "floe-ops-live: floe-viewer failed: $(tail -n 2 "$T/floe-ops-live.viewer.out")"
        ops_ready floe-ops-live || true
        stop_host floe-ops-live
    fi
    if [ -n "$ts" ]; then
        sleep 0.5
        kill -INT "$ts" 2>/dev/null || true
        wait "$ts" 2>/dev/null || true
        if [ "$HOST_PORT" = "$port" ]; then
            spice_messages "$port" "$T/ops.pcapng" | sort | uniq -c >"$T/ops.types"
            echo "ops: floe's library's display messages (count type): $(tr -s ' \n' ' ' <"$T/ops.types")"
            for want in $OFFLOAD_MIN; do
                type=${want%%:*} n=${want#*:}
                got=$(awk -v t="$type" '$2 == t { print $1 }' "$T/ops.types")
                if [ "${got:-0}" -ge "$n" ]; then
                    pass "ops: floe's library sent draw messages of type $type ($got, at least $n wanted)"
                else
                    fail "ops: floe's library sent ${got:-no} draw messages of type $type (at least $n wanted)"
                fi
            done
        else
            skip "ops: floe's draw messages" "qxl_host could not take the captured port"
        fi
    fi
    ops_compare "floe-viewer (floe's messages) equals floe's surface" "$surf" \
        "$T/floe-ops-live.viewer.png"
    if start_host floe-ops-rv "$FLOE_LIB" ops --wait-client --surface "$T/floe-ops-rv.surface.ppm"; then
        ops_rv_shot floe-ops-rv "$T/floe-ops-rv.png" "$surf"
        ops_ready floe-ops-rv || true
        stop_host floe-ops-rv
    fi
    ops_compare "remote-viewer (floe's messages) equals floe's surface" "$surf" "$T/floe-ops-rv.png"
}

# ---- the video scenario (Debian's library only) ----

VIDEO_AREA=320x240+200+150   # where qxl_host's video plays (tests/e2e/qxl_host/video.c)
STREAM_DATA_MIN=30           # of the 55 frames from the one that starts the stream (the 21st)

video_crop() { convert "$1" -crop "$VIDEO_AREA" +repage "$2"; }   # FILE OUT

# spice_messages PORT [CAPTURE]: the type of every message the server on
# PORT sent, one a line, as the dissector reads the capture (default the
# video scenario's)
spice_messages() {
    tshark -r "${2:-$T/video.pcapng}" -d "tcp.port==$1,spice" -T fields -E occurrence=a \
        -e tcp.srcport -e spice.message_type 2>/dev/null |
        awk -F'\t' -v p="$1" '$1 == p && $2 != "" { print $2 }' | tr ',' '\n'
}

# stream_counts PORT: "CREATE DATA DESTROY ENDING", the display messages the
# server on PORT sent; ENDING is "redrawn" when a DRAW_COPY came after the
# last STREAM_DATA and before the STREAM_DESTROY that followed it, else "none"
stream_counts() {
    spice_messages "$1" |
        awk '{ t[NR] = $1; n[$1]++ } $1 == 123 { last = NR }
             END { end = "none"; up = 0
                   for (i = last + 1; last && i <= NR; i++) {
                       if (t[i] == 304) up = 1
                       if (t[i] == 125) { end = up ? "redrawn" : "none"; break }
                   }
                   print n[122] + 0, n[123] + 0, n[125] + 0, end }'
}

# stream_reports PORT: "ACTIVATE REPORTS", the STREAM_ACTIVATE_REPORTs the
# server on PORT sent and the STREAM_REPORTs (client message 102) its client
# sent back on the same display connection
stream_reports() {
    tshark -r "$T/video.pcapng" -d "tcp.port==$1,spice" -T fields -E occurrence=a \
        -e tcp.stream -e tcp.srcport -e tcp.dstport -e spice.message_type 2>/dev/null |
        awk -F'\t' -v p="$1" '$4 != "" {
            n = split($4, ty, ",")
            for (i = 1; i <= n; i++) {
                if ($2 == p && ty[i] == 319) { act++; disp[$1] = 1 }
                if ($3 == p && ty[i] == 102) rep[$1]++ } }
            END { for (s in disp) r += rep[s]; print act + 0, r + 0 }'
}

# The library under test, in messages: "the reference" or "floe's library".
VIDEO_LIB="the reference"

# streamed WHO PORT: the capture shows the library streaming the video to
# the client on PORT, and ending the stream with a redraw of its area
streamed() {
    local c d x end
    read -r c d x end <<<"$(stream_counts "$2")"
    if [ "$c" -ge 1 ] && [ "$d" -ge "$STREAM_DATA_MIN" ] && [ "$x" -ge 1 ]; then
        pass "video: $VIDEO_LIB streamed the video to $1 (STREAM_CREATE $c, STREAM_DATA $d, STREAM_DESTROY $x)"
    else
        fail "video: $VIDEO_LIB did not stream the video to $1 as it should: STREAM_CREATE $c," \
            "STREAM_DATA $d (at least $STREAM_DATA_MIN wanted), STREAM_DESTROY $x"
    fi
    STREAM_DATA=$d STREAM_END=$end
    if [ "$end" = redrawn ]; then
        pass "video: $VIDEO_LIB redrew the stream's area for $1 (DRAW_COPY) before STREAM_DESTROY"
    else
        fail "video: $VIDEO_LIB sent $1 no DRAW_COPY between the last STREAM_DATA and STREAM_DESTROY"
    fi
}

# video_bytes PORT: "COPY DATA", the average size of the last 10 DRAW_COPYs
# the server on PORT sent before STREAM_CREATE (the video's frames before
# the stream) and of its STREAM_DATAs (the dissector's message sizes)
video_bytes() {
    tshark -r "$T/video.pcapng" -d "tcp.port==$1,spice" -T fields -E occurrence=a \
        -e tcp.srcport -e spice.message_type -e spice.message_size 2>/dev/null |
        awk -F'\t' -v p="$1" '$1 == p && $2 != "" {
            nt = split($2, ty, ","); split($3, sz, ",")
            for (i = 1; i <= nt; i++) {
                if (ty[i] == 122) started = 1
                if (ty[i] == 304 && !started) c[nc++] = sz[i]
                if (ty[i] == 123) { nd++; d += sz[i] } } }
            END { for (i = nc > 10 ? nc - 10 : 0; i < nc; i++) { k++; b += c[i] }
                  print k ? int(b / k) : 0, nd ? int(d / nd) : 0 }'
}

# video_area_same WHO SURFACE PICTURE: the picture equals the surface in
# the video area, pixel for pixel. The bound is exact because the
# reference ends a stream losslessly: a second after its last frame it
# empties the stream's clip (the client stops showing frames), sends the
# last frame's area again as an ordinary DRAW_COPY of the frame's bitmap
# (never lossy: uncompressed here), then STREAM_DESTROY. The lossy MJPEG
# frames therefore never stay on the screen of a client that follows the
# protocol.
video_area_same() {
    local d psnr
    video_crop "$2" "$T/video.want.png" && video_crop "$3" "$T/video.got.png" || {
        fail "video: $1: no picture to compare"; return; }
    d=$(pixel_diff "$T/video.want.png" "$T/video.got.png")
    psnr=$(compare -metric PSNR "$T/video.want.png" "$T/video.got.png" null: 2>&1 || true)
    if [ "$d" = 0 ]; then
        pass "video: $1 equals $VIDEO_LIB's surface in the video area once the video ended (0 differing pixels, PSNR: $psnr)"
    else
        fail "video: $1 differs from $VIDEO_LIB's surface in the video area: $d pixels (PSNR: $psnr)"
    fi
}

# remote-viewer watches the video on PORT's qxl_host (started), until it
# stood still; its window once the video area is the surface's (at most 10 s)
video_rv() {
    local name=$1 rv i
    remote-viewer --full-screen "spice://127.0.0.1:$HOST_PORT" >"$T/$name.rv.log" 2>&1 &
    rv=$!; PIDS+=("$rv")
    if check_update "$name" "$T/video.expect.ppm"; then
        video_crop "$T/$name.surface.ppm" "$T/$name.want.png"
        for i in $(seq 1 10); do
            if import -window root "$T/$name.png" 2>/dev/null && video_crop "$T/$name.png" "$T/$name.got.png" &&
                [ "$(pixel_diff "$T/$name.want.png" "$T/$name.got.png")" = 0 ]; then
                break
            fi
            sleep 1
        done
        video_area_same "remote-viewer's window" "$T/$name.surface.ppm" "$T/$name.png"
        same "$name" "remote-viewer's whole window equals $VIDEO_LIB's surface" \
            "$T/$name.surface.ppm" "$T/$name.png"
    fi
    kill "$rv" 2>/dev/null || true
    wait "$rv" 2>/dev/null || true
}

# floe-viewer watches the video on qxl_host (started) until it stood still
video_viewer() {
    local name=$1 fv
    "$VIEWER" --headless --duration 90 --snapshot "$T/$name.viewer.png" \
        "spice://127.0.0.1:$HOST_PORT" >"$T/$name.viewer.out" 2>&1 &
    fv=$!; PIDS+=("$fv")
    check_update "$name" "" && sleep 1.5
    kill -TERM "$fv" 2>/dev/null || true
    if wait "$fv"; then pass "video: floe-viewer went through $VIDEO_LIB's video and wrote its picture"
    else fail "video: floe-viewer failed: $(tail -n 2 "$T/$name.viewer.out")"; fi
}

# video_lib LABEL LIB RV-PORT FV-PORT: the video on one library, watched by
# remote-viewer (its surface checked against qxl_host's own picture) and,
# in a session of its own (the reference serves one client), floe-viewer;
# sets RV_PORT and FV_PORT to the ports used
video_lib() {
    local lab=$1 lib=$2
    RV_PORT= FV_PORT=
    if WANT_PORT=$3 start_host "$lab-video-rv" "$lib" video --wait-client \
            --expect "$T/video.expect.ppm" --surface "$T/$lab-video-rv.surface.ppm"; then
        RV_PORT=$HOST_PORT
        video_rv "$lab-video-rv"
        stop_host "$lab-video-rv"
    fi
    if WANT_PORT=$4 start_host "$lab-video-live" "$lib" video --wait-client \
            --surface "$T/$lab-video-live.surface.ppm"; then
        FV_PORT=$HOST_PORT
        video_viewer "$lab-video-live"
        stop_host "$lab-video-live"
    fi
}

# video_check LABEL: what the capture and the pictures show of one library
video_check() {
    local lab=$1 rv_port=$2 fv_port=$3 n copy data act reps
    if [ -n "$rv_port" ]; then
        streamed remote-viewer "$rv_port"
        read -r copy data <<<"$(video_bytes "$rv_port")"
        echo "video: $VIDEO_LIB to remote-viewer: $STREAM_DATA frames of $data bytes" \
            "(STREAM_DATA) where a frame before the stream took $copy (DRAW_COPY, uncompressed)"
        read -r act reps <<<"$(stream_reports "$rv_port")"
        echo "video: the capture shows remote-viewer answering $act STREAM_ACTIVATE_REPORT(s)" \
            "with $reps STREAM_REPORTs"
    fi
    [ -n "$fv_port" ] || return 0
    streamed floe-viewer "$fv_port"
    # floe-viewer states SPICE_DISPLAY_CAP_STREAM_REPORT: asked, it reports.
    # Checked on the reference's capture: on floe's, the dissector loses
    # the client's side of the display connection at floe's own messages
    # (RENDER_REPORT, PONGs to the stream's PINGs); e2e/video.sh has floe's
    # server count them.
    read -r act reps <<<"$(stream_reports "$fv_port")"
    if [ "$lab" != ref ]; then
        echo "video: the capture shows floe-viewer sending $VIDEO_LIB $reps STREAM_REPORTs"
    elif [ "$act" -ge 1 ] && [ "$reps" -ge 1 ]; then
        pass "video: floe-viewer answered $VIDEO_LIB's STREAM_ACTIVATE_REPORT with $reps STREAM_REPORTs"
    else
        fail "video: floe-viewer sent $VIDEO_LIB $reps STREAM_REPORTs ($act STREAM_ACTIVATE_REPORT)"
    fi
    n=$(sed -n 's/.*\bstream_draws=\([0-9]*\).*/\1/p' "$T/$lab-video-live.viewer.out" | tail -n 1)
    if [ "${n:-0}" -ge 1 ] && [ $((2 * n)) -ge "$STREAM_DATA" ]; then
        pass "video: floe-viewer drew $n of $VIDEO_LIB's $STREAM_DATA stream frames"
    else
        fail "video: floe-viewer drew ${n:-no} of $VIDEO_LIB's $STREAM_DATA stream frames (half wanted):" \
            "$(tail -n 1 "$T/$lab-video-live.viewer.out")"
    fi
    video_area_same "floe-viewer's picture" "$T/$lab-video-live.surface.ppm" \
        "$T/$lab-video-live.viewer.png"
    same "$lab-video-live" "floe-viewer's whole picture equals $VIDEO_LIB's surface" \
        "$T/$lab-video-live.surface.ppm" "$T/$lab-video-live.viewer.png"
}

video_all() {
    local p=() i ts ref_rv= ref_fv= floe_rv= floe_fv= start=$SECONDS
    command -v tshark >/dev/null || { skip "video" "tshark is missing (make deps installs it)"; return; }
    for i in 0 1 2 3; do
        p[i]=$(free_port)
        while [[ " ${p[*]:0:i} " == *" ${p[i]} "* ]]; do p[i]=$(free_port); done
    done
    tshark -i lo -B 64 -f "tcp port ${p[0]} or tcp port ${p[1]} or tcp port ${p[2]} or tcp port ${p[3]}" \
        -w "$T/video.pcapng" >"$T/video.tshark.log" 2>&1 &
    ts=$!; PIDS+=("$ts")
    if ! wait_for 20 grep -q "Capturing on" "$T/video.tshark.log"; then
        skip "video" "tshark does not capture on lo here: $(tail -n 1 "$T/video.tshark.log")"
        kill "$ts" 2>/dev/null || true
        return
    fi
    sleep 2   # the capture is live a moment after tshark says so

    VIDEO_LIB="the reference"
    video_lib ref "$REF_LIB" "${p[0]}" "${p[1]}"
    ref_rv=$RV_PORT ref_fv=$FV_PORT
    VIDEO_LIB="floe's library"
    video_lib floe "$FLOE_LIB" "${p[2]}" "${p[3]}"
    floe_rv=$RV_PORT floe_fv=$FV_PORT
    sleep 0.5
    kill -INT "$ts" 2>/dev/null || true
    wait "$ts" 2>/dev/null || true

    VIDEO_LIB="the reference"
    video_check ref "$ref_rv" "$ref_fv"
    VIDEO_LIB="floe's library"
    video_check floe "$floe_rv" "$floe_fv"
    echo "video: $((SECONDS - start)) s"
}

# Each library's half, the ops and the video scenarios are parts of their
# own, side by side, each with its own X server; the halves leave their
# pictures here for the comparison of the two.
half_part() { # LABEL LIB BAD
    start_xvfb 1024x768
    half "$@"
    cp "$T/$1"-*.p[pn][mg] "$PART_OF/" 2>/dev/null || true
}
with_xvfb() { start_xvfb 1024x768; "$@"; }
with_xvfb_of() { start_xvfb "$1"; shift; "$@"; }
part floe-half half_part floe "$FLOE_LIB" slot,gen,range,stride,loop,clip,surface,bbox
if [ -f "$REF_LIB" ]; then
    part ref-half half_part ref "$REF_LIB" range,stride,loop,surface,bbox
    # (the ops' primary is taller: 9 rows of tiles)
    listed ops "$SCENARIOS" && part ops with_xvfb_of 1024x864 ops_all
    listed video "$SCENARIOS" && part video with_xvfb video_all
    parts_wait
    # the two libraries side by side, client by client
    for pic in scroll.spicy.ppm mixed.spicy.ppm bad.spicy.ppm scroll.viewer.png mixed.viewer.png \
               scroll-live.viewer.png mixed-live.viewer.png scroll-rv.png mixed-rv.png; do
        [ -f "$T/floe-$pic" ] && [ -f "$T/ref-$pic" ] || continue
        same "${pic%%.*}" "floe's library and the reference give the same picture (${pic#*.})" \
            "$T/floe-$pic" "$T/ref-$pic"
    done
else
    parts_wait
    skip "the reference library" "$REF_LIB is not installed"
fi
finish
