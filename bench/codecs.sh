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
    awk -F, -v csv="$OUT/codecs.csv" 'NR > 1 {
        i = NR - 1; pt = ($3 + 0 ? 4 : 5) + 2 * (i % 4)
        printf "%s\"%s\" every ::%d::%d using 8:7 with points ps 1.8 pt %d lc %d title \"%s (%s)\"",
            (i > 1 ? ", \\\n     " : ""), csv, i, i, pt, i, $1, $2
    }' "$OUT/codecs.csv"
}
gnuplot <<GP
set terminal pngcairo size 1100,650 font "DejaVu Sans,10"
set output "$OUT/codecs.png"
set datafile separator ","
set title "floe codecs and references on the corpus (RGB); filled marks lossless, open marks lossy"
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
