#!/usr/bin/env bash
# The tables of make bench as Markdown, from the CSVs it wrote: into
# OUT/results.md, and into README.md between its "bench:NAME" markers, so
# every figure the README quotes is the last run's, with the machine named.
#
#   bench/report.sh OUT [README [TABLE...]]
#
# TABLE names the tables to write into the README (demo, codecs, detect, vm,
# qxl, video, mjpeg, office); without them every table whose CSV exists is written.
# Each table is dated by its CSV's time, so a table from an older run keeps
# its own date.
set -eu
OUT=$1
README=${2:-}
shift $(($# > 2 ? 2 : $#))
TABLES=${*:-demo codecs detect vm qxl video mjpeg office}

# machine [CSV]: the machine, dated by CSV's time (today without one)
machine() {
    local cpu cores day
    day=$(date -u +%Y-%m-%d)
    [ -n "${1:-}" ] && day=$(date -u -r "$1" +%Y-%m-%d)
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    cores=$(nproc)
    echo "Measured $day on $(uname -m) Linux $(uname -r | cut -d- -f1), $cores cores (${cpu:-unknown CPU}), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)."
}

demo_table() {
    awk -F, 'NR == 2 { printf "Median of %d runs of %d s per compression.\n\n", $5, $6 }' "$OUT/demo.csv"
    echo "| compression | frames/s | bytes per frame | server CPU ms / frame |"
    echo "|---|---|---|---|"
    awk -F, 'NR > 1 {
        name = $1 == "auto_glz" ? "auto_glz (the default)" : $1
        printf "| %s | %.1f | %d | %.1f |\n", name, $2, $3, $4
    }' "$OUT/demo.csv"
}

codec_table() {
    echo "| codec | ratio | encode Mpixel/s | decode Mpixel/s | PSNR dB |"
    echo "|---|---|---|---|---|"
    awk -F, 'NR > 1 {
        name = $2 == "floe" ? "floe " $1 : $1
        printf "| %s | %.2f | %.0f | %.0f | %s |\n", name, $7, $8, $9, $10 == "" ? "" : sprintf("%.1f", $10)
    }' "$OUT/codecs.csv"
}

# one row per picture: its stages (scroll_find, draw_image, server_frame) side by side
detect_table() {
    awk -F, 'NR == 2 { printf "Budget 5 ms per 1920x1080 frame, one core. CPU time of one thread, median / 90th percentile of %d frames per picture; a figure is within budget when its 90th percentile is.\n\n", $3 }' "$OUT/detect.csv"
    echo "| picture | fsrv_scroll_find ms | within 5 ms | floe_server_draw_image ms | within 5 ms | page faults in the call | server thread ms per frame |"
    echo "|---|---|---|---|---|---|---|"
    awk -F, 'NR == 1 { next }
        !($1 in seen) { seen[$1] = 1; order[++n] = $1 }
        { med[$1, $2] = $4; p90[$1, $2] = $5; faults[$1, $2] = $7; ok[$1, $2] = $9 }
        END {
            name["scroll"] = "text scrolled up one line"
            name["unchanged"] = "text, unchanged"
            name["small"] = "text, a 200x20 area changed"
            name["noise"] = "noise, a new picture each frame"
            for (i = 1; i <= n; i++) {
                p = order[i]
                printf "| %s | %.2f / %.2f | %s | %.2f / %.2f | %s | %s | %.2f / %.2f |\n", (p in name) ? name[p] : p,
                    med[p, "scroll_find"], p90[p, "scroll_find"], ok[p, "scroll_find"],
                    med[p, "draw_image"], p90[p, "draw_image"], ok[p, "draw_image"],
                    faults[p, "draw_image"], med[p, "server_frame"], p90[p, "server_frame"]
            }
        }' "$OUT/detect.csv"
}

