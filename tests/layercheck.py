#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""layercheck: the library keeps to its layers (STYLE.md, "The layout").

usage: layercheck.py ARCHIVE LAYERS [SRCDIR]        (NM picks the nm)

Reads `nm` of ARCHIVE, resolves each object's undefined symbols to the object
that defines them, and fails (exit 1) on:
  - a cycle between modules (an object's module is the table's 3rd column,
    so the files of one split module, mux*.o behind mux_int.h, may need
    each other);
  - an edge from an object to one in a higher layer;
  - an object in the archive with no line in the table;
  - an upward #include "x.h" in SRCDIR/*.[ch] (x.h has x.o's layer, or its
    own line for a header without a .c), for what nm cannot see (structs,
    macros);
  - in the closure of mux.o, any client.*, oauth*, curl_event object or any
    object above core: the multiplexer is free of I/O in its link too;
  - an "allow:" line that hides no problem any more, or has no comment.

LAYERS: "name layer [module]" lines, '#' comments.  "order: l1 l2 ..." lists
the layers lowest first.  "allow: a.o b.o  # why, and the commit that ends it"
tolerates one known edge (a symbol edge, or "allow: a.o x.h" an include)
while the redesign is under way; the list only shrinks.
"""
import os
import re
import subprocess
import sys
from collections import defaultdict


def mux_never(module):
    """What mux.o must never link, whatever layer the table gives it: the
    client mode (its module "client", not client_modern, which is pure
    protocol), OAuth (oauth*), the libcurl glue (curl_event*)."""
    root = module[:-2] if module.endswith(".o") else module
    return root == "client" or root.startswith(("oauth", "curl_event"))


def graph(archive):
    """The objects of ARCHIVE and, per object, {object it needs: {symbols}}."""
    nm = subprocess.run([os.environ.get("NM", "nm"), "-A", "-g", archive],
                        stdout=subprocess.PIPE, universal_newlines=True)
    if nm.returncode != 0:
        sys.exit("layercheck: nm cannot read %s" % archive)
    out = nm.stdout
    defs, undef, objs = {}, defaultdict(set), set()
    for line in out.splitlines():   # archive:obj.o:<addr> T sym | ... U sym
        head, _, rest = line.rpartition(":")
        obj, f = head.split(":")[-1], rest.split()
        if not obj.endswith(".o") or len(f) < 2:
            continue
        objs.add(obj)
        if f[-2] == "U":
            undef[obj].add(f[-1])
        elif f[-2] not in ("w", "v"):      # a weak symbol defines nothing
            defs.setdefault(f[-1], obj)
    need = {o: defaultdict(set) for o in objs}
    for o in objs:
        for s in undef[o]:
            if defs.get(s, o) != o:
                need[o][defs[s]].add(s)
    return objs, need


def sccs(nodes, need):
    """Tarjan: the strongly connected components of more than one node."""
    idx, low, st, on, out = {}, {}, [], set(), []

    def visit(v):
        idx[v] = low[v] = len(idx)
        st.append(v)
        on.add(v)
        for w in sorted(need[v]):
            if w not in idx:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], idx[w])
        if low[v] == idx[v]:
            c = []
            while not c or c[-1] != v:
                c.append(st.pop())
                on.discard(c[-1])
            if len(c) > 1:
                out.append(sorted(c))
    for v in sorted(nodes):
        if v not in idx:
            visit(v)
    return out


def closure(start, need):
    seen, todo = {start}, [start]
    while todo:
        new = set(need[todo.pop()]) - seen
        seen |= new
        todo += new
    return seen


def load_layers(path):
    """(order, {name: layer}, {name: module}, {(a, b): line}, problems)"""
    order, layer, module, allow, bad = None, {}, {}, {}, []
    with open(path) as fp:
        for n, line in enumerate(fp, 1):
            body, _, comment = line.partition("#")
            f = body.split()
            where = "%s:%d" % (os.path.basename(path), n)
            if not f:
                continue
            if f[0] == "order:":
                order = f[1:]
            elif f[0] == "allow:":
                if len(f) != 3:
                    bad.append("BAD LINE: %s: allow: takes two names" % where)
                elif not comment.strip():
                    bad.append("BAD LINE: %s: allow: %s %s says neither "
                               "why nor which commit removes it" %
                               (where, f[1], f[2]))
                allow[tuple(f[1:3])] = where
            elif len(f) in (2, 3):
                layer[f[0]] = f[1]
                module[f[0]] = f[2] if len(f) > 2 else f[0]
            else:
                bad.append("BAD LINE: %s: %s" % (where, line.strip()))
    if not order:
        sys.exit("layercheck: %s has no order: line" % path)
    bad += ["BAD LINE: %s has layer %s, not in order:" % (o, l)
            for o, l in sorted(layer.items()) if l not in order]
    return order, layer, module, allow, bad


def includes(srcdir, layer):
    """(file's object, header, header's layer) for every #include "x.h"
    between files of the table; a header x.h stands for x.o."""
    def key(stem):
        return stem + ".o" if stem + ".o" in layer else stem + ".h"
    for fn in sorted(os.listdir(srcdir)):
        stem, ext = os.path.splitext(fn)
        if ext not in (".c", ".h") or key(stem) not in layer:
            continue
        with open(os.path.join(srcdir, fn)) as fp:
            text = fp.read()
        for h in re.findall(r'^\s*#\s*include\s+"([^"/]+)\.h"', text, re.M):
            if h != stem and key(h) in layer:
                yield key(stem), h + ".h", key(h)


def problems(objs, need0, order, layer, module, allow, srcdir, show=False):
    """What is wrong with the graph need0 once the edges in allow are left
    out of it."""
    rank = {name: i for i, name in enumerate(order)}

    def lrank(name):
        return rank.get(layer.get(name), -1)

    def mod(o):
        return module.get(o, o)
    need = {o: {d: s for d, s in need0[o].items() if (o, d) not in allow}
            for o in objs}
    bad = []
    mneed = defaultdict(set)
    for o in objs:
        mneed[mod(o)] |= {mod(d) for d in need[o]} - {mod(o)}
    for c in sccs({mod(o) for o in objs}, mneed):
        bad.append("CYCLE: " + " <-> ".join(c))
        bad += ["    %s -> %s: %s" % (a, b, " ".join(sorted(need[a][b])))
                for a in sorted(objs) for b in sorted(need[a])
                if mod(a) in c and mod(b) in c and mod(a) != mod(b)]
    for o in sorted(objs):
        if o not in layer:
            bad.append("NO LAYER: %s (give it a line in the table)" % o)
            continue
        bad += ["UP: %s (%s) -> %s (%s): %s" % (o, layer[o], d, layer[d],
                " ".join(sorted(need[o][d]))) for d in sorted(need[o])
                if d in layer and lrank(d) > lrank(o)]
    if srcdir:
        bad += ["UP INCLUDE: %s (%s) includes %s (%s)" %
                (o, layer[o], h, layer[hk])
                for o, h, hk in includes(srcdir, layer)
                if lrank(hk) > lrank(o) and mod(hk) != mod(o)
                and (o, h) not in allow]
    if "mux.o" not in objs:
        return bad + ["NO mux.o in the archive"]
    c = closure("mux.o", need)
    if show:
        print("== closure of mux.o (%d objects): %s" % (len(c),
                                                        " ".join(sorted(c))))
    return bad + ["MUX CLOSURE HOLDS: %s (%s)" % (o, layer.get(o, "?"))
                  for o in sorted(c) if mod(o) != mod("mux.o") and
                  (mux_never(mod(o)) or lrank(o) > rank.get("core", 0))]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    order, layer, module, allow, bad = load_layers(sys.argv[2])
    srcdir = sys.argv[3] if len(sys.argv) > 3 else None
    objs, need = graph(sys.argv[1])
    print("== needs (object -> objects whose symbols it uses)")
    for o in sorted(objs):
        print("%-16s %-11s -> %s" % (o, layer.get(o, "?"),
                                     " ".join(sorted(need[o])) or "-"))
    args = (objs, need, order, layer, module)
    found = problems(*args, set(allow), srcdir, show=True)
    # An allow: line must be what keeps a problem out; one that no longer
    # does (the edge is gone, or it is legal now) goes, so the list shrinks.
    bad += found + ["STALE ALLOW: %s: allow: %s %s hides nothing the "
                    "others do not; remove it" % (allow[a], a[0], a[1])
                    for a in sorted(allow)
                    if len(problems(*args, set(allow) - {a}, srcdir)) <=
                    len(found)]
    print("\n".join(["== problems"] + bad))
    print("== %s (%d)" % ("FAIL" if bad else "PASS",
                          sum(not b.startswith(" ") for b in bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
