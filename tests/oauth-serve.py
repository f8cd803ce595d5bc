#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# oauth-serve.py: `mcpbridge serve --oauth-issuer` as an OAuth 2.1 resource
# server in front of a real authorization server (tests/node/oauth-as.mjs,
# oidc-provider): tokens it issues are let in; tokens forged here with its
# real keys and wrong claims, wrong algorithms or broken signatures get
# 401; a missing scope gets 403 with the scope to ask for; keys or
# introspection that cannot be had get 503, not 401; the RFC 9728 metadata
# is served; sessions and 2026-07-28 request states belong to the
# principal (iss + sub), not the token; static tokens work alongside; no
# token or secret reaches a log line or the child.  With serve --config's
# named servers, each /servers/NAME/ route is checked and scoped as /mcp
# is, under one resource: the listener's URL.  Exit 0 pass, 1 fail, 77
# skip.
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import SERVER, Bridge  # noqa: E402
from mcptest.run import Failure, check, need_built, scenarios  # noqa: E402
from mcptest.wire import Conn, Response, exchange, post, rpc  # noqa: E402

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.asymmetric.utils import \
        decode_dss_signature
except ImportError:
    print("SKIP: python3-cryptography is not installed")
    sys.exit(77)

SRCDIR = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
DEPS = os.environ.get("MCPBRIDGE_NODE_DEPS",
                      os.path.join(SRCDIR, "tests", "node"))
STATIC = "static-token-0123456789abcdef"
SECRET = "bridge-secret"            # oauth-as.mjs's introspection client
SECRETS = [STATIC, SECRET]          # never in a log line
INIT = {"protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "oauth-serve", "version": "1"}}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_int(s):
    return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)),
                          "big")


# ---- the authorization server ----


