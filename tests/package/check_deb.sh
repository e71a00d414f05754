#!/bin/sh
# cpack builds the .deb with Depends computed by dpkg-shlibdeps; as root (CI) the package is installed with
# apt-get, /usr/bin/wsinspector runs --version and a headless serve, and the package is removed again. lintian
# checks the package first: any error fails the test, warnings and other tags are listed.
# usage: check_deb.sh CPACK BUILD_DIR VERSION
set -eu
cpack=$1
build=$2
version=$3

work=$(mktemp -d "${TMPDIR:-/tmp}/wsi-deb-XXXXXX")
installed_here=0
cleanup()
{
    if [ "$installed_here" -eq 1 ]; then
        env DEBIAN_FRONTEND=noninteractive apt-get remove -y -o DPkg::Lock::Timeout=120 wsinspector \
            >"$work/remove.log" 2>&1 || cat "$work/remove.log" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT
# A ctest timeout sends SIGTERM: exit through the EXIT trap, so the package does not stay installed.
trap 'exit 1' INT TERM

if ! command -v lintian >/dev/null 2>&1; then
    echo "lintian is missing: install it (packaging/install-deps.sh test)" >&2
    exit 1
fi
if ! command -v dpkg-shlibdeps >/dev/null 2>&1; then
    echo "dpkg-shlibdeps is missing: install dpkg-dev (packaging/install-deps.sh build)" >&2
    exit 1
fi
# The build directory's CPackConfig.cmake, with the packages written to our own directory so that parallel
# runs and an earlier `make package` do not mix.
(cd "$work" && "$cpack" --config "$build/CPackConfig.cmake" -B "$work/out") >"$work/cpack.log" 2>&1 || {
    cat "$work/cpack.log" >&2
    exit 1
}
deb=$(ls "$work"/out/wsinspector_"$version"_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
    echo "cpack made no wsinspector_${version}_*.deb:" >&2
    cat "$work/cpack.log" >&2
    exit 1
fi
echo "built $(basename "$deb") ($(wc -c <"$deb") bytes)"

field() { dpkg-deb -f "$deb" "$1"; }
for name in Package Version Maintainer Description Section Depends; do
    if [ -z "$(field "$name")" ]; then
        echo "the package has no $name field" >&2
        exit 1
    fi
done
[ "$(field Package)" = wsinspector ] || { echo "package name is $(field Package)" >&2; exit 1; }
[ "$(field Version)" = "$version" ] || { echo "package version is $(field Version), not $version" >&2; exit 1; }
depends=$(field Depends)
# Computed from the binary: every library the packaged binary needs (its ELF NEEDED entries) comes from a
# package that Depends names.
dpkg-deb -x "$deb" "$work/unpacked"
[ -x "$work/unpacked/usr/bin/wsinspector" ] || { echo "the package has no /usr/bin/wsinspector" >&2; exit 1; }
needed=$(LC_ALL=C readelf -d "$work/unpacked/usr/bin/wsinspector" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || { echo "readelf found no NEEDED libraries in the packaged binary" >&2; exit 1; }
for soname in $needed; do
    owners=$(dpkg -S "*/$soname" 2>/dev/null | sed 's/: .*//' | tr ',' '\n' | sed 's/^ *//; s/:.*//' | sort -u)
    if [ -z "$owners" ]; then
        echo "no installed package holds $soname, which the binary needs" >&2
        exit 1
    fi
    found=0
    for owner in $owners; do
        case ", $depends," in
        *", $owner "* | *", $owner,"*) found=1 ;;
        esac
    done
    if [ $found -eq 0 ]; then
        echo "Depends names none of the packages holding $soname ($(echo $owners)): $depends" >&2
        exit 1
    fi
done
echo "Depends: $depends"

# Tags of every level but the classification ones (N: notes are explanations, not findings); run as root,
# lintian says so on stderr, which is no finding either.
status=0
lintian --info --pedantic --fail-on error "$deb" >"$work/lintian.log" 2>"$work/lintian.err" || status=$?
grep -v '^N:' "$work/lintian.log" >"$work/lintian.tags" || true
if [ -s "$work/lintian.tags" ]; then
    echo "lintian:"
    sed 's/^/    /' "$work/lintian.tags"
else
    echo "lintian --info --pedantic: no tags"
fi
if [ $status -ne 0 ] || grep -q '^E:' "$work/lintian.tags"; then
    echo "lintian reports errors (exit status $status):" >&2
    grep -v 'running with root privileges' "$work/lintian.err" >&2 || true
    exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED the install check: installing the package needs root (CI runs as root)"
    exit 0
fi
if dpkg-query -W -f='${Status}' wsinspector 2>/dev/null | grep -q 'install ok installed'; then
    echo "SKIPPED the install check: a wsinspector package is already installed, and this test would replace and" \
        "then remove it (apt-get remove wsinspector first)"
    exit 0
fi
installed_here=1
# The lock timeout waits out another apt-get (install-deps.sh in a parallel job) instead of failing at once.
if ! env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=120 \
    "$deb" >"$work/install.log" 2>&1; then
    echo "apt-get install of the package failed:" >&2
    cat "$work/install.log" >&2
    exit 1
fi
out=$(/usr/bin/wsinspector --version)
case "$out" in
"wsinspector $version "*) echo "installed: $out" ;;
*)
    echo "/usr/bin/wsinspector --version says \"$out\"" >&2
    exit 1
    ;;
esac

# A headless serve on a free port, for a second: it must report where it listens, then end cleanly on SIGTERM.
# Its journal goes to a throwaway data folder.
XDG_DATA_HOME="$work/data" /usr/bin/wsinspector serve --port 0 >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
sleep 1
tries=0
while ! grep -q '^listening on ws://' "$work/serve.out" && [ $tries -lt 100 ] && kill -0 $pid 2>/dev/null; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -TERM $pid 2>/dev/null || true
status=0
wait $pid || status=$?
if ! grep -q '^listening on ws://127.0.0.1:[0-9]' "$work/serve.out"; then
    echo "the installed wsinspector serve did not report where it listens:" >&2
    cat "$work/serve.out" "$work/serve.err" >&2
    exit 1
fi
if [ $status -ne 0 ]; then
    echo "the installed wsinspector serve exited with $status on SIGTERM:" >&2
    cat "$work/serve.err" >&2
    exit 1
fi
echo "installed serve: $(head -n 1 "$work/serve.out"), exit 0 on SIGTERM"

if ! env DEBIAN_FRONTEND=noninteractive apt-get remove -y -o DPkg::Lock::Timeout=120 wsinspector \
    >"$work/remove.log" 2>&1; then
    echo "apt-get remove wsinspector failed:" >&2
    cat "$work/remove.log" >&2
    exit 1
fi
installed_here=0
if [ -e /usr/bin/wsinspector ]; then
    echo "/usr/bin/wsinspector is still there after apt-get remove" >&2
    exit 1
fi
echo "removed again"
