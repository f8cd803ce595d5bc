#!/bin/sh
# SPDX-License-Identifier: ISC
# The man page is clean under mandoc -Tlint, reads right as mandoc and groff
# render it, and documents every long option.
set -u
man="$top_srcdir/man/mcpbridge.1"
command -v mandoc >/dev/null 2>&1 || { echo "mandoc not installed"; exit 77; }
mandoc -Tlint -Wstyle "$man" || { echo "mandoc -Tlint complains"; exit 1; }
status=0
# What a reader sees: quotes that close before the next one opens (a
# nested .Ql renders as 'a, 'b''), every .Sx pointing at a heading, and the
# serve subsections before the client ones.
check_rendered() {	# check_rendered NAME: the rendering on stdin
	python3 -c '
import re, sys
name, bad = sys.argv[1], 0
# Plain text: no overstrikes (mandoc), no SGR escapes (groff).
text = re.sub(r"\x1b\[[0-9;]*m", "", re.sub(r".\x08", "", sys.stdin.read()))
for pair in ("\u2018\u2019", "\u201c\u201d"):
    depth = 0
    for i, ch in enumerate(text):
        if ch == pair[0]:
            depth += 1
            if depth > 1:
                print(name + ": nested quotes: " + text[max(0, i - 60):i + 20].replace("\n", " "))
                bad = 1
                break
        elif ch == pair[1]:
            depth = max(0, depth - 1)
sys.exit(bad)' "$1"
}
if command -v python3 >/dev/null 2>&1; then
	mandoc -Tutf8 "$man" | check_rendered mandoc || status=1
	if command -v groff >/dev/null 2>&1; then
		groff -mdoc -Tutf8 "$man" 2>/dev/null |
		    check_rendered groff || status=1
	fi
fi
# .Sx Heading words [delimiters]: the heading is the line less its trailing
# punctuation tokens.
sed -n 's/^\.Sx //p' "$man" | sed 's/\( [].,;:()[]\)*$//' | sort -u >"${TMPDIR:-/tmp}/sx.$$"
while IFS= read -r ref; do
	grep -qxF ".Sh $ref" "$man" || grep -qxF ".Ss $ref" "$man" ||
	    { echo "\".Sx $ref\" names no heading"; status=1; }
done <"${TMPDIR:-/tmp}/sx.$$"
rm -f "${TMPDIR:-/tmp}/sx.$$"
if grep '^\.Ss ' "$man" | sed -n '/^\.Ss Client/,$p' | grep -q '^\.Ss Serve'; then
	echo "a serve subsection comes after the client ones"
	status=1
fi
# Long options are the getopt tables' entries: { "name", X_argument, ...
for opt in $(grep -hoE '\{[[:space:]]*"[a-z][a-z0-9-]*",[[:space:]]*(no|required|optional)_argument' \
    "$top_srcdir"/src/*.c | sed -E 's/^\{ *"([^"]*)".*/\1/' | sort -u); do
	if ! grep -q -- "Fl -$opt" "$man"; then
		echo "option --$opt is not documented in mcpbridge.1"
		status=1
	fi
done
exit $status
