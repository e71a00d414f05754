#!/bin/sh
# `cmake --install` into a DESTDIR puts exactly the expected files in place, the validators that software
# centres and distributions run accept the desktop entry and the metainfo, the app id is the same everywhere,
# and the installed binary runs.
# usage: check_install.sh CMAKE BUILD_DIR APP_ID VERSION "ICON SIZES"
set -eu
cmake=$1
build=$2
app_id=$3
version=$4
sizes=$5
prefix=/usr

for tool in desktop-file-validate appstreamcli; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$tool is missing: install desktop-file-utils and appstream (packaging/install-deps.sh test)" >&2
        exit 1
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/wsi-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
DESTDIR="$root" "$cmake" --install "$build" --prefix "$prefix" >"$work/install.log"

{
    echo "$prefix/bin/wsinspector"
    echo "$prefix/share/applications/$app_id.desktop"
    echo "$prefix/share/metainfo/$app_id.metainfo.xml"
    echo "$prefix/share/icons/hicolor/scalable/apps/$app_id.svg"
    for size in $sizes; do
        echo "$prefix/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
    done
    echo "$prefix/share/man/man1/wsinspector.1.gz"
    echo "$prefix/share/doc/wsinspector/changelog.gz"
    echo "$prefix/share/doc/wsinspector/copyright"
} | sort >"$work/expected"
(cd "$root" && find . -type f | sed 's/^\.//' | sort) >"$work/installed"
if ! diff -u "$work/expected" "$work/installed" >"$work/diff"; then
    echo "installed files differ from the expected ones (- missing, + unexpected):" >&2
    cat "$work/diff" >&2
    exit 1
fi
for f in $(cat "$work/installed"); do
    if [ ! -s "$root$f" ]; then
        echo "$f is empty" >&2
        exit 1
    fi
done
echo "installed $(wc -l <"$work/installed") files, as expected"

# Gzipped as Debian policy and reproducible builds want: valid, and made with -n (no time stamp, FLG has no
# FNAME bit: the header's bytes 3 to 7 are zero).
for gz in "$root$prefix/share/man/man1/wsinspector.1.gz" "$root$prefix/share/doc/wsinspector/changelog.gz"; do
    if ! gzip -t "$gz" 2>"$work/gzip.log"; then
        echo "${gz#"$root"} is not a valid gzip file: $(cat "$work/gzip.log")" >&2
        exit 1
    fi
    header=$(od -An -tu1 -j3 -N5 "$gz" | tr -s ' ')
    if [ "$header" != " 0 0 0 0 0" ]; then
        echo "${gz#"$root"} carries a name or a time stamp (gzip header bytes 3-7:$header): not gzip -n" >&2
        exit 1
    fi
done
gzip -dc "$root$prefix/share/man/man1/wsinspector.1.gz" | grep -q '^\.TH WSINSPECTOR 1' \
    || { echo "the installed man page has no .TH WSINSPECTOR 1 line" >&2; exit 1; }
gzip -dc "$root$prefix/share/doc/wsinspector/changelog.gz" | head -n 1 | grep -q "^wsinspector ($version) " \
    || { echo "the changelog's latest entry is not for version $version" >&2; exit 1; }
grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
    "$root$prefix/share/doc/wsinspector/copyright" || { echo "the copyright file is not DEP-5" >&2; exit 1; }
echo "man page and changelog gzipped with -n; changelog at $version; copyright in DEP-5"

desktop="$root$prefix/share/applications/$app_id.desktop"
metainfo="$root$prefix/share/metainfo/$app_id.metainfo.xml"
# desktop-file-validate prints hints and warnings with exit status 0: any output counts as a failure.
if ! desktop-file-validate "$desktop" >"$work/desktop.log" 2>&1 || [ -s "$work/desktop.log" ]; then
    echo "desktop-file-validate rejects the desktop entry:" >&2
    cat "$work/desktop.log" >&2
    exit 1
fi
echo "desktop-file-validate: clean"
# --pedantic would also fail on info-level hints; warnings and errors fail the test.
if ! appstreamcli validate --no-net --no-color "$metainfo" >"$work/appstream.log" 2>&1; then
    echo "appstreamcli validate rejects the metainfo:" >&2
    cat "$work/appstream.log" >&2
    exit 1
fi
echo "appstreamcli validate --no-net: $(tail -n 1 "$work/appstream.log")"

grep -qx "Icon=$app_id" "$desktop" || { echo "the desktop entry's Icon is not $app_id" >&2; exit 1; }
grep -q "<id>$app_id</id>" "$metainfo" || { echo "the metainfo id is not $app_id" >&2; exit 1; }
grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo" \
    || { echo "the metainfo does not launch $app_id.desktop" >&2; exit 1; }
grep -q "<release version=\"$version\"" "$metainfo" \
    || { echo "the metainfo has no release $version, the project's version" >&2; exit 1; }

for size in $sizes; do
    png="$root$prefix/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
    # The PNG header holds the width and height as big-endian 32-bit numbers at bytes 16 and 20.
    dims=$(od -An -tu1 -j16 -N8 "$png" | awk '{ print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8 }')
    if [ "$dims" != "${size}x${size}" ]; then
        echo "the ${size}x${size} icon is $dims" >&2
        exit 1
    fi
done
echo "icons: scalable and $sizes, each of its size"

out=$("$root$prefix/bin/wsinspector" --version)
case "$out" in
"wsinspector $version "*) echo "installed binary: $out" ;;
*)
    echo "the installed binary's --version says \"$out\", expected wsinspector $version" >&2
    exit 1
    ;;
esac
