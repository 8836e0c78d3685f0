#!/usr/bin/env bash
# Fuzzes the HTTP request parser with libFuzzer for SECONDS (default 60).
# Usage: scripts/fuzz-http-parser.sh [SECONDS] [extra libFuzzer flags...]
# Builds fuzz/HTTPParserFuzz.swift with the parser's sources (not through SwiftPM), optimized, with
# AddressSanitizer catching any out-of-bounds access through unsafe pointers (array bounds checks stay
# on at -O); runs one job, niced, on a copy of the seed corpus (fuzz/corpus-run/, ignored by git).
# Crashes land in fuzz/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
case "$seconds" in ''|*[!0-9]*) echo "fuzz-http-parser: SECONDS must be a whole number, got '$seconds'" >&2; exit 2;; esac

mkdir -p fuzz/out fuzz/corpus-run
sources=(Sources/HTTP/Messages/HTTPMethod.swift Sources/HTTP/Messages/HTTPVersion.swift Sources/HTTP/Messages/HTTPStatus.swift
         Sources/HTTP/Messages/HTTPHeaders.swift Sources/HTTP/Messages/HTTPRequest.swift Sources/HTTP/Messages/HTTPError.swift
         Sources/HTTP/Parsing/*.swift)
binary=fuzz/out/http-parser-fuzz
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name HTTPParserFuzz \
    fuzz/HTTPParserFuzz.swift "${sources[@]}" -o "$binary"
cp -n fuzz/seeds/* fuzz/corpus-run/ 2>/dev/null || true
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0
# -jobs=1 runs the fuzzer as a child that logs to fuzz-0.log in the working directory: keep it in fuzz/out.
cd fuzz/out
nice -n 10 ./http-parser-fuzz ../corpus-run -max_total_time="$seconds" -jobs=1 -workers=1 -max_len=2048 \
    -artifact_prefix=./ -print_final_stats=1 "$@" || status=$?
cat fuzz-0.log
exit "${status:-0}"