class AS:
    """oauth-as.mjs on a loopback port, with a private JWK Set this test
    keeps to forge tokens with the server's own keys."""

    def __init__(self, tmp):
        node = os.path.join(DEPS, "node_modules", ".bin", "node")
        if not os.access(node, os.X_OK):
            node = shutil.which("node")
        # Node resolves packages from where the script lives: a copy next
        # to a link to the peers (the source tree may be read-only).
        d = os.path.join(tmp, "node")
        os.mkdir(d)
        shutil.copy(os.path.join(SRCDIR, "tests", "node", "oauth-as.mjs"), d)
        os.symlink(os.path.join(DEPS, "node_modules"),
                   os.path.join(d, "node_modules"))
        script = os.path.join(d, "oauth-as.mjs")
        self.jwks_path = os.path.join(tmp, "jwks.json")
        subprocess.run([node, script, "--gen-jwks", self.jwks_path],
                       check=True, timeout=60)
        with open(self.jwks_path) as f:
            self.keys = {k["kid"]: k for k in json.load(f)["keys"]}
        cfg = os.path.join(tmp, "as.json")
        with open(cfg, "w") as f:
            json.dump({"jwks": self.jwks_path, "exitOnStdinEnd": True,
                       "resources": {"*": {"scopes": ["mcp", "mcp:admin"],
                                           "format": "jwt", "alg": "RS256",
                                           "ttl": 600}}}, f)
        self.log = open(os.path.join(tmp, "as.log"), "wb")
        self.proc = subprocess.Popen([node, script, cfg],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise Failure("oauth-as.mjs did not start: %r" % line)
        self.issuer = line

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def _post(self, path, data, auth=None, ctype=None):
        req = urllib.request.Request(self.issuer + path, data=data,
                                     method="POST")
        if auth is not None:
            req.add_header("Authorization", "Basic " + base64.b64encode(
                ("%s:%s" % auth).encode()).decode())
        if ctype is not None:
            req.add_header("Content-Type", ctype)
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read()

    def token(self, resource, scope="mcp", client="machine"):
        """A client credentials access token for resource."""
        body = urllib.parse.urlencode({
            "grant_type": "client_credentials", "resource": resource,
            "scope": scope}).encode()
        answer = json.loads(self._post("/token", body,
                                       (client, "machine-secret")))
        return answer["access_token"]

    def stats(self, path):
        with urllib.request.urlopen(self.issuer + "/_test/stats",
                                    timeout=10) as r:
            return json.loads(r.read()).get(path, 0)

    def fail(self, paths):
        """Answer those paths with the status given, until the next call."""
        self._post("/_test/fail", json.dumps(paths).encode(),
                   ctype="application/json")

    # -- forging, with the server's own keys --

    def rsa_key(self):
        k = self.keys["rsa"]
        pub = rsa.RSAPublicNumbers(b64u_int(k["e"]), b64u_int(k["n"]))
        return rsa.RSAPrivateNumbers(
            b64u_int(k["p"]), b64u_int(k["q"]), b64u_int(k["d"]),
            b64u_int(k["dp"]), b64u_int(k["dq"]), b64u_int(k["qi"]),
            pub).private_key()

    def forge(self, resource, alg="RS256", kid="rsa", header=None,
              **claims):
        now = int(time.time())
        payload = {"iss": self.issuer, "sub": "alice", "aud": resource,
                   "iat": now, "exp": now + 300, "scope": "mcp",
                   "client_id": "machine", "jti": b64u(os.urandom(9))}
        payload.update(claims)
        for k in [k for k, v in payload.items() if v is None]:
            del payload[k]
        hdr = {"alg": alg, "typ": "at+jwt", "kid": kid}
        hdr.update(header or {})
        signing = (b64u(json.dumps(hdr).encode()) + "." +
                   b64u(json.dumps(payload).encode())).encode()
        if alg == "none":
            sig = b""
        elif alg == "RS256":
            sig = self.rsa_key().sign(signing, padding.PKCS1v15(),
                                      hashes.SHA256())
        elif alg == "ES256":
            k = self.keys["ec"]
            key = ec.EllipticCurvePrivateNumbers(b64u_int(k["d"]),
                ec.EllipticCurvePublicNumbers(b64u_int(k["x"]),
                                              b64u_int(k["y"]),
                                              ec.SECP256R1())).private_key()
            r, s = decode_dss_signature(key.sign(signing,
                                                 ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        elif alg == "EdDSA":
            key = ed25519.Ed25519PrivateKey.from_private_bytes(
                base64.urlsafe_b64decode(self.keys["ed"]["d"] + "=="))
            sig = key.sign(signing)
        elif alg == "HS256":
            # The classic confusion: the RSA public key's PEM as the
            # HMAC secret.
            pem = self.rsa_key().public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo)
            sig = hmac.new(pem, signing, hashlib.sha256).digest()
        else:
            raise ValueError(alg)
        return signing.decode() + "." + b64u(sig)


# ---- helpers ----


TOKENS = []                         # every token sent: never in a log


def bearer(tok):
    TOKENS.append(tok)
    return {"Authorization": "Bearer " + tok}


def start(*args, env=None):
    e = {"BSEC": SECRET, "STATIC": STATIC}
    e.update(env or {})
    return Bridge("--oauth-issuer", AUTH.issuer, "--oauth-scope", "mcp",
                  "--oauth-tool-scope", "echo=mcp:admin",
                  "--auth-token-env", "STATIC", *args, env=e)


def finish(b):
    """The bridge stops cleanly; no token or secret in its log."""
    status = b.stop()
    err = b.stderr()
    check(status == 0, "exit status %s" % status)
    check(not re.search(r"Sanitizer|runtime error:", err),
          "sanitizer report:\n" + err[-4000:])
    for t in TOKENS + SECRETS:
        check(t not in err, "a token or secret in the log: %s..." % t[:12])


def resource(b):
    return b.url + "/mcp"


def init(b, tok):
    """initialize with tok: (status, response headers, session id)."""
    r = post(b, rpc(1, "initialize", INIT), extra=bearer(tok))
    status, headers = r.status, r.headers
    sid = headers.get("mcp-session-id")
    if status == 200:
        r.answer()
    else:
        r.body()
    r.close()
    return status, headers, sid


def tool(b, tok, sid, name, id=2):
    r = post(b, rpc(id, "tools/call", {"name": name,
                                       "arguments": {"text": "hi"}}),
             sid, "2025-06-18", extra=bearer(tok))
    status, headers = r.status, r.headers
    body = r.answer() if status == 200 else r.body()
    r.close()
    return status, headers, body


def metric(b, name):
    status, _, data = exchange(b, "GET", "/metrics", bearer(STATIC))
    check(status == 200, "/metrics: %d" % status)
    for line in data.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


# ---- the scenarios ----


def scenario_issued_tokens():
    """Tokens the authorization server issues: let in; sessions keep to
    their principal; a tool's scope is asked for with 403."""
    b = start()
    try:
        b.wait_ready()
        tok = AUTH.token(resource(b))
        status, _, sid = init(b, tok)
        check(status == 200 and sid, "issued token: %d" % status)
        # A refreshed token of the same principal keeps the session.
        tok2 = AUTH.token(resource(b))
        check(tok2 != tok, "the same token twice")
        status, _, body = tool(b, tok2, sid, "test_simple_text")
        check(status == 200, "refreshed token: %d %r" % (status, body))
        # Another principal's token: the session is not there for it.
        other = AUTH.forge(resource(b), sub="mallory")
        status, _, _ = tool(b, other, sid, "test_simple_text")
        check(status == 404, "another principal: %d" % status)
        # Nor for a static token.
        status, _, _ = tool(b, STATIC, sid, "test_simple_text")
        check(status == 404, "a static token on an OAuth session: %d" %
              status)
        # echo needs mcp:admin: 403 naming every scope the call needs.
        status, h, _ = tool(b, tok, sid, "echo")
        www = h.get("www-authenticate", "")
        check(status == 403, "echo without mcp:admin: %d" % status)
        check('error="insufficient_scope"' in www and
              'scope="mcp mcp:admin"' in www and "resource_metadata=" in www,
              "403 WWW-Authenticate: %r" % www)
        # A batch (2025-03-26) needs the union of its calls' scopes.
        r = post(b, [rpc(3, "tools/call", {"name": "test_simple_text"}),
                     rpc(4, "tools/call", {"name": "echo",
                                           "arguments": {"text": "x"}})],
                 sid, "2025-03-26", extra=bearer(tok))
        r.body()
        r.close()
        check(r.status == 403 and 'scope="mcp mcp:admin"' in
              r.headers.get("www-authenticate", ""),
              "batch: %d %r" % (r.status, r.headers))
        # Stepped up: a token with both scopes.
        admin = AUTH.token(resource(b), "mcp mcp:admin")
        status, _, body = tool(b, admin, sid, "echo")
        check(status == 200, "echo with mcp:admin: %d %r" % (status, body))
        # Forged with the real EC and Ed25519 keys: the forging is right.
        for alg in ("ES256", "EdDSA", "RS256"):
            kid = {"ES256": "ec", "EdDSA": "ed", "RS256": "rsa"}[alg]
            status, _, _ = init(b, AUTH.forge(resource(b), alg, kid))
            check(status == 200, "forged %s with the real key: %d" %
                  (alg, status))
        check(metric(b, 'mcpbridge_oauth_tokens_total{result="ok"}') >= 6,
              "ok not counted")
        check(metric(b, 'mcpbridge_oauth_tokens_total'
                        '{result="insufficient_scope"}') == 2,
              "insufficient_scope not counted")
    finally:
        finish(b)


def scenario_refused():
    """The negative table: each a 401 invalid_token, counted."""
    b = start("--max-header-size", "64K")
    try:
        b.wait_ready()
        r = resource(b)
        now = int(time.time())
        good = AUTH.forge(r)
        flipped = good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:]
        cases = [
            ("expired", AUTH.forge(r, exp=now - 3600, iat=now - 7200),
             "expired"),
            ("nbf in the future", AUTH.forge(r, nbf=now + 3600),
             "not_yet_valid"),
            ("wrong aud", AUTH.forge(r, aud="https://other.example/mcp"),
             "bad_audience"),
            ("wrong iss", AUTH.forge(r, iss="http://127.0.0.1:1"),
             "bad_issuer"),
            ("one bit flipped", flipped, "bad_signature"),
            ("alg none", AUTH.forge(r, "none"), "alg_refused"),
            ("HS256 with the RSA PEM", AUTH.forge(r, "HS256"),
             "alg_refused"),
            ("ES256 header on the RSA kid", AUTH.forge(r, "ES256", "rsa"),
             None),
            ("no sub", AUTH.forge(r, sub=None), "bad_claims"),
            ("malformed", "abc.def.ghi", "malformed"),
            ("oversize", "a" * 20000 + "." + "b" * 10 + ".c", "malformed"),
        ]
        for what, tok, result in cases:
            before = result and metric(
                b, 'mcpbridge_oauth_tokens_total{result="%s"}' % result)
            status, h, _ = init(b, tok)
            www = h.get("www-authenticate", "")
            check(status == 401, "%s: %d, not 401" % (what, status))
            check(www.startswith("Bearer error=\"invalid_token\"") and
                  "resource_metadata=" in www,
                  "%s: WWW-Authenticate %r" % (what, www))
            if result is not None:
                after = metric(
                    b, 'mcpbridge_oauth_tokens_total{result="%s"}' % result)
                check(after == before + 1, "%s: %s went %s -> %s" %
                      (what, result, before, after))
        # No token: 401 without an error, with the scope to ask for.
        status, h, _ = exchange(b, "POST", "/mcp", {
            "Content-Type": "application/json"}, rpc(1, "initialize", INIT))
        check(status == 401, "no token: %d" % status)
        www = h.get("www-authenticate", "")
        check("error=" not in www and 'scope="mcp"' in www and
              "resource_metadata=" in www, "no token: %r" % www)
        # Not "Bearer": as no token.
        status, _, _ = exchange(b, "POST", "/mcp", {
            "Authorization": "Basic " + b64u(b"a:b"),
            "Content-Type": "application/json"}, rpc(1, "initialize", INIT))
        check(status == 401, "Basic: %d" % status)
        # The static token alongside.
        status, _, _ = init(b, STATIC)
        check(status == 200, "static token: %d" % status)
        check(metric(b, 'mcpbridge_oauth_tokens_total{result="static"}') >=
              1, "static not counted")
    finally:
        finish(b)


KID = {}                            # the unknown-kid bridge, kept open


def scenario_unknown_kid():
    """An unknown kid within JWKS_MIN_REFRESH (60 s) of the last fetch:
    no fetch (a stream of made-up kids costs the issuer nothing), and 503
    with the seconds until a refresh may run as Retry-After, not 401: the
    kid may be a key rotated in since the fetch, the token fine.  The
    bridge stays up for unknown_kid_refresh, which runs last, once the
    minute has passed."""
    b = KID["bridge"] = start()
    b.wait_ready()
    KID["fetched"] = time.monotonic()
    before = AUTH.stats("/jwks")
    status, h, _ = init(b, AUTH.forge(resource(b), kid="rotated"))
    retry = h.get("retry-after", "")
    check(status == 503 and retry.isdigit() and 50 <= int(retry) <= 60,
          "unknown kid in the first minute: %d %r" % (status, h))
    check("www-authenticate" not in h, "a challenge with the 503: %r" % h)
    check(AUTH.stats("/jwks") == before,
          "JWKS fetched again within the minute: %d -> %d" %
          (before, AUTH.stats("/jwks")))


def scenario_unknown_kid_refresh():
    """Past the minute, an unknown kid fetches the key set once more, then
    401 (a refresh ran: the kid is unknown); another at once fetches
    nothing and gets 503 until the next refresh may run."""
    b = KID.get("bridge")
    check(b is not None, "unknown_kid did not start its bridge")
    try:
        wait = KID["fetched"] + 61 - time.monotonic()
        if wait > 0:
            time.sleep(wait)        # the time itself is what is tested
        before = AUTH.stats("/jwks")
        status, _, _ = init(b, AUTH.forge(resource(b), kid="rotated2"))
        check(status == 401, "unknown kid: %d" % status)
        check(AUTH.stats("/jwks") == before + 1,
              "JWKS fetches %d -> %d, not one more" %
              (before, AUTH.stats("/jwks")))
        status, h, _ = init(b, AUTH.forge(resource(b), kid="rotated3"))
        check(status == 503 and h.get("retry-after", "").isdigit() and
              int(h["retry-after"]) > 50,
              "third unknown kid: %d %r" % (status, h))
        check(AUTH.stats("/jwks") == before + 1, "fetched again at once")
        # The known keys still work.
        status, _, _ = init(b, AUTH.token(resource(b)))
        check(status == 200, "issued token: %d" % status)
        check(metric(b, 'mcpbridge_oauth_tokens_total'
                        '{result="unknown_kid"}') == 1, "not counted")
        check(metric(b, 'mcpbridge_oauth_tokens_total'
                        '{result="keys_unavailable"}') == 2, "not counted")
    finally:
        finish(b)


def scenario_jwks_down():
    """Keys cached: the JWKS endpoint going down changes nothing.  No keys
    at all: 503 with Retry-After (the token may be fine), /readyz 503; once
    the keys come, 200."""
    b = start()
    try:
        b.wait_ready()
        AUTH.fail({"/jwks": 503})
        status, _, _ = init(b, AUTH.token(resource(b)))
        check(status == 200, "keys cached, JWKS down: %d" % status)
    finally:
        AUTH.fail({})
        finish(b)
    AUTH.fail({"/jwks": 500})
    b = start()
    try:
        tok = AUTH.token(resource(b))
        status, h, _ = init(b, tok)
        check(status == 503, "no keys: %d" % status)
        check(h.get("retry-after", "").isdigit(), "no Retry-After: %r" % h)
        check("www-authenticate" not in h, "503 with a challenge")
        status, _, _ = exchange(b, "GET", "/readyz")
        check(status == 503, "/readyz without keys: %d" % status)
        check(metric(b, 'mcpbridge_oauth_tokens_total'
                        '{result="keys_unavailable"}') >= 1, "not counted")
        AUTH.fail({})
        # The next request after the backoff fetches them: bounded.
        end = time.time() + 20
        while time.time() < end:
            status, _, _ = init(b, tok)
            if status == 200:
                break
            time.sleep(0.25)
        check(status == 200, "keys back: %d" % status)
        b.wait_ready(5)
    finally:
        AUTH.fail({})
        finish(b)


def scenario_introspection():
    """Opaque tokens at the introspection endpoint: active 200, unknown
    401, the endpoint down 503 (never cached)."""
    b = start("--oauth-client-id", "bridge", "--oauth-client-secret-env",
              "BSEC")
    try:
        b.wait_ready()
        tok = AUTH.token(resource(b), client="machine-opaque")
        check(tok.count(".") == 0, "not opaque: %s..." % tok[:10])
        status, _, sid = init(b, tok)
        check(status == 200, "active: %d" % status)
        status, _, _ = init(b, b64u(os.urandom(32)))
        check(status == 401, "inactive: %d" % status)
        AUTH.fail({"/token/introspection": 500})
        fresh = AUTH.token(resource(b), client="machine-opaque")
        status, h, _ = init(b, fresh)
        check(status == 503 and h.get("retry-after", "").isdigit(),
              "introspection down: %d %r" % (status, h))
        # The cached answer still serves the first token.
        status, _, _ = tool(b, tok, sid, "test_simple_text")
        check(status == 200, "cached: %d" % status)
        AUTH.fail({})
        status, _, _ = init(b, fresh)
        check(status == 200, "introspection back: %d" % status)
        for r in ("active", "inactive", "error"):
            check(metric(b, 'mcpbridge_oauth_introspection_total'
                            '{result="%s"}' % r) >= 1, "%s not counted" % r)
        # The secret's variable is gone before the child starts.
        for pid in b.children():
            with open("/proc/%d/environ" % pid, "rb") as f:
                check(b"BSEC=" not in f.read(), "the child has BSEC")
    finally:
        AUTH.fail({})
        finish(b)


def scenario_metadata():
    """The RFC 9728 document at both paths: public, CORS *, cached."""
    b = start("--oauth-tool-scope", "delete=mcp:write")
    try:
        for path in ("/.well-known/oauth-protected-resource",
                     "/.well-known/oauth-protected-resource/mcp"):
            status, h, data = exchange(b, "GET", path, {"Origin":
                                                        "https://x.example"})
            check(status == 200, "%s: %d" % (path, status))
            doc = json.loads(data)
            check(doc["resource"] == resource(b), "resource %r" % doc)
            check(doc["authorization_servers"] == [AUTH.issuer], "%r" % doc)
            check(sorted(doc["scopes_supported"]) ==
                  ["mcp", "mcp:admin", "mcp:write"], "%r" % doc)
            check(doc["bearer_methods_supported"] == ["header"], "%r" % doc)
            check(h.get("access-control-allow-origin") == "*", "%r" % h)
            check("max-age" in h.get("cache-control", ""), "%r" % h)
            check(h.get("content-type") == "application/json", "%r" % h)
        status, h, data = exchange(b, "HEAD",
                                   "/.well-known/oauth-protected-resource")
        check(status == 200 and data == b"", "HEAD: %d" % status)
        status, h, _ = exchange(b, "OPTIONS",
                                "/.well-known/oauth-protected-resource/mcp",
                                {"Origin": "https://x.example",
                                 "Access-Control-Request-Method": "GET"})
        check(status == 204 and
              h.get("access-control-allow-origin") == "*", "OPTIONS: %d %r" %
              (status, h))
        status, h, _ = exchange(b, "POST",
                                "/.well-known/oauth-protected-resource",
                                {"Content-Type": "application/json"}, "{}")
        check(status == 405, "POST: %d" % status)
        # A Host not allowed is refused here too.
        status, _, _ = exchange(b, "GET",
                                "/.well-known/oauth-protected-resource",
                                {"Host": "evil.example"})
        check(status == 403, "bad Host: %d" % status)
        # The 401's resource_metadata names the suffixed document.
        status, h, _ = exchange(b, "GET", "/mcp")
        check('resource_metadata="%s"' % (
            b.url + "/.well-known/oauth-protected-resource/mcp")
            in h.get("www-authenticate", ""), "%r" % h)
    finally:
        finish(b)


def scenario_failures_limited():
    """With --rate-limit, refused OAuth tokens count as failed
    authentications of the address: past the limit even a good token gets
    429 with Retry-After."""
    b = start("--rate-limit", "2")
    try:
        b.wait_ready()
        bad = AUTH.forge(resource(b), aud="https://other.example/mcp")
        statuses = [init(b, bad)[0] for _ in range(6)]
        check(statuses[0] == 401 and 429 in statuses,
              "bad tokens: %r" % statuses)
        status, h, _ = init(b, AUTH.token(resource(b)))
        check(status == 429 and h.get("retry-after", "").isdigit(),
              "good token after the failures: %d %r" % (status, h))
    finally:
        finish(b)


def modern_call(b, id, name, tok, extra=None):
    """A 2026-07-28 tools/call with tok: (status, answer)."""
    params = {"name": name, "arguments": {}, "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
        "io.modelcontextprotocol/clientInfo": {"name": "oauth-serve",
                                               "version": "1"}}}
    params.update(extra or {})
    h = {"Content-Type": "application/json",
         "Accept": "application/json, text/event-stream",
         "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call",
         "Mcp-Name": name}
    h.update(bearer(tok))
    r = Response(b, "POST", "/mcp", h, rpc(id, "tools/call", params))
    status = r.status
    body = r.answer() if status in (200, 400) else r.body()
    r.close()
    return status, body


