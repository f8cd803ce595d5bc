#!/bin/sh
# SPDX-License-Identifier: ISC
# Every source file of the tree names its license (ISC, the LICENSE file)
# in its first lines, so that a file copied out of the tree still says it.
set -u
top=$top_srcdir
fails=0
missing() {
	echo "no 'SPDX-License-Identifier: ISC' in the first 3 lines of ${1#"$top"/}"
	fails=$((fails + 1))
}
for f in $(find "$top/src" "$top/tests" "$top/scripts" \
    \( -name node_modules -o -name corpus -o -name __pycache__ \) -prune -o \
    -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \
    -o -name '*.mjs' \) -print) \
    "$top/configure.ac" "$top/Makefile.am" "$top/man/mcpbridge.1" \
    "$top/scripts/bench" "$top/scripts/setup" "$top/scripts/quickstart" \
    "$top/scripts/test" "$top/scripts/soak" "$top/scripts/package-deb" \
    "$top/scripts/package-deb-test" "$top/scripts/container-test" \
    "$top/scripts/Containerfile" "$top/scripts/mcpbridge.service.in"; do
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: ISC' || missing "$f"
done
[ -f "$top/LICENSE" ] || { echo "no LICENSE"; fails=$((fails + 1)); }
echo "license: $fails file(s) without the notice"
[ $fails -eq 0 ]
