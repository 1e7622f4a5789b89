#!/usr/bin/env bash
# The reference encoder: QEMU's built-in SPICE server compresses the guest's
# screen with each of its codecs, and floe-viewer --headless decodes it. The
# viewer asks for nothing, so QEMU's image-compression setting decides (LZ4
# has no QEMU setting: it is tested with the viewer asking for it in
# qemu-viewer.sh). Each snapshot must equal QMP screendump exactly, the
# traffic must be much smaller than uncompressed, and the images the viewer
# saw must be of the expected types. For JPEG (jpeg-wan-compression=always)
# QEMU needs a photograph drawn after the surface exists: a boot sector
# (tests/guest/photo-boot.S, assembled here) draws one, and the viewer's
# picture must be within a PSNR bound of QEMU's screendump.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../qemu-lib.sh"

# name|spice options|image types expected (decimal, any of)|QEMU args|menu
# ("menu": Escape typed through the viewer opens SeaBIOS's boot menu, a
# bigger redraw: QEMU wraps GLZ in zlib only for streams over 100 bytes)
CASES=(
    "off|image-compression=off|0||"
    "quic|image-compression=quic|1||"
    "glz|image-compression=glz|102||"
    "auto_glz|image-compression=auto_glz|101 102||"
    "auto_lz|image-compression=auto_lz|101||"
    "zlib_glz|image-compression=glz,zlib-glz-wan-compression=always|107|-boot menu=on,splash-time=60000|menu"
)
as --32 -o "$T/photo-boot.o" "$(dirname "$0")/../guest/photo-boot.S"
ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$T/photo-boot.bin" "$T/photo-boot.o"
truncate -s 1M "$T/photo-boot.img"
dd if="$T/photo-boot.bin" of="$T/photo-boot.img" conv=notrunc status=none
start_vm jpeg "disable-ticketing=on,streaming-video=off,image-compression=auto_glz,jpeg-wan-compression=always" \
    -device VGA -drive "file=$T/photo-boot.img,format=raw,if=ide"
mkdir -p "$T/dump-jpeg"
FLOE_DUMP_IMAGES="$T/dump-jpeg" "$VIEWER" --headless --duration 8 --snapshot "$T/jpeg.png" \
    "spice://127.0.0.1:$PORT_jpeg" >"$T/jpeg.out" 2>"$T/jpeg.err" &
JPEG_VIEWER=$!

# SeaBIOS offers its menu for 60 s at most: a case that opens it starts its
# VM when its turn comes, as on a busy machine the others can take longer
for c in "${CASES[@]}"; do
    IFS='|' read -r name spice _ qargs menu <<<"$c"
    [ "$menu" = menu ] && continue
    # shellcheck disable=SC2086
    start_vm "$name" "disable-ticketing=on,streaming-video=off,$spice" -device VGA $qargs
done
sleep 3 # let SeaBIOS reach a quiet screen

for c in "${CASES[@]}"; do
    IFS='|' read -r name spice types qargs menu <<<"$c"
    if [ "$menu" = menu ]; then
        # shellcheck disable=SC2086
        start_vm "$name" "disable-ticketing=on,streaming-video=off,$spice" -device VGA $qargs
        sleep 3
    fi
    port_var=PORT_$name; qmp_var=QMP_$name
    extra=()
    [ "$menu" = menu ] && extra=(--type $'\e' --type-delay 0.3)
    mkdir -p "$T/dump-$name"
    FLOE_DUMP_IMAGES="$T/dump-$name" snapshot_matches "$name" "spice://127.0.0.1:${!port_var}" \
        "${!qmp_var}" --preferred-compression server "${extra[@]}"
    if grep -q 'not supported yet\|does not decode' "$T/$name.err"; then
        fail "$name: the viewer could not decode: $(grep -m1 'decode\|supported' "$T/$name.err")"
    fi
    seen=$(ls "$T/dump-$name" | sed -n 's/.*-t\([0-9]*\)-.*/\1/p' | sort -u | tr '\n' ' ')
    [ "$name" = off ] && seen="0 $seen"
    ok=0
    for t in $types; do grep -qw "$t" <<<"$seen" && ok=1; done
    [ $ok = 1 ] && pass "$name: QEMU sent image types { $seen} (wanted one of: $types)" ||
        fail "$name: QEMU sent image types { $seen}, none of: $types"
done
# the photograph is drawn 2 s after boot and stays: the last picture counts
if wait "$JPEG_VIEWER"; then pass "jpeg: floe-viewer ran ($(tail -n 1 "$T/jpeg.out"))"
else fail "jpeg: floe-viewer failed: $(tail -n 3 "$T/jpeg.err")"; fi
screendump "$QMP_jpeg" "$T/jpeg-dump.ppm"
n=$(ls "$T/dump-jpeg" | grep -c -- '-t105-' || true)
[ "$n" -gt 10 ] && pass "jpeg: QEMU sent $n JPEG images" || fail "jpeg: QEMU sent $n JPEG images"
# the picture's noise costs QEMU's JPEG (quality 85) some 27 dB
d=$(compare -metric PSNR "$T/jpeg.png" "$T/jpeg-dump.ppm" null: 2>&1 || true)
awk -v d="$d" 'BEGIN { exit !(d == "inf" || d + 0 >= 25) }' &&
    pass "jpeg: snapshot within PSNR $d dB of QEMU's screendump (bound 25 dB)" ||
    fail "jpeg: snapshot only PSNR $d dB from QEMU's screendump (bound 25 dB)"

off=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$T/off.out")
for c in "${CASES[@]:1}"; do
    IFS='|' read -r name _ _ _ _ <<<"$c"
    b=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$T/$name.out")
    [ "$b" -lt $((off / 3)) ] && pass "$name: $b bytes against $off uncompressed" ||
        fail "$name: $b bytes against $off uncompressed: not compressed"
done
finish