def scenario_request_state():
    """A 2026-07-28 requestState belongs to the principal: another token
    of the same iss+sub may answer it, another sub may not."""
    b = start()
    try:
        b.wait_ready()
        tool = "test_input_required_result_request_state"
        status, body = modern_call(b, 1, tool, AUTH.forge(resource(b)))
        check(status == 200 and "requestState" in body.get("result", {}),
              "first round: %d %r" % (status, body))
        retry = {"requestState": body["result"]["requestState"],
                 "inputResponses": {"confirm": {
                     "action": "accept", "content": {"ok": True}}}}
        status, body = modern_call(b, 2, tool, AUTH.forge(
            resource(b), sub="mallory"), retry)
        check(status == 400 and body["error"]["code"] == -32602,
              "another principal's state: %d %r" % (status, body))
        status, body = modern_call(b, 3, tool, AUTH.forge(resource(b)),
                                   retry)
        check(status == 200 and body["result"]["content"][0]["text"]
              .startswith("state-ok"), "own state, new token: %d %r" %
              (status, body))
    finally:
        finish(b)


def scenario_client_leaves():
    """A request whose token waits for keys (an issuer that never answers)
    is held, not answered; its client leaving cancels the wait; one that
    waits 10 s gets 503; a bridge stopped with one held answers it 503 at
    the end of its drain and exits cleanly (under ASan: no use after
    free)."""
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(16)
    issuer = "http://127.0.0.1:%d" % hang.getsockname()[1]
    b = Bridge("--oauth-issuer", issuer, "--drain-timeout", "1")
    try:
        tok = AUTH.forge(b.url + "/mcp", iss=issuer)
        TOKENS.append(tok)
        for _ in range(3):
            c = Conn(b, timeout=0.5)
            c.send("POST", "/mcp", {"Authorization": "Bearer " + tok,
                                    "Content-Type": "application/json"},
                   rpc(1, "initialize", INIT))
            try:
                c.response("POST")
                raise Failure("answered while the keys are on the way")
            except socket.timeout:
                pass
            c.close(reset=True)
        # One that waits it out: 503 after the bridge's 10 s bound on a
        # check, not the fetches' longer ones.
        start_t = time.monotonic()
        c = Conn(b, timeout=20)
        c.send("POST", "/mcp", {"Authorization": "Bearer " + tok,
                                "Content-Type": "application/json"},
               rpc(1, "initialize", INIT))
        r = c.response("POST")
        r.body()
        took = time.monotonic() - start_t
        c.close()
        check(r.status == 503 and r.headers.get("retry-after") == "10",
              "held too long: %d %r" % (r.status, r.headers))
        check(9 < took < 15, "503 after %.1f s" % took)
        check(b.wait_log("token check timed out"), "not logged")
        status, _, _ = exchange(b, "GET", "/healthz")
        check(status == 200, "/healthz: %d" % status)
        status, _, _ = exchange(b, "GET", "/readyz")
        check(status == 503, "/readyz without keys: %d" % status)
        # One still held when the bridge stops.
        c = Conn(b, timeout=5)
        c.send("POST", "/mcp", {"Authorization": "Bearer " + tok,
                                "Content-Type": "application/json"},
               rpc(1, "initialize", INIT))
        time.sleep(0.2)
        check(b.stop() == 0, "exit status")
        r = c.response("POST")
        r.body()
        c.close()
        check(r.status == 503 and r.headers.get("retry-after"),
              "held at the stop: %d %r" % (r.status, r.headers))
    finally:
        finish(b)
        hang.close()


