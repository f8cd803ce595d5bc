#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# status.py: GET /status (HTML) and /status.json as an operator reads
# them: the bridge's version, URL and uptime; each server (the only one,
# or each of a --config file, one with --children 2) with its command's
# argv[0], its children's pids, state, era, restarts and last exit; a
# child killed shows up restarted, with its cause, in its own server's
# errors only, and one not restarted says so; no argument or --env value
# of a command appears; the page has no script and says so in its
# policy; it is protected like /metrics (the token on the main listener,
# none on --metrics-listen).  Exit 0 pass, 1 fail, 77 skip.
import atexit
import json
import os
import shutil
import signal
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import SERVER, free_port, wait_ready  # noqa: E402
from mcptest.run import check, main, need_built  # noqa: E402
from mcptest.wire import call, exchange, initialize  # noqa: E402

ARG_SECRET = "arg-secret-4f1c9e"
ENV_SECRET = "env-secret-7b2d0a"
TOKEN = "status-token-0123456789"
METRICS_PORT = free_port()
# argv[0] /bin/sh; the secret is an argument ($0 of the script).
WRAPPED = ["/bin/sh", "-c", "exec %s" % SERVER, ARG_SECRET]

TMP = tempfile.mkdtemp(prefix="status-test.")
atexit.register(shutil.rmtree, TMP, True)
SEVERAL = os.path.join(TMP, "several.json")
with open(SEVERAL, "w") as f:
    json.dump({"mcpServers": {
        "pool": {"command": SERVER,
                 "env": {"STATUS_SECRET": ENV_SECRET},
                 "mcpbridge": {"children": 2}},
        "wrapped": {"command": WRAPPED[0], "args": WRAPPED[1:]},
        "once": {"command": SERVER, "mcpbridge": {"restart": "no"}},
    }}, f)


def metrics_port():
    mb = type("M", (), {})()
    mb.host, mb.port, mb.base, mb.hostport, mb.headers = \
        "127.0.0.1", METRICS_PORT, "", "127.0.0.1:%d" % METRICS_PORT, {}
    return mb


def status(b):
    code, hdrs, data = exchange(b, "GET", "/status.json")
    check(code == 200 and hdrs.get("content-type") == "application/json",
          "/status.json: %d %r %r" % (code, hdrs, data[:200]))
    check(ARG_SECRET not in data.decode() and
          ENV_SECRET not in data.decode(), "a secret in %r" % data)
    return json.loads(data)


def page(b):
    code, hdrs, data = exchange(b, "GET", "/status")
    text = data.decode()
    check(code == 200 and hdrs.get("content-type", "").startswith(
        "text/html"), "/status: %d %r" % (code, hdrs))
    check("script-src" not in hdrs.get("content-security-policy", "x") and
          "default-src 'none'" in hdrs.get("content-security-policy", ""),
          "/status policy: %r" % hdrs)
    check("<script" not in text and "src=" not in text and
          "href=" not in text, "/status loads or runs something:\n" + text)
    check(ARG_SECRET not in text and ENV_SECRET not in text,
          "a secret in /status:\n" + text)
    return text


def server(st, name):
    for s in st["servers"]:
        if s["name"] == name:
            return s
    raise AssertionError("no server %r in %r" % (name, st))


def kill_and_wait(b, name, index):
    """SIGKILL the child /status.json names, then until it shows its
    successor ready: the new status."""
    c = server(status(b), name)["children"][index]
    old = c["pid"]
    check(old and os.path.exists("/proc/%d" % old), "pid %r" % old)
    os.kill(old, signal.SIGKILL)
    for _ in range(200):
        st = status(b)
        c = server(st, name)["children"][index]
        if c["pid"] not in (None, old) and c["ready"]:
            return st
        time.sleep(0.05)
    raise AssertionError("child %d of %r not back: %r" % (index, name, c))


def test_one(b):
    wait_ready(b)
    sid, version = initialize(b)
    code, _ = call(b, sid, version, 2, "echo", {"message": "m"})
    check(code == 200, "echo: %d" % code)
    st = status(b)
    check(st["url"] == b.url and st["version"] and st["ready"] is True and
          st["uptime_seconds"] >= 0 and st["sessions"] == 1 and
          st["requests_answered"] >= 2 and
          st["errors_kept"] == 8, "bridge: %r" % st)
    check(len(st["servers"]) == 1, "servers: %r" % st)
    s = st["servers"][0]
    check(s["name"] is None and s["command"] == "/bin/sh" and
          s["sessions"] == 1 and s["requests_total"] >= 1 and
          s["ready"] is True and s["errors"] == [], "server: %r" % s)
    c = s["children"][0]
    check(len(s["children"]) == 1 and c["index"] == 1 and c["up"] and
          c["ready"] and c["era"] == "legacy" and c["restarts"] == 0 and
          c["last_exit"] is None and os.path.exists("/proc/%d" % c["pid"]),
          "child: %r" % c)
    st = kill_and_wait(b, None, 0)
    s = st["servers"][0]
    c = s["children"][0]
    check(c["restarts"] == 1 and
          c["last_exit"] == "killed by signal 9 (SIGKILL)", "child: %r" % c)
    check(s["errors"] and s["errors"][0]["error"] ==
          "child killed by signal 9 (SIGKILL); restarting" and
          abs(s["errors"][0]["time"] - time.time()) < 60,
          "errors: %r" % s["errors"])
    text = page(b)
    for want in ("<td>/bin/sh</td>", "killed by signal 9 (SIGKILL)",
                 "<td>%d</td>" % c["pid"], b.url):
        check(want in text, "%r not in:\n%s" % (want, text))
    # GET only, as /metrics.
    code, hdrs, _ = exchange(b, "POST", "/status", {
        "Content-Type": "application/json"}, "{}")
    check(code == 405 and hdrs.get("allow") == "GET", "POST: %d" % code)
    # The same on the scraper port.
    mb = metrics_port()
    check(status(mb)["servers"][0]["children"][0]["pid"] == c["pid"],
          "--metrics-listen /status.json")
    check("killed by signal 9" in page(mb), "--metrics-listen /status")


