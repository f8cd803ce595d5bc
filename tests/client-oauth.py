#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Client mode signing in with OAuth against an MCP server and an
authorization server of mcptest.mock: the first sign-in and its store (0700
directory, 0600 file, tokens never logged and never sent anywhere but the
MCP endpoint), the stored sign-in used again, a refresh with rotation, a
refused refresh answered by signing in again, a refresh ahead of expiry
(and a refused one, which opens no browser), two instances started
together sharing one sign-in, a hostile authorization server whose
authorization endpoint is refused before anything runs, --oauth-timeout,
callbacks with the wrong state or replayed, and --no-oauth.  The browser is
a small script that fetches the URL.  Python standard library only;
bounded timeouts; 77 if the binary is missing.
"""
import json
import os
import shutil
import stat
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import (BRIDGE, INIT, INITIALIZED,  # noqa: E402
                            Client)
from mcptest.mock import OAuthServer  # noqa: E402
from mcptest.run import need_built, scenario_names, scenarios  # noqa: E402

TMP = tempfile.mkdtemp(prefix="client-oauth.")

# The browser: fetch the authorization URL, then visit the redirect (our
# callback) as told: "follow" once; "slow" after a second; "tricks" first
# with a wrong state, then for real, then the same again.  Every step is
# written to LOG, so a test can see whether the script ran at all.
OPENER = os.path.join(TMP, "opener.py")
with open(OPENER, "w") as f:
    f.write('''import os, sys, time, urllib.error, urllib.request, urllib.parse
mode, log, url = sys.argv[1], sys.argv[2], sys.argv[3]
def note(s):
    with open(log, "a") as f:
        f.write(s + "\\n")
note("opened " + url)
note("secrets in my environment: %r" % sorted(
    k for k, v in os.environ.items() if k.startswith("MCPB_SECRET_") or
    v.startswith("secret-")))
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a):
        return None
op = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
def get(u):
    try:
        return op.open(u, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:
        return "refused"
if mode == "slow":
    time.sleep(1)
if mode == "noisy":
    sys.stderr.write("opener: a line of the browser's own\\n")
    sys.stderr.flush()
try:
    op.open(url, timeout=10)
    sys.exit("no redirect")
except urllib.error.HTTPError as e:
    back = e.headers["Location"]
if mode == "tricks":
    p = urllib.parse.urlsplit(back)
    q = urllib.parse.parse_qsl(p.query)
    q = [(k, "x" + v if k == "state" else v) for k, v in q]
    note("bogus %s" % get(p._replace(query=urllib.parse.urlencode(q)).geturl()))
note("real %s" % get(back))
if mode == "tricks":
    time.sleep(0.2)
    note("replay %s" % get(back))
''')


def opener(mode, log):
    return "python3 %s %s %s" % (OPENER, mode, log)


def bridge(srv, store, *args, mode="follow", log=None):
    log = log or os.path.join(TMP, "opener.log")
    return Client(srv.url(), "--oauth-store", store, "--oauth-open",
                  opener(mode, log), "--oauth-timeout", "20s", *args)


def tools_list(b, i):
    b.send({"jsonrpc": "2.0", "id": i, "method": "tools/list"})
    r = b.recv(timeout=30)
    assert r.get("id") == i and "result" in r, r
    return r


def done(b):
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    return b.stderr()


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def stored(store):
    (name,) = [n for n in os.listdir(store) if n.endswith(".json")]
    with open(os.path.join(store, name)) as f:
        return os.path.join(store, name), json.load(f)


# ---------------------------------------------------------------- scenarios

def scenario_signin_refresh():
    srv = OAuthServer()
    st = srv.st
    store = os.path.join(TMP, "one", "store")
    logs = []

    # The first sign-in: initialize waits for it.
    b = bridge(srv, store)
    b.send(INIT)
    r = b.recv(timeout=30)
    assert r["id"] == 0 and "result" in r, r
    b.send(INITIALIZED)
    tools_list(b, 1)
    logs.append(done(b))
    assert st.count["authorize"] == 1 and st.count["register"] == 1 and \
        st.count["code"] == 1, st.count
    assert mode_of(store) == 0o700, oct(mode_of(store))
    path, doc = stored(store)
    assert mode_of(path) == 0o600, oct(mode_of(path))
    assert doc["tokens"]["access_token"] in st.access
    assert doc["clients"][st.base]["client_id"] == "client-1"
    assert not [n for n in os.listdir(store) if n.startswith(".")], \
        "a temporary file was left behind"

    # The next run uses the stored token: no 401, no sign-in.
    before = st.count["401"]
    b = bridge(srv, store)
    b.handshake()
    tools_list(b, 1)
    logs.append(done(b))
    assert st.count["401"] == before and st.count["authorize"] == 1, \
        st.count

    # The token is refused: refreshed, and the refresh token rotated.
    old_rt = doc["tokens"]["refresh_token"]
    st.access.clear()
    b = bridge(srv, store)
    b.handshake()
    tools_list(b, 1)
    logs.append(done(b))
    assert st.count["refresh"] == 1 and st.count["authorize"] == 1, st.count
    _, doc = stored(store)
    assert doc["tokens"]["refresh_token"] != old_rt
    assert doc["tokens"]["refresh_token"] in st.refresh
    assert old_rt not in st.refresh

    # A refused refresh: sign in again, with the registration kept.
    st.access.clear()
    st.refuse_refresh = True
    b = bridge(srv, store)
    b.handshake()
    tools_list(b, 1)
    logs.append(done(b))
    assert st.count["refresh"] == 2 and st.count["authorize"] == 2 and \
        st.count["register"] == 1, st.count

    # Tokens only to the MCP endpoint, in the header; never in a log.
    for p, auth in st.seen:
        if p != "/mcp":
            assert auth is None, "Authorization sent to %s" % p
        else:
            assert auth is None or auth.startswith("Bearer "), auth
    for t in st.issued:
        for log in logs:
            assert t not in log, "a token or code is in the log"
    srv.stop()


def scenario_refresh_ahead():
    # Tokens that live 8s: four seconds before the end (half the lifetime,
    # under the 60s margin) the next request waits for a refresh and
    # leaves with the new token; the server never sees a 401 for it.
    # (The bridge counts whole seconds: a request up to 3s after a token
    # came does not refresh it, one 4.3s after does.)
    srv = OAuthServer()
    st = srv.st
    st.expires_in = 8
    store = os.path.join(TMP, "ahead")
    b = bridge(srv, store)
    b.handshake()
    tools_list(b, 1)
    assert st.count["refresh"] == 0 and st.count["code"] == 1, st.count
    first = st.used[-1]
    before = st.count["401"]
    time.sleep(4.3)
    tools_list(b, 2)
    assert st.count["refresh"] == 1, st.count
    assert st.used[-1] != first and st.used[-1] in st.access, \
        "the refreshed token was used"
    assert st.count["401"] == before, st.count
    # A refused refresh ahead of expiry opens no browser: the token in
    # use goes on while it lasts.
    st.refuse_refresh = True
    time.sleep(4.3)
    second = st.used[-1]
    tools_list(b, 3)
    assert st.count["refresh"] == 2 and st.count["authorize"] == 1, st.count
    assert st.used[-1] == second, "the old token, still valid"
    assert st.count["401"] == before, st.count
    tools_list(b, 4)
    assert st.count["refresh"] == 2, "not tried again for the same token"
    done(b)
    srv.stop()


def scenario_refresh_unavailable():
    # The token endpoint is down when the refresh ahead of expiry runs:
    # the refresh token is kept, so when the access token is refused the
    # bridge refreshes then, and no browser opens.
    srv = OAuthServer()
    st = srv.st
    st.expires_in = 8                   # as in refresh_ahead
    b = bridge(srv, os.path.join(TMP, "unavailable"))
    b.handshake()
    tools_list(b, 1)
    st.refresh_down = 1
    time.sleep(4.3)
    tools_list(b, 2)
    assert st.count["refresh"] == 1, st.count
    with st.lock:
        st.access.discard(st.used[-1])      # refused from now on
    tools_list(b, 3)
    assert st.count["refresh"] == 2 and st.count["authorize"] == 1, \
        st.count
    done(b)
    srv.stop()


def scenario_shared_signin():
    srv = OAuthServer()
    st = srv.st
    store = os.path.join(TMP, "shared")
    # The browser takes a second: long enough for both to want it.
    bs = [bridge(srv, store, mode="slow") for _ in range(2)]
    for b in bs:
        b.send(INIT)
    for b in bs:
        r = b.recv(timeout=30)
        assert r["id"] == 0 and "result" in r, r
        b.send(INITIALIZED)
        tools_list(b, 1)
    logs = [done(b) for b in bs]
    assert st.count["authorize"] == 1 and st.count["code"] == 1, st.count
    assert any("another mcpbridge" in log for log in logs), \
        "neither waited for the other"
    srv.stop()


def scenario_hostile():
    srv = OAuthServer()
    st = srv.st
    log = os.path.join(TMP, "hostile.log")
    pwned = os.path.join(TMP, "pwned")
    for bad in ("https://evil.example/$(touch${IFS}%s)" % pwned,
                "https://evil.example/`touch %s`" % pwned,
                "https://evil.example/a;touch %s" % pwned,
                "file:///etc/passwd",
                "javascript:alert(1)",
                "http://evil.example/authorize"):
        st.auth_endpoint = bad
        b = bridge(srv, os.path.join(TMP, "hostile-store"), log=log)
        b.send(INIT)
        r = b.recv(timeout=30)
        assert "error" in r, r
        assert "refus" in r["error"]["message"], r
        status, _ = b.finish()
        assert status == 77, status
    assert not os.path.exists(log), "the opener ran"
    assert not os.path.exists(pwned), "a shell ran"
    assert st.count["authorize"] == 0 and st.count["register"] == 0, \
        st.count
    srv.stop()


def scenario_timeout():
    srv = OAuthServer()
    b = Client(srv.url(), "--oauth-store", os.path.join(TMP, "timeout"),
               "--oauth-open", "none", "--oauth-timeout", "2s")
    b.send(INIT)
    r = b.recv(timeout=15)
    assert "error" in r and "--oauth-timeout" in r["error"]["message"], r
    assert "open this URL" in b.stderr(), "the URL was not printed"
    status, _ = b.finish()
    assert status == 77, status
    srv.stop()


def scenario_callbacks():
    srv = OAuthServer()
    log = os.path.join(TMP, "tricks.log")
    b = bridge(srv, os.path.join(TMP, "tricks"), mode="tricks", log=log)
    b.handshake()
    tools_list(b, 1)
    done(b)
    for _ in range(100):               # the script outlives the bridge
        with open(log) as f:
            notes = f.read()
        if "replay" in notes:
            break
        time.sleep(0.1)
    # A callback with the wrong state is turned away and the right one
    # still works; after it, nothing is listening any more.
    assert "bogus 400" in notes and "real 200" in notes and \
        "replay refused" in notes, notes
    assert srv.st.count["code"] == 1
    srv.stop()


def scenario_secrets():
    # What the bridge reads from its environment (a header's variable, the
    # client secret) is gone from it once read: the browser opener does
    # not inherit it, and /proc/PID/environ no longer shows it.
    srv = OAuthServer()
    log = os.path.join(TMP, "secrets.log")
    env = dict(os.environ, MCPB_SECRET_HDR="secret-hdr-5b1f",
               MCPB_SECRET_CLIENT="secret-client-7c2d")
    b = Client(srv.url(), "--oauth-store", os.path.join(TMP, "secrets"),
               "--oauth-open", opener("follow", log), "--oauth-timeout",
               "20s", "--header", "X-Api-Key: ${MCPB_SECRET_HDR}",
               "--oauth-client-id", "client-pre",
               "--oauth-client-secret-env", "MCPB_SECRET_CLIENT", env=env)
    b.handshake()
    with open("/proc/%d/environ" % b.p.pid, "rb") as f:
        environ = f.read()
    tools_list(b, 1)
    err = done(b)
    with open(log) as f:
        notes = f.read()
    assert "secrets in my environment: []" in notes, notes
    assert b"secret-hdr-5b1f" not in environ and \
        b"secret-client-7c2d" not in environ, "secrets in /proc/PID/environ"
    assert "secret-" not in err, "a secret in the log"

    # --bearer-token-env alike.
    env = dict(os.environ, MCPB_SECRET_BEARER="secret-bearer-3e9a")
    b = Client(srv.url(), "--no-oauth", "--bearer-token-env",
               "MCPB_SECRET_BEARER", env=env)
    b.send(INIT)
    r = b.recv(timeout=15)
    assert "error" in r, r          # the server does not know the token
    with open("/proc/%d/environ" % b.p.pid, "rb") as f:
        environ = f.read()
    b.finish()
    assert b"secret-bearer-3e9a" not in environ, \
        "the bearer token in /proc/PID/environ"
    assert srv.st.used[-1] == "secret-bearer-3e9a", srv.st.used
    srv.stop()


def scenario_json_log():
    """--log-format json: every line on stderr is JSON, even with a
    browser opener that writes lines of its own there."""
    srv = OAuthServer()
    log = os.path.join(TMP, "json-opener.log")
    b = bridge(srv, os.path.join(TMP, "json", "store"), "--log-format",
               "json", mode="noisy", log=log)
    b.send(INIT)
    r = b.recv(timeout=30)
    assert r["id"] == 0 and "result" in r, r
    b.send(INITIALIZED)
    tools_list(b, 1)
    err = done(b)
    assert os.path.exists(log), "the opener never ran"
    for line in err.splitlines():
        try:
            json.loads(line)
        except ValueError:
            raise AssertionError("not a JSON line: %r" % line)
    srv.stop()


def scenario_no_oauth():
    srv = OAuthServer()
    b = Client(srv.url(), "--no-oauth", "--oauth-store",
               os.path.join(TMP, "none"))
    b.send(INIT)
    r = b.recv(timeout=15)
    assert r["error"]["data"]["httpStatus"] == 401, r
    status, _ = b.finish()
    assert status == 77, status
    assert srv.st.count["prm"] == 0
    srv.stop()


SCENARIOS = [scenario_signin_refresh, scenario_refresh_ahead,
             scenario_refresh_unavailable, scenario_shared_signin,
             scenario_hostile, scenario_timeout, scenario_callbacks,
             scenario_secrets, scenario_no_oauth]
SCENARIOS.append(scenario_json_log)


if __name__ == "__main__":
    need_built(BRIDGE)
    try:
        rc = scenarios(scenario_names(SCENARIOS))
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(rc)