def named_post(b, name, body, tok=None, sid=None):
    h = {"Content-Type": "application/json",
         "Accept": "application/json, text/event-stream"}
    if tok is not None:
        h.update(bearer(tok))
    if sid is not None:
        h["Mcp-Session-Id"] = sid
        h["MCP-Protocol-Version"] = "2025-06-18"
    r = Response(b, "POST", "/servers/%s/mcp" % name, h, body)
    status, headers = r.status, r.headers
    body = r.answer() if status == 200 else r.body()
    r.close()
    return status, headers, body


def scenario_named_routes():
    """serve --config with two servers (one with --children 2 in its own
    object): /servers/NAME/mcp wants a token as /mcp does (401 naming the
    metadata), lets one in, asks a tool's scope (403); the resource, in
    the metadata and the tokens' audience, is the listener's URL, under
    which every route is; a session is its route's only."""
    path = os.path.join(TMPDIR, "named.json")
    with open(path, "w") as f:
        json.dump({"mcpServers": {
            "a": {"command": SERVER},
            "b": {"command": SERVER, "mcpbridge": {"children": 2}}}}, f)
    b = Bridge("--oauth-issuer", AUTH.issuer, "--oauth-scope", "mcp",
               "--oauth-tool-scope", "echo=mcp:admin", "--auth-token-env",
               "STATIC", config=path, env={"STATIC": STATIC})
    try:
        b.wait_ready()
        meta = b.url + "/.well-known/oauth-protected-resource"
        status, h, data = exchange(b, "GET",
                                   "/.well-known/oauth-protected-resource")
        check(status == 200, "metadata: %d" % status)
        check(json.loads(data)["resource"] == b.url, "resource %r" % data)
        for name in ("a", "b"):
            status, h, _ = named_post(b, name, rpc(1, "initialize", INIT))
            check(status == 401, "%s without a token: %d" % (name, status))
            check('resource_metadata="%s"' % meta in
                  h.get("www-authenticate", ""), "%s: %r" % (name, h))
            status, _, _ = named_post(b, name, rpc(1, "initialize", INIT),
                                      AUTH.forge(b.url + "/mcp"))
            check(status == 401, "%s, another audience: %d" % (name, status))
        tok = AUTH.token(b.url)
        sids = {}
        for name in ("a", "b"):
            status, h, body = named_post(b, name, rpc(1, "initialize", INIT),
                                         tok)
            check(status == 200 and "result" in body,
                  "%s with a token: %d %r" % (name, status, body))
            sids[name] = h.get("mcp-session-id")
            status, h, _ = named_post(b, name, rpc(2, "tools/call", {
                "name": "echo", "arguments": {"text": "hi"}}), tok,
                sids[name])
            check(status == 403 and 'scope="mcp mcp:admin"' in
                  h.get("www-authenticate", ""),
                  "%s: echo without mcp:admin: %d %r" % (name, status, h))
        status, _, body = named_post(b, "b", rpc(3, "tools/call", {
            "name": "test_simple_text"}), tok, sids["b"])
        check(status == 200 and "result" in body, "b: call %d %r" %
              (status, body))
        # a's session is not b's, whoever asks.
        status, _, _ = named_post(b, "b", rpc(4, "tools/list"), tok,
                                  sids["a"])
        check(status == 404, "a's session on b: %d" % status)
        # b's own --children 2: its two copies, labelled by server.
        for child in ("1", "2"):
            check(metric(b, 'mcpbridge_pool_child_up{server="b",child="%s"}'
                         % child) == 1, "b's child %s not up" % child)
        check(metric(b, 'mcpbridge_pool_child_up{server="a",child="1"}')
              == 1, "a's child not up")
    finally:
        finish(b)