vm_table() {
    awk -F, 'NR == 2 { printf "Median of %d run(s); bytes over %d s of scrolling, latency over %d keys.\n\n", $7, $9, $5 }' "$OUT/vm.csv"
    echo "| server | bytes per line | pixels off at the end (worst run) | latency min ms | median ms | max ms | frames/s |"
    echo "|---|---|---|---|---|---|---|"
    awk -F, 'NR > 1 && $1 !~ /ratio/ { printf "| %s | %.0f | %s | %s | %s | %s | %s |\n", $1, $8, $10, $2, $3, $4, $6 }
             $1 ~ /ratio/ { printf "| floe / QEMU | %.2f | | | %.2f | | %.2f |\n", $8, $3, $6 }' "$OUT/vm.csv"
}

qxl_table() {
    awk -F, 'NR == 2 { printf "Median of %d run(s); bytes and CPU over %d s of scrolling, latency over %d keys.\n\n", $6, $7, $8 }' "$OUT/qxl.csv"
    echo "| libspice-server | bytes per line | SPICE threads CPU ms / line | QEMU main loop CPU ms / line | key to pixel median ms |"
    echo "|---|---|---|---|---|"
    awk -F, 'NR > 1 && $1 !~ /ratio/ { printf "| %s | %.0f | %.2f | %.2f | %.1f |\n", $1, $2, $3, $4, $5 }
             $1 ~ /ratio/ { printf "| floe / Debian | %s | %s | %s | %s |\n", $2, $3, $4, $5 }' "$OUT/qxl.csv"
}

video_table() {
    awk -F, 'NR == 2 { printf "floe-server, the demo'"'"'s full-screen video at 1920x1080; median of %d run(s) of %d s. floe alone (no other server plays this workload on the same frames).\n\n", $6, $7 }' "$OUT/video.csv"
    echo "| link | frames/s delivered | Mbit/s | server CPU ms / frame | JPEG quality |"
    echo "|---|---|---|---|---|"
    awk -F, 'NR > 1 {
        link = $1 == 0 ? "loopback" : sprintf("shaping proxy at %g Mbit/s", $1 / 1000)
        printf "| %s | %.1f | %.1f | %.2f | %s |\n", link, $2, $3, $4, $5
    }' "$OUT/video.csv"
}

