#!/usr/bin/env bash
# Builds the libFuzzer targets (every reader of outside input) with clang in build-fuzz/ and runs each
# for N seconds (default 60) over a copy of its seed corpus. Prints the executions per target
# and any crash / leak / timeout files. Usage: tests/fuzz/run_fuzzers.sh [seconds-per-target]
#   JOBS=2 (build parallelism), FUZZERS="fuzz_idx fuzz_cifar_records" (subset),
#   BUILD_DIR=build-fuzz, KEEP_CORPUS=1 (keep the grown corpora under $BUILD_DIR/fuzz-runs).
set -euo pipefail

seconds="${1:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$src/build-fuzz}"
jobs="${JOBS:-2}"
all="fuzz_idx fuzz_idx_gzip fuzz_cifar_records fuzz_cifar_archive fuzz_image_cache fuzz_image_decode fuzz_run_record fuzz_param_values fuzz_preset fuzz_cli_values"
targets="${FUZZERS:-$all}"

command -v clang++ >/dev/null || { echo "clang++ not found: the fuzzers need clang" >&2; exit 2; }

mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
    CC=clang CXX=clang++ cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DTRAINLAB_BUILD_FUZZERS=ON -DTRAINLAB_BUILD_BENCHMARKS=OFF >"$build/configure.log" 2>&1 ||
        { cat "$build/configure.log" >&2; exit 1; }
fi
# shellcheck disable=SC2086
cmake --build "$build" --target $targets -j "$jobs"

runs="$build/fuzz-runs"
rm -rf "$runs"
mkdir -p "$runs"
status=0
summary=""
for t in $targets; do
    dir="$runs/$t"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    if [ -d "$here/corpus/$t" ]; then cp "$here/corpus/$t"/* "$dir/corpus/" 2>/dev/null || true; fi
    echo "=== $t: ${seconds}s"
    set +e
    "$build/tests/fuzz/$t" "$dir/corpus" -max_total_time="$seconds" -rss_limit_mb=2048 \
        -timeout=10 -max_len=65536 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
        >"$dir/log.txt" 2>&1
    rc=$?
    set -e
    execs="$(grep -E '^stat::number_of_executed_units' "$dir/log.txt" | awk '{print $2}')"
    [ -n "$execs" ] || execs="$(grep -oE '#[0-9]+' "$dir/log.txt" | tail -1 | tr -d '#')"
    cov="$(grep -oE 'cov: [0-9]+' "$dir/log.txt" | tail -1 | awk '{print $2}')"
    crashes="$(find "$dir/artifacts" -type f | sort)"
    if [ "$rc" -ne 0 ] || [ -n "$crashes" ]; then
        status=1
        echo "!!! $t exited with $rc; findings:"
        [ -n "$crashes" ] && echo "$crashes"
        grep -E 'ERROR|SUMMARY|runtime error|deadly signal|Timeout' "$dir/log.txt" | head -20
    fi
    summary+="$(printf '%-20s executions %-10s coverage %-6s findings %s' "$t" "${execs:-?}" "${cov:-?}" \
        "$( [ -n "$crashes" ] && echo "$crashes" | wc -l || echo 0)")"$'\n'
done
echo
echo "Summary (${seconds}s per target; logs under $runs):"
printf '%s' "$summary"
[ -n "${KEEP_CORPUS:-}" ] || find "$runs" -mindepth 2 -maxdepth 2 -name corpus -type d -exec rm -rf {} +
exit $status
