#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Issue 19 end to end: `mcpbridge serve --oauth-issuer` in front of a
session child, a real authorization server (tests/node/oauth-as.mjs,
oidc-provider), and two clients that have never been told a token.

mcpbridge client: refused (401), it discovers the authorization server
through the bridge's metadata, registers, signs in with a stand-in browser
(a script that follows the redirects with cookies), calls tools, and when a
tool needs a wider scope (--oauth-tool-scope: 403 insufficient_scope) signs
in again with it and the call goes through.  The TypeScript SDK client with
its OAuth client provider (tests/node/oauth-sdk.mjs) does the same as
another user.  Each session's child sees its own user in the variables
--env-from-claim maps (the fixture's report_env tool), a claim the token
lacks leaves its variable unset, and a value in the bridge's own
environment never reaches a child.

Skips (77) without the npm peers (tests/node: oidc-provider,
@modelcontextprotocol/sdk) unless MCPBRIDGE_REQUIRE_NODE is set.  Every
wait is bounded.
"""
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import (BRIDGE, INIT, INITIALIZED,  # noqa: E402
                            Bridge, Client)
from mcptest.run import need_built, scenario_names, scenarios  # noqa: E402

SRCDIR = os.environ.get("top_srcdir", os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEPS = os.environ.get("MCPBRIDGE_NODE_DEPS",
                      os.path.join(SRCDIR, "tests", "node"))
TMP = tempfile.mkdtemp(prefix="oauth-e2e.")


def node_or_skip():
    mods = os.path.join(DEPS, "node_modules")
    if not all(os.path.isdir(os.path.join(mods, m)) for m in
               ("oidc-provider", "@modelcontextprotocol/sdk")):
        if os.environ.get("MCPBRIDGE_REQUIRE_NODE"):
            print("npm peers missing in %s (scripts/test installs them)"
                  % DEPS)
            sys.exit(1)
        print("SKIP: npm peers not installed in %s" % DEPS)
        sys.exit(77)
    node = os.path.join(mods, ".bin", "node")
    node = node if os.access(node, os.X_OK) else "node"
    # Node resolves packages from where a script lives: run copies of
    # ours next to a link to the peers (the source tree may be read-only).
    scripts = os.path.join(TMP, "node")
    os.mkdir(scripts)
    for name in ("oauth-as.mjs", "oauth-sdk.mjs"):
        shutil.copy(os.path.join(SRCDIR, "tests", "node", name), scripts)
    os.symlink(mods, os.path.join(scripts, "node_modules"))
    return node, scripts


class AuthServer:
    """tests/node/oauth-as.mjs with the given config: its first stdout
    line is its issuer; it ends when its stdin does."""

    def __init__(self, node, scripts, config):
        self.scripts = scripts
        path = os.path.join(TMP, "as.json")
        with open(path, "w") as f:
            json.dump(config, f)
        self.log = open(os.path.join(TMP, "as.log"), "wb")
        self.p = subprocess.Popen(
            [node, os.path.join(scripts, "oauth-as.mjs"), path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        ready, _, _ = select.select([self.p.stdout], [], [], 30)
        line = self.p.stdout.readline().decode() if ready else ""
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError("the authorization server did not start: "
                               "%r\n%s" % (line, self.stderr()))
        self.issuer = line.strip()

    def post(self, path, body):
        req = urllib.request.Request(self.issuer + path, data=body.encode(),
                                     method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def stats(self):
        with urllib.request.urlopen(self.issuer + "/_test/stats",
                                    timeout=10) as r:
            return json.load(r)

    def stderr(self):
        with open(os.path.join(TMP, "as.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


# The stand-in browser of `mcpbridge client --oauth-open`: follow the
# authorization server's redirects with a cookie jar until one leaves it
# (the client's callback), visit that once, and log the scope asked for.
BROWSER = os.path.join(TMP, "browser.py")
with open(BROWSER, "w") as f:
    f.write('''import http.cookiejar, sys, urllib.error, urllib.parse, urllib.request
log, url = sys.argv[1], sys.argv[2]
asloc = urllib.parse.urlsplit(url).netloc
scope = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)).get("scope")
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a):
        return None
op = urllib.request.build_opener(urllib.request.ProxyHandler({}),
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)
status = "no callback"
for hop in range(20):
    try:
        r = op.open(url, timeout=10)
        status = r.status
        break
    except urllib.error.HTTPError as e:
        if urllib.parse.urlsplit(url).netloc != asloc:
            status = e.code
            break
        if e.code not in (302, 303) or not e.headers.get("Location"):
            status = "stuck at %s: %s" % (url, e.code)
            break
        url = urllib.parse.urljoin(url, e.headers["Location"])
with open(log, "a") as f:
    f.write("callback=%s scope=%s\\n" % (status, scope))
''')


ENV = {"MCP_USER": "leaked", "MCP_EMAIL": "leaked"}
AS = None
BR = None
NODE = SCRIPTS = None


def call(i, tool, **args):
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}


def text(r):
    return "".join(c.get("text", "") for c in r["result"]["content"])


def scenario_bridge_client():
    # alice signs in through `mcpbridge client`: one sign-in for the
    # session, one more for the wider scope.
    AS.post("/_test/sub", "alice")
    log = os.path.join(TMP, "browser.log")
    c = Client(BR.url + "/mcp", "--oauth-store", os.path.join(TMP, "store"),
               "--oauth-open", "python3 %s %s" % (BROWSER, log),
               "--oauth-timeout", "30s")
    c.send(INIT)
    r = c.recv(timeout=40)
    assert r["id"] == 0 and "result" in r, r
    c.send(INITIALIZED)
    c.send(call(1, "report_env", name="MCP_USER"))
    r = c.recv(timeout=20)
    assert text(r) == "alice", r
    c.send(call(2, "report_env", name="MCP_EMAIL"))
    r = c.recv(timeout=20)
    assert text(r) == "alice@example.test", r
    with open(log) as f:
        signins = f.read().splitlines()
    assert signins == ["callback=200 scope=mcp offline_access"], signins

    # add_numbers needs admin: 403, a second sign-in asks for more.
    c.send(call(3, "add_numbers", a=2, b=3))
    r = c.recv(timeout=40)
    assert text(r) == "The sum of 2 and 3 is 5", r
    with open(log) as f:
        signins = f.read().splitlines()
    assert len(signins) == 2, signins
    assert signins[1].startswith("callback=200 scope="), signins
    assert set(signins[1].split(" scope=")[1].split()) == \
        {"mcp", "admin", "offline_access"}, signins
    assert "the server wants more scope" in c.stderr()
    # The same session, the same child: its user is still alice.
    c.send(call(4, "report_env", name="MCP_USER"))
    r = c.recv(timeout=20)
    assert text(r) == "alice", r
    status, rest = c.finish()
    assert status == 0 and rest == [], (status, rest)


def scenario_sdk_client():
    # bob, through the TypeScript SDK: his child sees bob, and no e-mail
    # (his token has no email claim; the bridge's own value stays out).
    AS.post("/_test/sub", "bob")
    p = subprocess.run([NODE, os.path.join(SCRIPTS, "oauth-sdk.mjs"),
                        BR.url + "/mcp"], capture_output=True, timeout=120)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr[-4000:])
    out = json.loads(p.stdout.decode().strip().splitlines()[-1])
    assert out["user"] == "bob", out
    assert out["email"] == "MCP_EMAIL is not set", out
    assert out["sum"] == "The sum of 2 and 3 is 5", out
    assert out["scopes"][0] == "mcp", out
    assert set(out["scopes"][1].split()) == {"mcp", "admin"}, out
    assert len(out["scopes"]) == 2, out
    assert out["session_kept"], out
    log = BR.stderr()
    assert "--env-from-claim: MCP_EMAIL unset: the token has no claim " \
        "email" in log, log[-4000:]
    assert "bob@" not in log and "alice@example.test" not in log, \
        "a claim's value is in the log"


def main():
    global AS, BR, NODE, SCRIPTS
    need_built()
    NODE, SCRIPTS = node_or_skip()
    jwks = os.path.join(TMP, "jwks.json")
    subprocess.run([NODE, os.path.join(SCRIPTS, "oauth-as.mjs"),
                    "--gen-jwks", jwks], check=True, timeout=60)
    AS = AuthServer(NODE, SCRIPTS, {
        "jwks": jwks, "exitOnStdinEnd": True,
        "resources": {"*": {"scopes": ["mcp", "admin"], "format": "jwt",
                            "alg": "ES256"}},
        "claims": {"alice": {"email": "alice@example.test"}}})
    rc = 1
    try:
        BR = Bridge("-v", "--isolation", "session", "--oauth-issuer",
                    AS.issuer, "--oauth-scope", "mcp",
                    "--oauth-tool-scope", "add_numbers=admin",
                    "--env-from-claim", "MCP_USER=sub",
                    "--env-from-claim", "MCP_EMAIL=email", env=ENV)
        BR.wait_ready(30)
        rc = scenarios(scenario_names([scenario_bridge_client,
                                       scenario_sdk_client]))
        status = BR.stop()
        if status != 0:
            print("not ok - the bridge exited %s" % status)
            rc = 1
        if rc != 0:
            print("---- bridge log (tail) ----")
            print(BR.stderr()[-6000:])
            print("---- authorization server log (tail) ----")
            print(AS.stderr()[-3000:])
    finally:
        if BR is not None:
            BR.stop()
        AS.stop()
    return rc


if __name__ == "__main__":
    need_built(BRIDGE)
    try:
        rc = main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(rc)
