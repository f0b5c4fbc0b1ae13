#!/usr/bin/env bash
# Issue 12: proves that .ci/setup-debian.sh's package list is enough on a fresh Debian 12
# machine. ../shared/tools/debian-deps-check (beside the project, not part of it) lists every
# system file the finished build really used (CMake files of a traced configure, headers from
# the compiler's dependency files, shared libraries of every built executable), maps each to
# its Debian package and fails naming any package that the set-up list does not pull in.
# Usage: bash .ci/deps-check.sh [BUILD_DIR]   (after .ci/test.sh; default BUILD_DIR = build)
# The configure arguments below must be the ones .ci/test.sh built with.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
tool="${TRAINLAB_DEPS_CHECK:-$(pwd)/../shared/tools/debian-deps-check}"
if [ ! -x "$tool" ]; then
  echo "== deps check skipped: $tool is absent (a clone without ../shared beside it);" \
       "the set-up list is not proven on this machine"
  exit 0
fi
if [ ! -d "$build" ]; then
  echo "deps check: no build folder '$build' (run .ci/test.sh first)" >&2
  exit 1
fi
echo "== deps check: $tool"
if ! "$tool" --source . --build "$build" --packages-from .ci/setup-debian.sh \
       --cmake-arg=-DCMAKE_BUILD_TYPE=RelWithDebInfo --cmake-arg=-DTRAINLAB_BUILD_BENCHMARKS=ON; then
  echo "deps check FAILED: the build used the packages above, which .ci/setup-debian.sh" \
       "neither lists nor pulls in; a fresh Debian 12 machine could not build trainlab." \
       "Add them to the packages array in .ci/setup-debian.sh." >&2
  exit 1
fi
