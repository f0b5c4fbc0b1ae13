#!/usr/bin/env bash
# Installs trainlab's build and test dependencies from Debian 12 packages (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake ccache pkg-config
  python3  # .ci/size-check.py, the file and function length limits of issue 13
  qt6-base-dev qt6-charts-dev qt6-svg-dev qt6-base-dev-tools
  libqt6opengl6-dev  # qt6-charts-dev needs the Qt6OpenGL CMake files but does not depend on this package
  libqcustomplot-dev libqcustomplot2.1-qt6
  libtorch-dev libopenblas0-pthread
  libeigen3-dev nlohmann-json3-dev zlib1g-dev
  libarchive-dev libpng-dev libturbojpeg0-dev libdeflate-dev libssl-dev
  dataset-fashion-mnist
  xvfb xauth
  clang libclang-rt-14-dev llvm
  help2man librsvg2-bin  # man pages from --help and the PNG icon, made at build time
  lintian appstream desktop-file-utils bash-completion  # used by .ci/package-check.sh
  locales  # localedef and its sources: the tests build de_DE and tr_TR, issue 18
  munge slurmctld slurmd slurm-client  # issue 14: tst_sweep_slurm starts a one-node Slurm
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
