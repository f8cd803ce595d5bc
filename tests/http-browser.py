#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-browser.py: a real browser (headless Chromium) loads a page from
# another loopback origin (a tiny http.server on another port).  With
# --cors naming that origin, the page opens a Streamable HTTP session with
# fetch() and a legacy HTTP+SSE session with EventSource, calls a tool on
# each and writes the answers into the DOM; without --cors the browser
# refuses to let the page read anything.
# Exit 0 pass, 1 fail, 77 skip (no chromium).
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import Bridge  # noqa: E402
from mcptest.run import need_built  # noqa: E402

PAGE = """<!doctype html>
<html><head><title>mcpbridge browser test</title></head><body>
<div id="stream">pending</div>
<div id="legacy">pending</div>
<script>
const bridge = new URLSearchParams(location.search).get('bridge');
const H = {'Content-Type': 'application/json',
           'Accept': 'application/json, text/event-stream'};

async function answerOf(res) {
  const ct = res.headers.get('Content-Type') || '';
  const text = await res.text();
  if (ct.startsWith('application/json')) return JSON.parse(text);
  for (const line of text.split('\\n')) {
    if (!line.startsWith('data: ')) continue;
    const m = JSON.parse(line.slice(6));
    if ('id' in m && !('method' in m)) return m;
  }
  throw new Error('no answer in ' + text);
}

async function streamable() {
  const el = document.getElementById('stream');
  try {
    let res = await fetch(bridge + '/mcp', {method: 'POST', headers: H,
      body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'initialize',
        params: {protocolVersion: '2025-06-18', capabilities: {},
                 clientInfo: {name: 'browser', version: '1'}}})});
    const sid = res.headers.get('Mcp-Session-Id');
    await answerOf(res);
    if (!sid) throw new Error('Mcp-Session-Id not readable');
    const h = Object.assign({'Mcp-Session-Id': sid,
                             'MCP-Protocol-Version': '2025-06-18'}, H);
    await fetch(bridge + '/mcp', {method: 'POST', headers: h,
      body: JSON.stringify({jsonrpc: '2.0',
                            method: 'notifications/initialized'})});
    res = await fetch(bridge + '/mcp', {method: 'POST', headers: h,
      body: JSON.stringify({jsonrpc: '2.0', id: 2, method: 'tools/call',
        params: {name: 'echo', arguments: {message: 'hello streamable'}}})});
    const a = await answerOf(res);
    await fetch(bridge + '/mcp', {method: 'DELETE', headers: h});
    el.textContent = 'ok: ' + a.result.content[0].text;
  } catch (e) {
    el.textContent = 'error: ' + e;
  }
}

function legacy() {
  return new Promise((resolve) => {
    const el = document.getElementById('legacy');
    const es = new EventSource(bridge + '/sse');
    let endpoint = null;
    const done = (t) => { el.textContent = t; es.close(); resolve(); };
    const post = (m) => fetch(endpoint, {method: 'POST',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(m)});
    es.onerror = () => done('error: the event stream failed');
    es.addEventListener('endpoint', async (ev) => {
      endpoint = new URL(ev.data, bridge).href;
      try {
        await post({jsonrpc: '2.0', id: 1, method: 'initialize',
          params: {protocolVersion: '2024-11-05', capabilities: {},
                   clientInfo: {name: 'browser', version: '1'}}});
      } catch (e) { done('error: ' + e); }
    });
    es.addEventListener('message', async (ev) => {
      const m = JSON.parse(ev.data);
      try {
        if (m.id === 1) {
          await post({jsonrpc: '2.0', method: 'notifications/initialized'});
          await post({jsonrpc: '2.0', id: 2, method: 'tools/call',
            params: {name: 'echo', arguments: {message: 'hello legacy'}}});
        } else if (m.id === 2) {
          done('ok: ' + m.result.content[0].text);
        }
      } catch (e) { done('error: ' + e); }
    });
  });
}

Promise.all([streamable(), legacy()]).then(() => { document.title = 'done'; });
</script>
</body></html>
"""


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        data = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def run(browser, cors):
    """The DOM the page leaves, with the bridge's log."""
    pages = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    origin = "http://127.0.0.1:%d" % pages.server_address[1]
    bridge = Bridge(*(["--cors", origin] if cors else []))
    profile = tempfile.mkdtemp()
    try:
        page = "%s/page.html?bridge=%s" % (origin, bridge.url)
        out = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
             "--user-data-dir=" + profile, "--virtual-time-budget=15000",
             "--dump-dom", page],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60)
        dom = out.stdout.decode(errors="replace")
    finally:
        bridge.stop(10)
        pages.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    return dom, bridge.stderr(), bridge.proc.returncode


def div(dom, name):
    m = re.search(r'<div id="%s">(.*?)</div>' % name, dom, re.S)
    return m.group(1) if m else None


def main():
    browser = chromium()
    if browser is None:
        print("SKIP: no chromium (scripts/setup installs it)")
        sys.exit(77)
    need_built()
    fails = 0
    dom, log, rc = run(browser, True)
    for name, want in (("stream", "ok: hello streamable"),
                       ("legacy", "ok: hello legacy")):
        got = div(dom, name)
        ok = got == want
        print("%s - with --cors, %s: %r" % ("ok" if ok else "not ok", name,
                                              got))
        fails += not ok
    if rc != 0 or re.search(r"Sanitizer|runtime error:", log):
        print("not ok - bridge exit %d or sanitizer report" % rc)
        fails += 1
    if fails:
        print(dom)
        print(log)
    dom, log, rc = run(browser, False)
    for name in ("stream", "legacy"):
        got = div(dom, name)
        ok = got is not None and got.startswith("error:")
        print("%s - without --cors, %s refused: %r" % (
            "ok" if ok else "not ok", name, got))
        fails += not ok
    if rc != 0:
        fails += 1
    print("%d failed" % fails)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
