#!/usr/bin/env bash
# The reference client with two monitors: remote-viewer (spice-gtk) under
# Xvfb opens one window per DISPLAY channel of floe-server --monitors 2, and
# the picture in each window equals that monitor's server snapshot pixel
# for pixel (the window shows the surface 1:1 inside its frame).
. "$(dirname "$0")/../lib.sh"

W=800; H=600
start_server --disable-ticketing --monitors 2 --size ${W}x${H}
start_xvfb 1900x1000
remote-viewer "spice://127.0.0.1:$PORT" >"$T/rv.log" 2>&1 &
PIDS+=($!)

if wait_for 60 ctl_has clients 'display display:1 inputs cursor'; then
    pass "remote-viewer linked both display channels"
else
    fail "remote-viewer did not link both display channels"; ctl clients || true; cat "$T/rv.log"
fi
# remote-viewer gives its first window to whichever display channel shows a
# picture first and may hand it to the other one a moment later, so a window
# is known by its title ("... (1)", "... (2)") only once both are up and the
# two titles have stayed on the same two windows for a second.
windows_now() { # -> "id1 id2" of the visible windows titled (1) and (2)
    local a b
    a=$(xdotool search --onlyvisible --name '\(1\)$' 2>/dev/null | head -1)
    b=$(xdotool search --onlyvisible --name '\(2\)$' 2>/dev/null | head -1)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && echo "$a $b"
}
windows_settled() {
    local before after
    before=$(windows_now) || return 1
    sleep 1
    after=$(windows_now) || return 1
    [ "$before" = "$after" ] && echo "$after" >"$T/wins"
}
wins=()
if wait_for 40 windows_settled; then
    read -r -a wins <"$T/wins"
    for k in 1 2; do
        pass "remote-viewer opened window $k: $(xdotool getwindowname "${wins[$((k - 1))]}")"
    done
else
    fail "remote-viewer did not open two windows titled (1) and (2): $(xdotool search --onlyvisible --name 'floe' getwindowname %@ 2>/dev/null | tr '\n' ',')"
fi
n=$(xdotool search --onlyvisible --name '\([0-9]\)$' | wc -l)
[ "$n" = 2 ] && pass "exactly two display windows" || fail "$n display windows"
# side by side, so neither hides the other
[ -n "${wins[0]:-}" ] && xdotool windowmove "${wins[0]}" 0 0
[ -n "${wins[1]:-}" ] && xdotool windowmove "${wins[1]}" 1000 0
sleep 2
ctl freeze >/dev/null

# The display widget is the window less its frame: equal borders left, right
# and below, the header above. Tried at that place, then a few pixels round it.
match_window() { # window-id snapshot -> prints the fewest differing pixels
    local id=$1 snap=$2 ww wh bx by best=-1 d
    # on a busy machine the move above may not have happened yet: the
    # window on top is the one the picture is taken of
    xdotool windowraise "$id" 2>/dev/null || true
    sleep 0.5
    import -window "$id" "$T/w.png"
    read -r ww wh < <(identify -format '%w %h\n' "$T/w.png")
    bx=$(((ww - W) / 2)); by=$((wh - H - bx))
    for dy in 0 -1 1 -2 2 -3 3; do
        for dx in 0 -1 1 -2 2; do
            [ $((bx + dx)) -ge 0 ] && [ $((by + dy)) -ge 0 ] || continue
            convert "$T/w.png" -crop ${W}x${H}+$((bx + dx))+$((by + dy)) +repage "$T/c.png"
            d=$(pixel_diff "$T/c.png" "$snap")
            { [ "$best" = -1 ] || [ "$d" -lt "$best" ]; } && best=$d
            [ "$d" = 0 ] && { cp "$T/c.png" "$T/match.png"; echo 0; return; }
        done
    done
    echo "$best"
}
for k in 0 1; do
    id=${wins[$k]:-}
    [ -n "$id" ] || continue
    best=-1
    for i in 1 2 3 4 5; do
        # the window that carries this title now, should it have moved on
        id=$(xdotool search --onlyvisible --name "\\($((k + 1))\\)\$" 2>/dev/null | head -1)
        [ -n "$id" ] || id=${wins[$k]}
        ctl "snapshot $T/server-$k.png $k" >/dev/null
        best=$(match_window "$id" "$T/server-$k.png")
        [ "$best" = 0 ] && break
        sleep 1
    done
    if [ "$best" = 0 ]; then
        pass "window $((k + 1)) shows monitor $k pixel for pixel (0 of $((W * H)) differ)"
        cp "$T/match.png" "$T/rv-$k.png"
    else
        fail "window $((k + 1)) differs from monitor $k's snapshot in $best pixels"
        mkdir -p build/test-artifacts && cp "$T/w.png" "build/test-artifacts/rv-monitor-$k.png" || true
    fi
done
if [ -f "$T/rv-0.png" ] && [ -f "$T/rv-1.png" ]; then
    d=$(pixel_diff "$T/rv-0.png" "$T/rv-1.png")
    [ "$d" -gt 100000 ] && pass "the two windows show different pictures ($d pixels differ)" ||
        fail "the two windows differ in only $d pixels"
fi
ctl thaw >/dev/null
stop_server
finish