mjpeg_table() {
    awk -F, 'NR == 2 { printf "qxl_host fed the same %s film (the demo'"'"'s video: a camera over a photographic scene, film grain) for %d s at 25 frames/s to Debian'"'"'s libspice-server and to floe'"'"'s, each streaming it as MJPEG to %s on loopback; the frames each sent, taken from a capture, scored against the film: SSIM of luma of every film frame against the frame shown then, kbit/s of the frames over the time they cover. floe'"'"'s kbit/s at the reference'"'"'s SSIM is interpolated (log kbit/s linear in SSIM) between the two fixed qualities around it.\n\n", $9, $10, $8 }' "$OUT/mjpeg.csv"
    echo "| libspice-server | JPEG quality | frames | kbit/s | SSIM (luma) | RGB PSNR dB |"
    echo "|---|---|---|---|---|---|"
    awk -F, 'NR > 1 && $1 == "debian" { printf "| Debian | %s (its rate control) | %s | %.0f | %.4f | %.2f |\n", $2 == 0 ? "other" : $2, $3, $4, $5, $7 }
             NR > 1 && $1 == "floe own" { printf "| floe | %s (its rate control) | %s | %.0f | %.4f | %.2f |\n", $2 == 0 ? "other" : $2, $3, $4, $5, $7 }
             NR > 1 && $1 == "floe" { printf "| floe | %s (fixed) | %s | %.0f | %.4f | %.2f |\n", $2, $3, $4, $5, $7 }
             NR > 1 && $1 == "floe at equal ssim" { if ($2 ~ /none/) print "| floe at Debian'"'"'s SSIM | none of its qualities reaches it | | | | |"
                 else printf "| **floe at Debian'"'"'s SSIM** | %s, interpolated | | **%.0f** | %.4f | |\n", $2, $4, $5 }
             NR > 1 && $1 == "ratio" { printf "| **floe / Debian** | | | **%.3f** | | |\n", $4 }' "$OUT/mjpeg.csv"
    grep -q '^vp8' "$OUT/mjpeg.csv" || return 0
    echo
    echo "floe's library streaming the same film as VP8 (libvpx, realtime) to the same client, at its own rate control and at fixed target bitrates; its kbit/s at Debian's MJPEG SSIM interpolated the same way."
    echo
    echo "| libspice-server | VP8 target kbit/s | frames | kbit/s | SSIM (luma) | RGB PSNR dB |"
    echo "|---|---|---|---|---|---|"
    awk -F, 'NR > 1 && $1 == "vp8 own" { printf "| floe VP8 | its rate control | %s | %.0f | %.4f | %.2f |\n", $3, $4, $5, $7 }
             NR > 1 && $1 == "vp8" { printf "| floe VP8 | %s (fixed) | %s | %.0f | %.4f | %.2f |\n", $2, $3, $4, $5, $7 }
             NR > 1 && $1 == "vp8 at equal ssim" { if ($2 ~ /none/) print "| floe VP8 at Debian'"'"'s SSIM | none of its bitrates reaches it | | | | |"
                 else printf "| **floe VP8 at Debian'"'"'s SSIM** | %s, interpolated | | **%.0f** | %.4f | |\n", $2, $4, $5 }
             NR > 1 && $1 == "vp8 ratio" { printf "| **floe VP8 / Debian MJPEG** | | | **%.3f** | | |\n", $4 }' "$OUT/mjpeg.csv"
}

office_table() {
    printf "floe's own figures: no peer shows this desktop. "
    awk -F, 'NR == 2 { printf "Median of %d run(s) of %d s windows; latency over the keys timed in the window.\n\n", $13, $14 }' "$OUT/office.csv"
    echo "| link | received Mbit/s | frames/s | server CPU ms / frame | key to picture min ms | 1st quartile ms | median ms | 3rd quartile ms | max ms | keys timed |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    awk -F, 'NR > 1 {
        name = $2 == "" ? "loopback, direct" : "proxy, " $2 " Mbit/s"
        printf "| %s | %.2f | %.1f | %.2f | %.1f | %.1f | %.1f | %.1f | %.1f | %d |\n", name, $3 * 8 / 1e6, $4, $5, $6, $7, $8, $9, $10, $11
    }' "$OUT/office.csv"
}

{
    echo "# make bench"
    echo
    machine
    for t in demo codecs detect vm qxl video mjpeg office; do
        [ -f "$OUT/$t.csv" ] || continue
        echo
        case $t in
            demo) demo_table ;;
            codecs) codec_table ;;
            detect) detect_table ;;
            vm) vm_table ;;
            qxl) qxl_table ;;
            video) video_table ;;
            mjpeg) mjpeg_table ;;
            office) office_table ;;
        esac
    done
} >"$OUT/results.md"
echo "wrote $OUT/results.md"

# README: replace what lies between <!-- bench:NAME --> and <!-- /bench:NAME -->
[ -n "$README" ] && [ -f "$README" ] || exit 0
tmp=$(mktemp)
cp "$README" "$tmp"
for t in $TABLES; do
    [ -f "$OUT/$t.csv" ] || continue
    grep -q "<!-- bench:$t -->" "$tmp" || continue
    body=$(mktemp)
    { machine "$OUT/$t.csv"; echo; case $t in demo) demo_table ;; codecs) codec_table ;; detect) detect_table ;; vm) vm_table ;; qxl) qxl_table ;; video) video_table ;; mjpeg) mjpeg_table ;; office) office_table ;; esac; } >"$body"
    awk -v tag="$t" -v body="$body" '
        $0 == "<!-- bench:" tag " -->" { print; while ((getline l < body) > 0) print l; skip = 1; next }
        $0 == "<!-- /bench:" tag " -->" { skip = 0 }
        !skip { print }' "$tmp" >"$tmp.new"
    mv "$tmp.new" "$tmp"
    rm -f "$body"
    echo "README: the $t table now holds this run's figures"
done
if cmp -s "$tmp" "$README"; then rm -f "$tmp"; else mv "$tmp" "$README"; fi
