#!/usr/bin/env bash
# Builds the image corpus the codec round-trip test and the codec bench run
# on: photo-like wallpapers, real X11 programs, demo desktop frames, edge cases.
#
#   tests/corpus/build.sh [OUTDIR]     (default build/corpus)
#
# Idempotent: a finished corpus carries a stamp naming this script's version
# and is left alone. Everything is deterministic (fixed seeds, fixed text, a
# fixed clock for xclock) except the demo desktop frames, which depend on
# when they are taken. Every output is an 8-bit RGB PNG, or RGBA for the
# pictures named alpha-*. Pictures named edge-noise-* are white noise, which
# lossy codecs are not expected to carry well (see codec-roundtrip.sh).
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-build/corpus}
BIN=${BIN:-$PWD/build/bin}
STAMP_WANT="corpus $(sha1sum tests/corpus/build.sh | cut -c1-12)"
if [ -f "$OUT/STAMP" ] && [ "$(cat "$OUT/STAMP")" = "$STAMP_WANT" ]; then
    exit 0
fi
for tool in convert import Xvfb openbox faketime xclock xeyes xlogo xcalc xterm xdotool socat; do
    command -v "$tool" >/dev/null ||
        { echo "corpus: $tool is missing (run make deps)" >&2; exit 1; }
done
[ -x "$BIN/floe-server" ] || { echo "corpus: no $BIN/floe-server (run make)" >&2; exit 1; }

# lib.sh gives a private temp dir $T and kills what we start on exit.
. tests/lib.sh
NEW=$T/corpus
mkdir -p "$NEW"
start=$SECONDS
BG=/usr/share/backgrounds/gnome
DB=/usr/share/desktop-base

# photo <source> <name> <WxH>: scales to cover WxH and crops the centre.
photo() {
    convert "$1" -resize "$3^" -gravity center -extent "$3" -strip "PNG24:$NEW/photo-$2.png"
}
# crop <source> <name> <WxH+X+Y>: a 1:1 piece of the source, full detail.
crop() {
    convert "$1" -crop "$3" +repage -strip "PNG24:$NEW/photo-$2.png"
}

photos() {
    photo "$BG/wood-l.webp" wood-1920x1080 1920x1080 &
    photo "$BG/adwaita-l.webp" adwaita-1920x1080 1920x1080 &
    wait
    photo "$DB/softwaves-theme/grub/grub-16x9.png" softwaves-1920x1080 1920x1080 &
    photo "$BG/licorice-l.webp" licorice-1280x720 1280x720 &
    wait
    crop "$BG/grid-d.webp" grid-1024x768 1024x768+1536+1664 &
    crop "$BG/pixels-l.webp" pixels-800x600 800x600+1648+1748 &
    wait
    crop "$BG/truchet-d.webp" truchet-640x480 640x480+1728+1808 &
    photo "$DB/spacefun-theme/grub/grub-16x9.png" spacefun-640x480 640x480 &
    wait
    photo "$DB/lines-theme/login/sddm-preview.jpg" lines-900x506 900x506
    photo "$DB/joy-theme/login/sddm-preview.jpg" joy-600x338 600x338
}

# A desktop under Xvfb with a wallpaper, xterms, xclock, xeyes, xlogo and
# xcalc: the whole screen, then some windows on their own.
x11() {
    start_xvfb 1280x1024
    convert "$DB/emerald-theme/grub/grub-16x9.png" -resize 1280x1024^ -gravity center \
        -extent 1280x1024 "$T/root.png"
    display -window root "$T/root.png" || true   # sets the background, then exits 1
    xterm -geometry 80x30+20+20 -title text -e sh -c "cat '$T/text.txt'; sleep 600" >>"$T/x11.log" 2>&1 &
    PIDS+=($!)
    xterm -fa 'DejaVu Sans Mono' -fs 10 -bg '#fdf6e3' -fg '#333333' -geometry 90x24+560+420 \
        -title aa -e sh -c "tail -n 40 '$T/text.txt'; sleep 600" >>"$T/x11.log" 2>&1 &
    PIDS+=($!)
    faketime '2024-03-01 10:09:00' xclock -geometry 200x200+1040+30 >>"$T/x11.log" 2>&1 &
    PIDS+=($!)
    xeyes -geometry 160x120+860+40 >>"$T/x11.log" 2>&1 &
    PIDS+=($!)
    xlogo -geometry 150x150+20+720 >>"$T/x11.log" 2>&1 &
    PIDS+=($!)
    xcalc -geometry +240+640 >>"$T/x11.log" 2>&1 &
    PIDS+=($!)
    xdotool mousemove 700 300
    local n
    for n in $(seq 1 50); do
        [ "$(xdotool search --onlyvisible --name '^(text|aa|xclock|xeyes|xlogo|Calculator)$' |
            wc -l)" -ge 6 ] && break
        sleep 0.2
    done
    # the same window focused every time: focus changes cursors and title bars
    xdotool windowactivate --sync "$(xdotool search --onlyvisible --name '^Calculator$' | head -n 1)" \
        2>>"$T/x11.log"
    xdotool mousemove 700 300
    sleep 1.5
    import -window root -strip "PNG24:$NEW/x11-desktop-1280x1024.png"
    local name id
    for name in text aa xclock xcalc; do
        id=$(xdotool search --onlyvisible --name "^$name\$" | head -n 1)
        [ "$name" = xcalc ] && id=$(xdotool search --onlyvisible --name '^Calculator$' | head -n 1)
        [ -n "$id" ] || { echo "corpus: no $name window" >&2; exit 1; }
        import -window "$id" -strip "PNG24:$NEW/x11-$name.png"
    done
    for n in text aa xclock xcalc; do
        mv "$NEW/x11-$n.png" "$NEW/x11-$n-$(identify -format %wx%h "$NEW/x11-$n.png").png"
    done
}

