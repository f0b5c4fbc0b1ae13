#!/usr/bin/env bash
# Installs what is needed, builds trainlab and starts it. Without a display, trainlab runs
# the default preset headless and prints where the results went.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRAINLAB_BUILD_TESTS=OFF
cmake --build build --parallel "$(nproc)" --target trainlab trainlab-cli
exec ./build/app/trainlab "$@"
