#!/usr/bin/env bash
# Issue 7: a short run of every libFuzzer target over its checked-in seed corpus (clang).
# Usage: bash .ci/fuzz.sh [seconds-per-target, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="$(nproc)" bash tests/fuzz/run_fuzzers.sh "${1:-20}"
