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

# ratio against encode Mpixel/s, one labelled point per entry
gnuplot <<GP
set terminal pngcairo size 1000,650 font "DejaVu Sans,10"
set output "$OUT/codecs.png"
set datafile separator ","
set title "floe codecs and references on the corpus (RGB)"
set xlabel "encode speed, Mpixel/s (log)"
set ylabel "compression ratio, 24-bit RGB bytes / payload bytes (log)"
set logscale xy
set grid
set key off
set offsets graph 0.08, graph 0.15, graph 0.1, graph 0.1
# floe codecs red, labelled below left; references blue, labelled above right;
# filled circles lossless, triangles lossy
plot "$OUT/codecs.csv" every ::1 using 8:7:(\$3 > 0 ? 9 : 7):(strcol(2) eq "floe" ? 0xd62728 : 0x1f77b4) \
         with points pt variable ps 1.6 lc rgb variable, \
     "" every ::1 using 8:7:(strcol(2) eq "floe" ? strcol(1) : "") \
         with labels right offset char -1,-0.9 textcolor rgb "#d62728", \
     "" every ::1 using 8:7:(strcol(2) eq "floe" ? "" : strcol(1)) \
         with labels left offset char 1,0.7 textcolor rgb "#1f77b4"
GP
echo "wrote $OUT/codecs.csv, $OUT/pictures.csv and $OUT/codecs.png"
