#!/bin/sh
# The man page is clean under mandoc -Tlint and documents every long option.
set -u
man="$top_srcdir/man/mcpbridge.1"
command -v mandoc >/dev/null 2>&1 || { echo "mandoc not installed"; exit 77; }
mandoc -Tlint -Wstyle "$man" || { echo "mandoc -Tlint complains"; exit 1; }
status=0
# Long options are the getopt tables' entries: { "name", X_argument, ...
for opt in $(grep -hoE '\{[[:space:]]*"[a-z][a-z0-9-]*",[[:space:]]*(no|required|optional)_argument' \
    "$top_srcdir"/src/*.c | sed -E 's/^\{ *"([^"]*)".*/\1/' | sort -u); do
	if ! grep -q -- "Fl -$opt" "$man"; then
		echo "option --$opt is not documented in mcpbridge.1"
		status=1
	fi
done
exit $status
