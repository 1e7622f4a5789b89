#!/usr/bin/env bash
# The codec table of make bench: builds the corpus (tests/corpus/build.sh,
# cached), runs codec-bench over it and leaves codecs.csv, pictures.csv and
# codecs.png (compression ratio against encoding speed) in BUILD/bench.
#
#   bench/codecs.sh [BUILD]        (default build)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=$BUILD/bench
CORPUS=${CORPUS:-build/corpus}
BIN=${BIN:-$PWD/$BUILD/bin} tests/corpus/build.sh "$CORPUS"
mkdir -p "$OUT"
"$OUT/codec-bench" --csv "$OUT/codecs.csv" --pictures "$OUT/pictures.csv" "$CORPUS"

# ratio against encode Mpixel/s: one point per entry, each with its own
# colour and mark and its name in the key beside the plot (labels next to
# the points overlapped where codecs sit close together); filled marks are
# lossless codecs, open ones lossy
plot_clauses() {
    # floe's codecs as circles, the references as larger squares drawn
    # first, so a floe codec at the same spot shows inside; open marks
    # lossy; a colour of its own for each entry
    awk -F, -v csv="$OUT/codecs.csv" 'BEGIN {
        split("#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #17becf #bcbd22 #7f7f7f #000000 #aec7e8 #98df8a #ff9896", col, " ")
    } NR > 1 {
        i = NR - 1; lossy = $3 + 0; floe = $2 == "floe"
        c = sprintf("\"%s\" every ::%d::%d using 8:7 with points ps %.1f pt %d lc rgb \"%s\" title \"%s (%s)\"",
            csv, i, i, floe ? 1.5 : 3, floe ? (lossy ? 6 : 7) : (lossy ? 4 : 5),
            col[(i - 1) % 14 + 1], $1, $2)
        if (floe) mine[++nm] = c; else refs[++nr] = c
    } END {
        for (k = 1; k <= nr; k++) out[++n] = refs[k]
        for (k = 1; k <= nm; k++) out[++n] = mine[k]
        for (k = 1; k <= n; k++) printf "%s%s", (k > 1 ? ", \\\n     " : ""), out[k]
    }' "$OUT/codecs.csv"
}
gnuplot <<GP
set terminal pngcairo size 1100,650 font "DejaVu Sans,10"
set output "$OUT/codecs.png"
set datafile separator ","
set title "codecs on the corpus (RGB): floe circles, references squares; open marks lossy"
set xlabel "encode speed, Mpixel/s (log)"
set ylabel "compression ratio, 24-bit RGB bytes / payload bytes (log)"
set logscale xy
set grid
set xtics (5, 10, 20, 50, 100, 200, 500, 1000, 2000)
set ytics (1, 1.5, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 100)
set key outside right top box spacing 1.4
$(awk -F, 'NR > 1 && $7 > 0 && $8 > 0 {
    if (!n++ || $7 < y0) y0 = $7; if ($7 > y1) y1 = $7
    if (n == 1 || $8 < x0) x0 = $8; if ($8 > x1) x1 = $8
} END { printf "set xrange [%g:%g]\nset yrange [%g:%g]\n", x0 / 1.6, x1 * 1.6, y0 / 1.4, y1 * 1.4 }' "$OUT/codecs.csv")
plot $(plot_clauses)
GP
echo "wrote $OUT/codecs.csv, $OUT/pictures.csv and $OUT/codecs.png"