def scenario_server_scopes():
    """A server's own "oauth-scope" (its "mcpbridge" object): its routes,
    all three, need that scope beside the bridge's, and say so as the
    bridge's scope does (403, insufficient_scope, every scope to ask
    for); the other server's routes do not; a static token is let in as
    on every route."""
    path = os.path.join(TMPDIR, "scoped.json")
    with open(path, "w") as f:
        json.dump({"mcpServers": {
            "a": {"command": SERVER,
                  "mcpbridge": {"oauth-scope": ["mcp:admin"]}},
            "b": {"command": SERVER}}}, f)
    b = Bridge("--oauth-issuer", AUTH.issuer, "--oauth-scope", "mcp",
               "--auth-token-env", "STATIC", "--access-log", "on",
               config=path, env={"STATIC": STATIC})
    try:
        b.wait_ready()
        meta = b.url + "/.well-known/oauth-protected-resource"
        tok = AUTH.token(b.url)
        status, h, body = named_post(b, "a", rpc(1, "initialize", INIT), tok)
        www = h.get("www-authenticate", "")
        check(status == 403, "a without mcp:admin: %d %r" % (status, body))
        check('error="insufficient_scope"' in www and
              'scope="mcp mcp:admin"' in www and
              'resource_metadata="%s"' % meta in www,
              "a's 403 WWW-Authenticate: %r" % www)
        for method, route in (("GET", "sse"), ("POST", "message")):
            status, h, _ = exchange(b, method, "/servers/a/%s" % route,
                                    dict(bearer(tok), **{
                                        "Accept": "text/event-stream",
                                        "Content-Type":
                                            "application/json"}),
                                    rpc(1, "ping") if method == "POST"
                                    else None)
            check(status == 403 and 'scope="mcp mcp:admin"' in
                  h.get("www-authenticate", ""),
                  "a's %s without mcp:admin: %d %r" % (route, status, h))
        status, _, body = named_post(b, "b", rpc(1, "initialize", INIT), tok)
        check(status == 200 and "result" in body,
              "b with mcp only: %d %r" % (status, body))
        admin = AUTH.token(b.url, "mcp mcp:admin")
        status, h, body = named_post(b, "a", rpc(1, "initialize", INIT),
                                     admin)
        check(status == 200 and "result" in body,
              "a with mcp:admin: %d %r" % (status, body))
        sid = h.get("mcp-session-id")
        # The same session with a token that lost the scope: refused.
        status, _, _ = named_post(b, "a", rpc(2, "tools/list"), tok, sid)
        check(status == 403, "a's session, mcp only: %d" % status)
        status, _, body = named_post(b, "a", rpc(1, "initialize", INIT),
                                     STATIC)
        check(status == 200, "a with the static token: %d" % status)
        check(metric(b, 'mcpbridge_oauth_tokens_total'
                        '{result="insufficient_scope"}') == 4,
              "insufficient_scope not counted")
        # The access log names the server of a refused request too.
        check(b.wait_log(" /servers/a/sse 403 "), "no 403 line")
        check(re.search(r"POST /servers/a/mcp 403 \d+ms server a ",
                        b.stderr()), "403 without its server: %s" %
              b.stderr()[-2000:])
    finally:
        finish(b)


def agg_rpc(b, tok, body, sid=None, version="2025-06-18"):
    """A POST to the aggregated /mcp: (status, headers, answer or body)."""
    r = post(b, body, sid, version if sid is not None else None,
             extra=bearer(tok))
    status, headers = r.status, r.headers
    answer = r.answer() if status == 200 else r.body()
    r.close()
    return status, headers, answer


