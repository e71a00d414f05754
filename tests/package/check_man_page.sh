#!/bin/sh
# The man page documents the options that `wsinspector --help` lists, no more and no fewer: both option lists
# are compared by name (an option is a word starting with - or -- after a space, a bracket, a bar or a comma).
# usage: check_man_page.sh WSINSPECTOR MANPAGE
set -eu
binary=$1
manpage=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/wsi-man-XXXXXX")
trap 'rm -rf "$work"' EXIT

options()
{
    grep -oE '(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[][ ,|(]//' | sort -u
}

"$binary" --help >"$work/help.txt"
"$binary" --help | options >"$work/help.options"
# Roff: \- is a dash, \fB \fI \fR \fP switch fonts.
sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' "$manpage" | options >"$work/man.options"

count=$(wc -l <"$work/help.options")
if [ "$count" -lt 20 ]; then
    echo "only $count options found in --help: the extraction is broken" >&2
    exit 1
fi
if ! diff -u "$work/help.options" "$work/man.options" >"$work/diff"; then
    echo "the man page and --help list different options (- only in --help, + only in the man page):" >&2
    cat "$work/diff" >&2
    exit 1
fi
echo "man page and --help agree on $count options"