# Frames of the demo desktop, as floe-server's control socket snapshots them.
demo() { # size, name, seconds to wait
    CTL=$T/demo.sock
    rm -f "$CTL"
    "$BIN/floe-server" --listen 127.0.0.1:0 --disable-ticketing --size "$1" --control "$CTL" \
        >"$T/demo.out" 2>"$T/demo.err" &
    local pid=$!
    PIDS+=("$pid")
    wait_for 30 test -S "$CTL" || { cat "$T/demo.err"; exit 1; }
    sleep "$3"
    ctl "snapshot $NEW/demo-$2.png" >/dev/null
    [ "${4:-}" ] && { sleep "$4"; ctl "snapshot $NEW/demo-$2-later.png" >/dev/null; }
    ctl quit >/dev/null || true
    wait "$pid" || true
}

# Small, odd and extreme pictures (ImageMagick, fixed seeds).
edges() {
    local o=$NEW
    convert -size 1x1 xc:'#1f7ac3' "PNG24:$o/edge-1x1.png"
    convert -size 3x7 -seed 7 xc: +noise Random "PNG24:$o/edge-noise-3x7.png"
    convert -size 641x97 -seed 3 plasma:tomato-steelblue "PNG24:$o/edge-plasma-641x97.png"
    convert -size 1920x1 gradient:black-white "PNG24:$o/edge-row-1920x1.png"
    convert -size 1x1080 gradient:red-blue "PNG24:$o/edge-column-1x1080.png"
    convert -size 1023x767 xc:'#4a6d8c' "PNG24:$o/edge-solid-1023x767.png"
    convert -size 512x384 -seed 11 xc: +noise Random "PNG24:$o/edge-noise-512x384.png"
    convert -size 640x480 gradient:'#000000-#ffffff' "PNG24:$o/edge-gradient-gray-640x480.png"
    convert -size 777x333 gradient:'#ff0000-#00ff88' -swirl 90 "PNG24:$o/edge-gradient-777x333.png"
    convert -size 300x200 pattern:checkerboard "PNG24:$o/edge-checker-300x200.png"
    convert -size 257x129 xc:white -fill black -draw 'line 0,0 256,128' \
        -draw 'point 5,5' -draw 'rectangle 100,20 101,100' "PNG24:$o/edge-lines-257x129.png"
    # ImageMagick's policy forbids @file: the text goes in as an argument ('%' escaped)
    convert -size 720x400 xc:'#f5f5f5' -font DejaVu-Sans -pointsize 13 -fill '#202020' \
        -annotate +10+20 "$(sed 's/%/%%/g' "$T/text.txt")" "PNG24:$o/text-dejavu-720x400.png"
    # alpha: a soft round shape on transparency, and every alpha level over a picture
    convert -size 96x96 xc:none -fill 'rgba(30,144,255,0.85)' -draw 'circle 48,48 48,6' \
        -blur 0x3 "PNG32:$o/alpha-disc-96x96.png"
    convert -size 256x180 gradient:'#ff8800-#0044ff' \
        \( -size 180x256 gradient:white-black -rotate -90 \) \
        -alpha off -compose CopyOpacity -composite "PNG32:$o/alpha-ramp-256x180.png"
    convert "$NEW/photo-wood-1920x1080.png" -resize '333x187!' \
        \( -size 333x187 -seed 5 plasma:white-black -colorspace gray \) \
        -alpha off -compose CopyOpacity -composite "PNG32:$o/alpha-photo-333x187.png"
}

photos
head -n 60 codecs/codec.h >"$T/text.txt"
x11
demo 1920x1080 1920x1080 1 2
demo 1024x768 1024x768 1
demo 640x480 640x480 1
edges

n=$(ls "$NEW"/*.png | wc -l)
echo "$STAMP_WANT" >"$NEW/STAMP"
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$NEW" "$OUT"
echo "corpus: $n pictures in $OUT ($((SECONDS - start)) s)"