def agg_modern(b, tok, id, method, params, name=None):
    """A 2026-07-28 request on /mcp: (status, headers, answer or body)."""
    params = dict(params, _meta={
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "oauth-serve",
                                               "version": "1"}})
    h = {"Content-Type": "application/json",
         "Accept": "application/json, text/event-stream",
         "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method}
    if name is not None:
        h["Mcp-Name"] = name
    h.update(bearer(tok))
    r = Response(b, "POST", "/mcp", h, rpc(id, method, params))
    status, headers = r.status, r.headers
    answer = r.answer() if status in (200, 400) else r.body()
    r.close()
    return status, headers, answer


def agg_names(answer, key, field):
    check("result" in answer, "list: %r" % answer)
    return [i[field] for i in answer["result"][key]]


def scenario_agg_scopes():
    """The aggregated /mcp honours each server's own "oauth-scope": a token
    without b's scope does not see b's tools, prompts or resources in the
    merged lists (2025-06-18 and 2026-07-28 alike), and its call of b's
    tool, prompt or resource is refused 403 insufficient_scope naming
    b's scopes (so a client can step up), while a's work; the same
    session with a token that holds the scope sees and calls them.
    --oauth-tool-scope TOOL=S names the tool as its server calls it: on
    /mcp, a__echo needs S too."""
    path = os.path.join(TMPDIR, "agg-scoped.json")
    with open(path, "w") as f:
        json.dump({"mcpServers": {
            "a": {"command": SERVER},
            "b": {"command": SERVER,
                  "mcpbridge": {"oauth-scope": ["mcp:admin"]}}}}, f)
    b = Bridge("--oauth-issuer", AUTH.issuer, "--oauth-scope", "mcp",
               "--oauth-tool-scope", "echo=mcp:tools",
               "--oauth-tool-scope", "a__add_numbers=mcp:tools",
               "--auth-token-env", "STATIC", config=path,
               env={"STATIC": STATIC})
    try:
        b.wait_ready()
        tok = AUTH.token(b.url)
        admin = AUTH.token(b.url, "mcp mcp:admin")
        status, h, body = agg_rpc(b, tok, rpc(1, "initialize", INIT))
        check(status == 200 and "result" in body,
              "initialize on /mcp: %d %r" % (status, body))
        sid = h.get("mcp-session-id")
        ins = body["result"].get("instructions", "")
        check("MCP servers a:" in ins, "instructions name b: %r" % ins)
        _, _, body = agg_rpc(b, admin, rpc(1, "initialize", INIT))
        ins = body["result"].get("instructions", "")
        check("MCP servers a, b:" in ins, "instructions with b's scope: %r"
              % ins)
        r = post(b, {"jsonrpc": "2.0",
                     "method": "notifications/initialized"}, sid,
                 "2025-06-18", extra=bearer(tok))
        r.body()
        r.close()
        lists = (("tools/list", "tools", "name", "%s__"),
                 ("prompts/list", "prompts", "name", "%s__"),
                 ("resources/list", "resources", "uri", "mcpbridge+%s:"))
        for i, (method, key, field, pfx) in enumerate(lists):
            _, _, body = agg_rpc(b, tok, rpc(10 + i, method), sid)
            names = agg_names(body, key, field)
            check(any(n.startswith(pfx % "a") for n in names),
                  "%s lacks a's: %r" % (method, names))
            check(not any(n.startswith(pfx % "b") for n in names),
                  "%s shows b's without its scope: %r" % (method, names))
        www = 'scope="mcp mcp:admin"'
        for i, (method, params) in enumerate((
                ("tools/call", {"name": "b__test_simple_text"}),
                ("prompts/get", {"name": "b__test_simple_prompt"}),
                ("resources/read", {"uri": "mcpbridge+b:test://"
                                           "static-text"}))):
            status, h, body = agg_rpc(b, tok, rpc(20 + i, method, params),
                                      sid)
            check(status == 403 and www in h.get("www-authenticate", "") and
                  'error="insufficient_scope"' in
                  h.get("www-authenticate", ""),
                  "%s of b without its scope: %d %r %r" %
                  (method, status, h, body))
        status, _, body = agg_rpc(b, tok, rpc(30, "tools/call", {
            "name": "a__test_simple_text"}), sid)
        check(status == 200 and "result" in body,
              "a's tool: %d %r" % (status, body))
        # The same session, a token with b's scope: b is there.
        _, _, body = agg_rpc(b, admin, rpc(31, "tools/list"), sid)
        names = agg_names(body, "tools", "name")
        check("b__test_simple_text" in names, "b's tools with its scope: %r"
              % names)
        status, _, body = agg_rpc(b, admin, rpc(32, "tools/call", {
            "name": "b__test_simple_text"}), sid)
        check(status == 200 and "result" in body and
              not body["result"].get("isError"),
              "b's tool with its scope: %d %r" % (status, body))
        # --oauth-tool-scope echo=mcp:tools: a__echo on /mcp needs it.
        status, h, _ = agg_rpc(b, admin, rpc(33, "tools/call", {
            "name": "a__echo", "arguments": {"message": "x"}}), sid)
        check(status == 403 and "mcp:tools" in
              h.get("www-authenticate", ""),
              "a__echo without mcp:tools: %d %r" % (status, h))
        tools = AUTH.forge(b.url, scope="mcp mcp:tools")
        status, h, body = agg_rpc(b, tools, rpc(1, "initialize", INIT))
        check(status == 200, "initialize: %d %r" % (status, body))
        status, _, body = agg_rpc(b, tools, rpc(34, "tools/call", {
            "name": "a__echo", "arguments": {"message": "x"}}),
            h.get("mcp-session-id"))
        check(status == 200 and "result" in body,
              "a__echo with mcp:tools: %d %r" % (status, body))
        # a__add_numbers=mcp:tools: a's add_numbers, on /mcp and on a's
        # own route; not b's.
        add = {"name": "a__add_numbers", "arguments": {"a": 1, "b": 2}}
        status, h, _ = agg_rpc(b, admin, rpc(35, "tools/call", add), sid)
        check(status == 403 and "mcp:tools" in
              h.get("www-authenticate", ""),
              "a__add_numbers without mcp:tools: %d %r" % (status, h))
        status, _, body = agg_rpc(b, admin, rpc(36, "tools/call", dict(
            add, name="b__add_numbers")), sid)
        check(status == 200 and "result" in body,
              "b__add_numbers: %d %r" % (status, body))
        status, h, body = named_post(b, "a", rpc(1, "initialize", INIT),
                                     admin)
        status, h, _ = named_post(b, "a", rpc(2, "tools/call", dict(
            add, name="add_numbers")), admin, h.get("mcp-session-id"))
        check(status == 403 and "mcp:tools" in
              h.get("www-authenticate", ""),
              "add_numbers on a's route without mcp:tools: %d %r" %
              (status, h))
        # A 2025-03-26 batch: its calls' servers' scopes are asked for
        # first; then each member goes to its server, answered as one.
        status, h, _ = agg_rpc(b, admin, rpc(1, "initialize", dict(
            INIT, protocolVersion="2025-03-26")))
        bsid = h.get("mcp-session-id")
        batch = [rpc(50, "tools/call", {"name": "a__test_simple_text"}),
                 rpc(51, "tools/call", {"name": "b__test_simple_text"})]
        status, h, _ = agg_rpc(b, tok, batch, bsid, "2025-03-26")
        check(status == 403 and www in h.get("www-authenticate", ""),
              "a batch calling b without its scope: %d %r" % (status, h))
        r = post(b, batch, bsid, "2025-03-26", extra=bearer(admin))
        body = r.final() if r.status == 200 else r.body()
        r.close()
        check(isinstance(body, list) and
              sorted(m.get("id") for m in body if "result" in m) ==
              [50, 51], "a batch on /mcp: %d %r" % (r.status, body))
        # 2026-07-28: the same, request by request.
        status, _, body = agg_modern(b, tok, 40, "tools/list", {})
        names = agg_names(body, "tools", "name")
        check(names and not any(n.startswith("b__") for n in names),
              "2026-07-28 tools/list without b's scope: %r" % names)
        status, h, body = agg_modern(b, tok, 41, "tools/call", {
            "name": "b__test_simple_text", "arguments": {}},
            "b__test_simple_text")
        check(status == 403 and www in h.get("www-authenticate", ""),
              "2026-07-28 call of b without its scope: %d %r" %
              (status, body))
        status, _, body = agg_modern(b, admin, 42, "tools/list", {})
        check("b__test_simple_text" in agg_names(body, "tools", "name"),
              "2026-07-28 tools/list with b's scope: %r" % body)
        status, _, body = agg_modern(b, admin, 43, "tools/call", {
            "name": "b__test_simple_text", "arguments": {}},
            "b__test_simple_text")
        check(status == 200 and "result" in body,
              "2026-07-28 call of b with its scope: %d %r" % (status, body))
        # The static token is the bridge's: every server.
        status, h, body = agg_rpc(b, STATIC, rpc(1, "initialize", INIT))
        _, _, body = agg_rpc(b, STATIC, rpc(2, "tools/list"),
                             h.get("mcp-session-id"))
        check("b__test_simple_text" in agg_names(body, "tools", "name"),
              "the static token's tools/list: %r" % body)
    finally:
        finish(b)


def scenario_agg_claims():
    """A server in per-session isolation with --env-from-claim behind the
    aggregated /mcp: each client's child there sees its own token's
    claim, as on the server's own route."""
    path = os.path.join(TMPDIR, "agg-claims.json")
    with open(path, "w") as f:
        json.dump({"mcpServers": {
            "a": {"command": SERVER},
            "b": {"command": SERVER, "mcpbridge": {
                "isolation": "session",
                "env-from-claim": ["MCP_USER=sub"]}}}}, f)
    b = Bridge("--oauth-issuer", AUTH.issuer, "--oauth-scope", "mcp",
               config=path)
    try:
        b.wait_ready()
        for who in ("alice", "bob"):
            tok = AUTH.forge(b.url, sub=who)
            status, h, body = agg_rpc(b, tok, rpc(1, "initialize", INIT))
            check(status == 200, "%s: initialize %d %r" % (who, status,
                                                             body))
            sid = h.get("mcp-session-id")
            status, _, body = agg_rpc(b, tok, rpc(2, "tools/call", {
                "name": "b__report_env", "arguments": {"name":
                                                       "MCP_USER"}}), sid)
            check(status == 200 and "result" in body and
                  body["result"]["content"][0]["text"] == who,
                  "%s's child at b: %d %r" % (who, status, body))
    finally:
        finish(b)


def scenario_otel():
    """OpenTelemetry behind OAuth: enduser.id is the principal's keyed
    hash, the same for a refreshed token and another for another user;
    never a token or the subject, even with --otel-capture-content (which
    records arguments as the client sent them)."""
    from mcptest.otlp import Receiver
    rx = Receiver()
    b = start("--otel-endpoint", rx.endpoint(), "--otel-batch-delay",
              "20ms", "--otel-capture-content")
    try:
        b.wait_ready()
        sub = "otel-subject-4f2a91"
        tok = AUTH.forge(resource(b), sub=sub)
        status, _, sid = init(b, tok)
        check(status == 200 and sid, "init: %d" % status)
        tok2 = AUTH.forge(resource(b), sub=sub)
        for i, t in enumerate((tok, tok2)):
            status, _, body = tool(b, t, sid, "test_simple_text", id=2 + i)
            check(status == 200, "call %d: %d %r" % (i, status, body))
        other = AUTH.forge(resource(b), sub="otel-other-77c1")
        status, _, osid = init(b, other)
        check(status == 200, "other init: %d" % status)
        tool(b, other, osid, "test_simple_text", id=9)
        rx.wait_for(lambda r: len(r.spans("tools/call test_simple_text",
                                          kind=2)) >= 3,
                    what="the three calls' spans")
        ids = {}
        for s in rx.spans("tools/call test_simple_text", kind=2):
            eid = s.attrs.get("enduser.id", "")
            check(re.fullmatch(r"oauth:[0-9a-f]{16}", eid),
                  "enduser.id %r" % eid)
            ids.setdefault(s.attrs.get("jsonrpc.request.id"), eid)
        check(ids["2"] == ids["3"] != ids["9"], "enduser.id: %r" % ids)
        with rx.st.lock:
            sent = json.dumps(rx.st.spans)
        for what, v in (("a token", tok), ("a token", tok2),
                        ("a token", other), ("the subject", sub)):
            check(v not in sent, "%s is in a span" % what)
    finally:
        finish(b)
        rx.stop()


def scenario_batch_scopes():
    """A batch whose calls need more scopes than a request may (64) is
    refused whole with 400, never checked on its first 64: a token with
    s1..s64 cannot slip echo (mcp:admin) in as the 65th need."""
    opts = []
    for i in range(1, 65):
        opts += ["--oauth-tool-scope", "t%d=s%d" % (i, i)]
    b = start(*opts)
    try:
        b.wait_ready()
        tok = AUTH.forge(resource(b), scope="mcp " + " ".join(
            "s%d" % i for i in range(1, 65)))
        r = post(b, rpc(1, "initialize", dict(
            INIT, protocolVersion="2025-03-26")), extra=bearer(tok))
        r.answer()
        r.close()
        sid = r.headers.get("mcp-session-id")
        check(r.status == 200 and sid, "initialize: %d" % r.status)
        calls = [rpc(i, "tools/call", {"name": "t%d" % i})
                 for i in range(1, 65)]
        calls.append(rpc(100, "tools/call", {
            "name": "echo", "arguments": {"text": "ran without admin"}}))
        r = post(b, calls, sid, "2025-03-26", extra=bearer(tok))
        body = r.body()
        r.close()
        check(r.status == 400 and b"ran without admin" not in body,
              "64 decoys + echo: %d %r" % (r.status, body[:300]))
        err = json.loads(body)["error"]
        check(err["code"] == -32600 and "64 scopes" in err["message"],
              "refusal: %r" % err)
        # 63 decoys + echo: within the bound, checked, 403 for echo.
        r = post(b, calls[1:], sid, "2025-03-26", extra=bearer(tok))
        r.body()
        r.close()
        check(r.status == 403 and "mcp:admin" in
              r.headers.get("www-authenticate", ""),
              "63 decoys + echo: %d %r" % (r.status, r.headers))
    finally:
        finish(b)


def scenario_resource_host():
    """The default resource follows the --host the user gave: a client
    that connects to http://localhost:PORT/mcp finds that URL in the
    metadata (RFC 9728 3.3), and tokens for it are let in."""
    for host, name in (("localhost", "localhost"), ("::1", "[::1]")):
        if host == "::1":
            try:
                s = socket.socket(socket.AF_INET6)
                s.bind(("::1", 0))
                s.close()
            except OSError:
                continue            # no IPv6 loopback here
        b = start("--host", host)
        try:
            b.wait_ready()
            want = "http://%s:%d/mcp" % (name, b.port)
            status, _, data = exchange(
                b, "GET", "/.well-known/oauth-protected-resource")
            doc = json.loads(data)
            check(status == 200 and doc["resource"] == want,
                  "--host %s: resource %r, not %r" % (host, doc, want))
            status, h, _ = exchange(b, "GET", "/mcp")
            check('resource_metadata="http://%s:%d/.well-known/'
                  'oauth-protected-resource/mcp"' % (name, b.port) in
                  h.get("www-authenticate", ""), "%r" % h)
            status, _, _ = init(b, AUTH.forge(want))
            check(status == 200, "a token for %s: %d" % (want, status))
        finally:
            finish(b)


def scenario_trace_redacts():
    """--trace=body: a client that writes its own access token (a JWT, or
    an opaque one) into a message does not get it logged, on any of the
    four lines (client>bridge, bridge>child, child>bridge,
    bridge>client); finish() looks for every token in the log."""
    b = start("--trace=body", "--oauth-client-id", "bridge",
              "--oauth-client-secret-env", "BSEC")
    try:
        b.wait_ready()
        jwt = AUTH.token(resource(b), "mcp mcp:admin")
        opaque = AUTH.token(resource(b), "mcp mcp:admin",
                            client="machine-opaque")
        check(opaque.count(".") != 2, "not opaque: %r" % opaque[:20])
        for tok in (jwt, opaque):
            status, _, sid = init(b, tok)
            check(status == 200, "initialize: %d" % status)
            r = post(b, rpc(5, "tools/call", {
                "name": "echo", "arguments": {"message": tok}}),
                sid, "2025-06-18", extra=bearer(tok))
            body = r.answer()
            r.close()
            check(r.status == 200 and tok in json.dumps(body),
                  "echo: %d %r" % (r.status, body))
        check(b.wait_log("[redacted]"), "nothing redacted")
    finally:
        finish(b)


def scenario_drain_held():
    """SIGTERM while requests are held for a token check (keys that never
    come): the drain waits for them within --drain-timeout and answers
    them 503 with Retry-After at its end, never an empty reply."""
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(16)
    issuer = "http://127.0.0.1:%d" % hang.getsockname()[1]
    b = Bridge("--oauth-issuer", issuer, "--drain-timeout", "2")
    try:
        tok = AUTH.forge(b.url + "/mcp", iss=issuer)
        TOKENS.append(tok)
        conns = []
        for _ in range(3):
            c = Conn(b, timeout=8)
            c.send("POST", "/mcp", {"Authorization": "Bearer " + tok,
                                    "Content-Type": "application/json"},
                   rpc(1, "initialize", INIT))
            conns.append(c)
        time.sleep(0.3)             # held: nothing to wait on but time
        start_t = time.monotonic()
        b.proc.terminate()
        for c in conns:
            try:
                r = c.response("POST")
                r.body()
            except Exception as e:  # an empty reply
                raise Failure("held request during the drain: %r" % e)
            check(r.status == 503 and
                  r.headers.get("retry-after", "").isdigit(),
                  "held request during the drain: %d %r" %
                  (r.status, r.headers))
            c.close()
        took = time.monotonic() - start_t
        check(took < 6, "answered after %.1f s" % took)
        # Not the drain's first line, which counts the held (0 too).
        check(b.wait_log("3 requests still held for a token check after "
                         "--drain-timeout"), "not logged")
    finally:
        finish(b)
        hang.close()


def scenario_wrong_issuer():
    """An issuer whose metadata names itself otherwise (here without the
    trailing '/' given to --oauth-issuer): an error line, once, that
    names the difference; discovery is retried; /readyz stays 503 and
    tokens get 503."""
    import http.server
    import threading

    class Meta(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.server.hits += 1
            port = self.server.server_address[1]
            body = json.dumps({
                "issuer": "http://127.0.0.1:%d" % port,
                "jwks_uri": "http://127.0.0.1:%d/jwks" % port}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Meta)
    srv.hits = 0
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    issuer = "http://127.0.0.1:%d/" % srv.server_address[1]
    b = Bridge("--oauth-issuer", issuer)
    try:
        check(b.wait_log("trailing '/' differs"), "no hint logged")
        tok = AUTH.forge(b.url + "/mcp", iss=issuer)
        TOKENS.append(tok)
        for _ in range(2):
            time.sleep(1.2)         # past the first backoff: a retry
            status, h, _ = init(b, tok)
            check(status == 503 and h.get("retry-after"),
                  "token of a wrong issuer: %d %r" % (status, h))
        status, _, _ = exchange(b, "GET", "/readyz")
        check(status == 503, "/readyz: %d" % status)
        check(srv.hits >= 2, "discovery not retried: %d" % srv.hits)
        err = b.stderr()
        lines = [line for line in err.splitlines()
                 if "trailing '/' differs" in line]
        check(len(lines) == 1 and " error: " in lines[0] and
              "names itself 'http://127.0.0.1:%d'" % srv.server_address[1]
              in lines[0], "the error line: %r" % lines)
    finally:
        finish(b)
        srv.shutdown()


SCENARIOS = [
    ("unknown_kid", scenario_unknown_kid),
    ("issued_tokens", scenario_issued_tokens),
    ("refused", scenario_refused),
    ("jwks_down", scenario_jwks_down),
    ("introspection", scenario_introspection),
    ("metadata", scenario_metadata),
    ("request_state", scenario_request_state),
    ("failures_limited", scenario_failures_limited),
    ("client_leaves", scenario_client_leaves),
    ("batch_scopes", scenario_batch_scopes),
    ("resource_host", scenario_resource_host),
    ("trace_redacts", scenario_trace_redacts),
    ("drain_held", scenario_drain_held),
    ("wrong_issuer", scenario_wrong_issuer),
    ("unknown_kid_refresh", scenario_unknown_kid_refresh),
    ("named_routes", scenario_named_routes),
    ("server_scopes", scenario_server_scopes),
    ("otel", scenario_otel),
    ("agg_scopes", scenario_agg_scopes),
    ("agg_claims", scenario_agg_claims),
]

if __name__ == "__main__":
    need_built()
    if not os.path.isdir(os.path.join(DEPS, "node_modules",
                                      "oidc-provider")):
        if os.environ.get("MCPBRIDGE_REQUIRE_NODE"):
            print("FAIL: oidc-provider missing in %s" % DEPS)
            sys.exit(1)
        print("SKIP: oidc-provider is not installed in %s" % DEPS)
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="oauth-serve.")
    TMPDIR = tmp
    AUTH = AS(tmp)
    try:
        failed = scenarios(SCENARIOS, alarm=300)
    finally:
        AUTH.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(failed)
