#!/usr/bin/env bash
# Installs what is needed, builds trainlab and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup-debian.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRAINLAB_BUILD_BENCHMARKS=ON
cmake --build build --parallel "$jobs"
ctest --test-dir build --output-on-failure --parallel "$jobs" --timeout 600
