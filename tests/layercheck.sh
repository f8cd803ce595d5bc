#!/bin/sh
# SPDX-License-Identifier: ISC
# The library keeps to its layers: no cycle between modules, no edge or
# #include up a layer, and nothing of the client, OAuth or libcurl in the
# link of the multiplexer (tests/layercheck.py, table in tests/layers.txt).
set -u
command -v python3 >/dev/null 2>&1 || { echo "python3 not installed"; exit 77; }
command -v "${NM:-nm}" >/dev/null 2>&1 || { echo "nm not installed"; exit 77; }
exec python3 "$top_srcdir/tests/layercheck.py" "$top_builddir/src/libmcpbridge.a" \
    "$top_srcdir/tests/layers.txt" "$top_srcdir/src"
