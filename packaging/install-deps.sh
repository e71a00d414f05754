#!/usr/bin/env bash
# Installs the Debian 12 packages that WebSocket Inspector needs, and only those that are missing.
#
#   packaging/install-deps.sh          build and test dependencies
#   packaging/install-deps.sh build    compiler, CMake, Ninja, Qt 6, zlib, dpkg-dev (make package computes the
#                                      .deb's Depends with its dpkg-shlibdeps)
#   packaging/install-deps.sh test     the real peers the integration tests talk to (Python websockets, headless
#                                      Chromium), tshark to read our pcap exports, openssl for throwaway TLS
#                                      certificates, an X server for GUI checks, and what the fuzzers need (make
#                                      test runs them too), and the validators of the installed desktop entry
#                                      and AppStream metainfo (desktop-file-utils, appstream), and lintian
#                                      for the .deb
#   packaging/install-deps.sh fuzz     clang with its libFuzzer and sanitizer runtimes (make fuzz)
#   packaging/install-deps.sh dev      clang with its sanitizer runtimes (for the asan preset) and clang-format
#                                      (for make format)
#
# Safe to run again and again: when nothing is missing it prints one line and touches nothing.
# Runs apt-get as root, through sudo for other users.
set -euo pipefail

# Qt6Gui's CMake config needs OpenGL headers and libraries (FindOpenGL with GLVND: GL/gl.h, libOpenGL, libGLX)
# and the Vulkan headers; qt6-base-dev depends on them, libgl-dev is named so the need is written down.
# XKB (libxkbcommon-dev) and EGL are optional for the public Gui/Widgets targets and are not needed.
build_packages=(build-essential cmake ninja-build pkg-config qt6-base-dev qt6-base-dev-tools qt6-websockets-dev
    libgl-dev zlib1g-dev dpkg-dev)
# clang only recommends its runtime libraries (libFuzzer, ASan, UBSan: libclang-rt-14-dev on Debian 12, through
# the libclang-rt-dev that follows the default clang), and recommends are not installed below.
fuzz_packages=(clang libclang-rt-dev)
test_packages=(python3 python3-websockets xvfb xauth chromium openssl tshark desktop-file-utils appstream
    lintian "${fuzz_packages[@]}")
dev_packages=(clang-format "${fuzz_packages[@]}")

usage()
{
    echo "usage: $0 [build|test|fuzz|dev]... (no argument: build and test)" >&2
    exit 2
}

wanted=()
if [ $# -eq 0 ]; then
    set -- build test
fi
for group in "$@"; do
    case "$group" in
    build) wanted+=("${build_packages[@]}") ;;
    test) wanted+=("${test_packages[@]}") ;;
    fuzz) wanted+=("${fuzz_packages[@]}") ;;
    dev) wanted+=("${dev_packages[@]}") ;;
    -h | --help) usage ;;
    *)
        echo "$0: unknown group '$group'" >&2
        usage
        ;;
    esac
done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "$0: this script needs a Debian-based system (dpkg-query and apt-get); install these packages" \
        "by other means: ${wanted[*]}" >&2
    exit 1
fi

missing=()
for package in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "wsinspector dependencies ($*): all installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
    as_root() { sudo "$@"; }
else
    echo "$0: these packages are missing: ${missing[*]}" >&2
    echo "$0: installing them needs root, and sudo is not available. Run this script as root," \
        "or install them yourself: apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "wsinspector: installing ${missing[*]}"
# tshark's wireshark-common asks whether non-root users may capture packets. The noninteractive frontend below
# keeps apt-get from asking; the answer, no (the tests only read files), is preseeded so that it is ours rather
# than whatever the template defaults to.
if [[ " ${missing[*]} " == *" tshark "* ]]; then
    echo "wireshark-common wireshark-common/install-setuid boolean false" | as_root debconf-set-selections
fi
as_root env DEBIAN_FRONTEND=noninteractive apt-get update
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
