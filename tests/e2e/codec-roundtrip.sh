#!/usr/bin/env bash
# Every registered codec with an encoder round-trips every picture of the
# corpus (tests/corpus/build.sh): lossless codecs give back every pixel,
# alpha included where they carry it; lossy codecs reach PSNR >= 30 dB (RGB,
# default quality) on each picture (white noise, edge-noise-*: >= 10 dB, as
# 4:2:0 JPEG cannot carry it) and keep alpha exactly; a picture a codec
# cannot carry (-EINVAL, e.g. alpha for JPEG) counts as n/a. Stateful codecs
# run the corpus as one sequence with one encoder and one decoder state.
. "$(dirname "$0")/../lib.sh"

CORPUS=${CORPUS:-$PWD/build/corpus}
PSNR_MIN=30 PSNR_NOISE_MIN=10
tests/corpus/build.sh "$CORPUS"
if "$TESTBIN/codec_roundtrip" --psnr "$PSNR_MIN" --psnr-noise "$PSNR_NOISE_MIN" "$CORPUS" | tee "$T/table"; then
    pass "every codec round-trips the corpus"
else
    fail "codec round trip: $(grep -c '^FAIL' "$T/table") failure line(s) above"
fi
finish
