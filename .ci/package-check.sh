#!/usr/bin/env bash
# Builds the Debian package from a finished build, checks it (lintian, appstreamcli,
# desktop-file-validate, contents, no build-tree paths), installs it with apt-get, runs a
# short preset from /usr/bin with a fresh HOME, checks the run folder, removes the package
# and checks that none of its files is left. Run as root after .ci/test.sh:
#   bash .ci/package-check.sh [build dir, default build]
# Stops with a message at the first broken step.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
build=${1:-build}

step() { printf '\n=== package-check: %s\n' "$*"; }
fail() {
    printf '\npackage-check: FAILED: %s\n' "$*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (it installs and removes the package)"
[ -f "$build/CPackConfig.cmake" ] ||
    fail "$build/CPackConfig.cmake not found: build first (bash .ci/test.sh, or cmake -S . -B $build)"
build=$(cd "$build" && pwd)
for tool in cpack dpkg-deb lintian appstreamcli desktop-file-validate apt-get strings readelf; do
    command -v "$tool" >/dev/null || fail "$tool not found (bash .ci/setup-debian.sh installs it)"
done

work=$(mktemp -d /tmp/trainlab-package-check.XXXXXX)
installed_by_us=0
cleanup() {
    local rc=$?
    if [ "$installed_by_us" -eq 1 ] && dpkg-query -W -f='${Status}' trainlab 2>/dev/null |
        grep -q "install ok installed"; then
        echo "package-check: removing the trainlab package after the failure" >&2
        apt-get purge -y -q trainlab >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

step "building the generated files and the package (cpack -G DEB) from $build"
cmake --build "$build" --target trainlab trainlab-cli trainlab_package_files ||
    fail "building the executables and packaged files in $build failed"
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed (log above)"; }
debs=("$work"/out/trainlab_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "cpack made no single trainlab_*.deb in $work/out"
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg-deb -f "$deb" Architecture)
[ "$(basename "$deb")" = "trainlab_${version}_${arch}.deb" ] ||
    fail "package file name $(basename "$deb") is not trainlab_${version}_${arch}.deb"
expected_version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ "$version" = "$expected_version" ] ||
    fail "package version $version differs from the project version $expected_version"
echo "package:  $(basename "$deb")"
echo "size:     $(stat -c %s "$deb") bytes ($(du -h "$deb" | cut -f1))"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends:  $depends"
echo "Recommends: $(dpkg-deb -f "$deb" Recommends)"
[[ $depends == *libopenblas0-pthread* ]] ||
    fail "Depends lacks libopenblas0-pthread (training is ~40x slower with the reference BLAS)"
[[ $depends == *libtorch* ]] ||
    fail "Depends lacks libtorch: dpkg-shlibdeps did not run (CPACK_DEBIAN_PACKAGE_SHLIBDEPS)"

step "checking the package contents"
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$work/contents"
expected=(
    /usr/bin/trainlab /usr/bin/trainlab-cli
    /usr/share/applications/org.trainlab.trainlab.desktop
    /usr/share/metainfo/org.trainlab.trainlab.metainfo.xml
    /usr/share/icons/hicolor/scalable/apps/trainlab.svg
    /usr/share/icons/hicolor/256x256/apps/trainlab.png
    /usr/share/man/man1/trainlab.1.gz /usr/share/man/man1/trainlab-cli.1.gz
    /usr/share/bash-completion/completions/trainlab-cli
    /usr/share/doc/trainlab/copyright /usr/share/doc/trainlab/changelog.gz
)
for f in "${expected[@]}"; do
    grep -qx "$f" "$work/contents" || fail "the package lacks $f"
done
npresets=$(grep -c '^/usr/share/trainlab/presets/.*\.json$' "$work/contents" || true)
nsource=$(ls "$src"/experiments/presets/*.json | wc -l)
[ "$npresets" -eq "$nsource" ] ||
    fail "the package holds $npresets presets, experiments/presets has $nsource"
nsweeps=$(grep -c '^/usr/share/trainlab/sweeps/.*\.json$' "$work/contents" || true)
nsweepsrc=$(ls "$src"/experiments/sweeps/*.json | wc -l)
[ "$nsweeps" -eq "$nsweepsrc" ] ||
    fail "the package holds $nsweeps built-in sweeps, experiments/sweeps has $nsweepsrc"
echo "$(wc -l <"$work/contents") entries, $npresets presets, $nsweeps sweeps, all expected files present"

dpkg-deb -x "$deb" "$work/root"
changelog_version=$(zcat "$work/root/usr/share/doc/trainlab/changelog.gz" |
    sed -n '1s/^trainlab (\([^)]*\)).*/\1/p')
[ "$changelog_version" = "$version" ] ||
    fail "packaging/changelog's top entry is version '$changelog_version', the package $version"
for exe in trainlab trainlab-cli; do
    if readelf -S "$work/root/usr/bin/$exe" | grep -q -e '\.symtab' -e '\.debug_info'; then
        fail "/usr/bin/$exe is not stripped (symbol table or debug information inside)"
    fi
    if strings "$work/root/usr/bin/$exe" | grep -F -e "$src" -e "$build"; then
        fail "/usr/bin/$exe contains the build-tree paths above"
    fi
    grep -qF -- '\-\-version' <(zcat "$work/root/usr/share/man/man1/$exe.1.gz") ||
        fail "the man page of $exe does not document its options"
done
if zcat "$work/root/usr/share/man/man1/"*.1.gz | grep -F -e "$src" -e "$HOME"; then
    fail "a man page names the build tree or the builder's home (above)"
fi

step "lintian"
lintian_rc=0
lintian --display-info --fail-on error "$deb" >"$work/lintian.txt" 2>&1 || lintian_rc=$?
cat "$work/lintian.txt"
[ "$lintian_rc" -eq 0 ] || fail "lintian found errors (exit $lintian_rc, output above)"
# Each remaining warning must be explained in packaging/lintian-notes.md.
for tag in $(sed -n 's/^W: trainlab[^:]*: \([a-z0-9-]*\).*/\1/p' "$work/lintian.txt" | sort -u); do
    grep -q -- "\`$tag\`" packaging/lintian-notes.md ||
        fail "lintian warning '$tag' is neither fixed nor explained in packaging/lintian-notes.md"
done
echo "lintian: no errors; every warning is explained in packaging/lintian-notes.md"

step "appstreamcli validate and desktop-file-validate"
appstreamcli validate --no-net "$work/root/usr/share/metainfo/org.trainlab.trainlab.metainfo.xml" ||
    fail "appstreamcli validate rejects the AppStream metainfo file"
desktop-file-validate "$work/root/usr/share/applications/org.trainlab.trainlab.desktop" ||
    fail "desktop-file-validate rejects the desktop entry"
echo "desktop entry valid"

step "installing with apt-get"
if dpkg-query -W -f='${Status}' trainlab 2>/dev/null | grep -q "install ok installed"; then
    echo "trainlab is already installed; purging it first so that this build is the one tested"
    apt-get purge -y -q trainlab >/dev/null
fi
installed_by_us=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log" >&2; fail "apt-get install $deb failed (log above)"; }
dpkg -L trainlab >"$work/files"
echo "installed $(wc -l <"$work/files") paths"

step "running the installed programs from /usr/bin, no display, fresh HOME"
export HOME="$work/home"
mkdir -p "$HOME"
unset DISPLAY WAYLAND_DISPLAY QT_QPA_PLATFORM TRAINLAB_RUNS XDG_DATA_HOME XDG_CACHE_HOME \
    XDG_RUNTIME_DIR
cd "$work"
for exe in trainlab trainlab-cli; do
    out=$(timeout 60 "/usr/bin/$exe" --version 2>&1) || fail "/usr/bin/$exe --version failed: $out"
    [ "$out" = "$exe $version" ] || fail "/usr/bin/$exe --version printed '$out', not '$exe $version'"
    echo "$out"
done
timeout 60 /usr/bin/trainlab-cli list >"$work/list.txt" || fail "trainlab-cli list failed"
grep -q '1-1-sinc' "$work/list.txt" || fail "trainlab-cli list does not show the preset 1-1-sinc"
run_dir=$(timeout 600 /usr/bin/trainlab-cli run 1-1-sinc --set max_steps=50 --no-plots --quiet \
    --out "$work/runs") || fail "/usr/bin/trainlab-cli run 1-1-sinc --set max_steps=50 failed"
[ -d "$run_dir" ] || fail "trainlab-cli run printed '$run_dir', which is not a folder"
echo "run folder: $run_dir"
[ -s "$run_dir/config.json" ] || fail "$run_dir/config.json is missing or empty"
grep -Eq '"state"[[:space:]]*:[[:space:]]*"finished"' "$run_dir/status.json" ||
    fail "$run_dir/status.json does not say finished: $(cat "$run_dir/status.json" 2>&1)"
ncsv=0
for csv in "$run_dir"/metrics/*.csv; do
    [ -f "$csv" ] || fail "$run_dir/metrics holds no CSV file"
    [ "$(wc -l <"$csv")" -ge 2 ] || fail "$csv has no data row"
    ncsv=$((ncsv + 1))
done
echo "config.json, status.json (finished) and $ncsv metrics CSVs with data"

step "bash completion"
[ -f /usr/share/bash-completion/bash_completion ] ||
    fail "/usr/share/bash-completion/bash_completion not found (package bash-completion)"
completion=$(bash -c '
    source /usr/share/bash-completion/bash_completion
    source /usr/share/bash-completion/completions/trainlab-cli
    complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _trainlab_cli; echo "${COMPREPLY[*]}"; }
    complete_words trainlab-cli r
    complete_words trainlab-cli run 1-1-sinc-
    complete_words trainlab-cli sweep 1-1-sinc-s')
[ "$(sed -n 1p <<<"$completion")" = "run render" ] ||
    fail "completing 'trainlab-cli r' gave '$(sed -n 1p <<<"$completion")', not 'run render'"
[ "$(sed -n 2p <<<"$completion")" = "1-1-sinc-patience" ] ||
    fail "completing 'trainlab-cli run 1-1-sinc-' gave '$(sed -n 2p <<<"$completion")'"
[ "$(sed -n 3p <<<"$completion")" = "1-1-sinc-seeds" ] ||
    fail "completing 'trainlab-cli sweep 1-1-sinc-s' gave '$(sed -n 3p <<<"$completion")'"
echo "sub-commands, preset ids and sweep ids complete"

step "removing the package"
cd "$src"
apt-get purge -y -q trainlab >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log" >&2; fail "apt-get purge trainlab failed (log above)"; }
installed_by_us=0
left=()
while IFS= read -r path; do
    [ "$path" = "/." ] && continue
    if [ -d "$path" ] && [ ! -L "$path" ]; then
        # Shared folders (/usr/share/man/man1, ...) stay; one only trainlab owned must go.
        dpkg -S "$path" >/dev/null 2>&1 || left+=("$path/")
    elif [ -e "$path" ] || [ -L "$path" ]; then
        left+=("$path")
    fi
done <"$work/files"
[ -d /usr/share/trainlab ] && left+=("/usr/share/trainlab")
[ ${#left[@]} -eq 0 ] || fail "left after removal: ${left[*]}"
echo "every file of the package is gone ($(wc -l <"$work/files") paths checked)"

printf '\npackage-check: OK: %s (%s bytes)\n' "$(basename "$deb")" "$(stat -c %s "$deb")"