def test_auth(b):
    wait_ready(b)
    for path in ("/status", "/status.json"):
        code, _, _ = exchange(b, "GET", path)
        check(code == 401, "%s without a token: %d" % (path, code))
        code, _, _ = exchange(b, "GET", path,
                              {"Authorization": "Bearer wrong-token-1234"})
        check(code == 401, "%s with a wrong token: %d" % (path, code))
    b.headers["Authorization"] = "Bearer " + TOKEN
    check(status(b)["servers"][0]["ready"], "with the token")
    page(b)
    # --metrics-listen has no tokens, as for /metrics.
    check(status(metrics_port())["ready"], "--metrics-listen")


def test_several(b):
    wait_ready(b)
    # /readyz answers once one copy of the pool is ready; the check below
    # wants both, so wait for the second (a copy that never gets ready
    # still fails it).
    end = time.time() + 10
    st = status(b)
    while time.time() < end and not all(
            c["ready"] for c in server(st, "pool")["children"]):
        time.sleep(0.05)
        st = status(b)
    check(sorted(s["name"] for s in st["servers"]) ==
          ["once", "pool", "wrapped"],
          "servers: %r" % st)
    p, w = server(st, "pool"), server(st, "wrapped")
    check(p["command"] == SERVER and w["command"] == "/bin/sh",
          "commands: %r %r" % (p["command"], w["command"]))
    pids = [c["pid"] for c in p["children"]]
    check(len(pids) == 2 and len(set(pids)) == 2 and
          [c["index"] for c in p["children"]] == [1, 2] and
          all(c["ready"] for c in p["children"]), "pool: %r" % p)
    check(len(w["children"]) == 1, "wrapped: %r" % w)
    st = kill_and_wait(b, "pool", 1)
    p, w = server(st, "pool"), server(st, "wrapped")
    check(p["children"][1]["restarts"] == 1 and
          p["children"][0]["restarts"] == 0 and
          p["children"][0]["pid"] == pids[0] and
          p["children"][1]["last_exit"] == "killed by signal 9 (SIGKILL)",
          "pool after: %r" % p)
    check([e["error"] for e in p["errors"]] ==
          ["child 2 killed by signal 9 (SIGKILL); restarting"],
          "pool errors: %r" % p["errors"])
    check(w["errors"] == [] and w["children"][0]["restarts"] == 0,
          "wrapped disturbed: %r" % w)
    # A child that is not restarted: down, no pid, and both in its errors.
    old = server(st, "once")["children"][0]["pid"]
    os.kill(old, signal.SIGKILL)
    for _ in range(200):
        o = server(status(b), "once")
        if len(o["errors"]) == 2:
            break
        time.sleep(0.05)
    check([e["error"] for e in o["errors"]] ==
          ["child will not be restarted",
           "child killed by signal 9 (SIGKILL)"] and
          o["children"][0]["pid"] is None and
          not o["children"][0]["up"] and not o["ready"] and
          o["children"][0]["last_exit"] == "killed by signal 9 (SIGKILL)",
          "once: %r" % o)
    check(server(status(b), "pool")["ready"], "pool disturbed")
    text = page(b)
    for want in ("pool", "wrapped", "child 2 killed by signal 9",
                 "child will not be restarted"):
        check(want in text, "%r not in:\n%s" % (want, text))


if __name__ == "__main__":
    need_built()
    what = sys.argv[1] if len(sys.argv) > 1 else None
    if what == "one":
        main(test_one, "--env", "STATUS_SECRET=" + ENV_SECRET,
             "--metrics-listen", "127.0.0.1:%d" % METRICS_PORT,
             command=WRAPPED)
    elif what == "auth":
        main(test_auth, "--auth-token-env", "STATUS_TOKEN",
             "--metrics-listen", "127.0.0.1:%d" % METRICS_PORT,
             env={"STATUS_TOKEN": TOKEN})
    elif what == "several":
        main(test_several, config=SEVERAL)
    else:
        from mcptest.run import run_each
        run_each(["one", "auth", "several"])
