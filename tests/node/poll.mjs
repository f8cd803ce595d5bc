// SPDX-License-Identifier: ISC
// poll.mjs URL MODE: the official SDK client polls (SEP-1699) a slow call
// on a 2025-11-25 session until the call ends, then must stop coming back.
// MODE cancel: the call is aborted while the client polls for it.
// MODE error: the bridge answers the call with an error (run the bridge
// with a --request-timeout shorter than the call's 5 s delay).
// Afterwards the client may resume the finished stream a few times, not
// every `retry` for ever: the GETs with Last-Event-ID it sends within 3 s
// are counted.  Prints "ok MODE: N resumes" or throws.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

// More resumes than this after the call ended is a client polling a stream
// that will never give it anything.
const MAX_RESUMES = 3;
const QUIET_MS = 3000;

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function within(ms, promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out: ' + what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function poll(base, mode) {
  const resumes = [];
  // Sees every request the transport makes.
  const counting = (url, init) => {
    const h = new Headers(init?.headers);
    if ((init?.method || 'GET') === 'GET' && h.has('last-event-id'))
      resumes.push(h.get('last-event-id'));
    return fetch(url, init);
  };
  const client = new Client({ name: 'poll-' + mode, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(base + '/mcp'),
    { fetch: counting });
  await within(10000, client.connect(transport), 'connect');

  const ac = new AbortController();
  const call = client.callTool({ name: 'delay', arguments: { ms: 5000 } },
    undefined, { signal: ac.signal, timeout: 20000 });
  // The POST is primed and closed after 200 ms; the client then polls.
  const deadline = Date.now() + 5000;
  while (resumes.length === 0 && Date.now() < deadline) await sleep(20);
  check(resumes.length > 0, 'the client never polled the slow call');

  let outcome;
  if (mode === 'cancel') {
    ac.abort('enough');
    outcome = await within(5000, call.then(() => 'answered', (e) => e), 'cancel');
    check(outcome !== 'answered', 'a cancelled call got its answer');
  } else {
    // The bridge's error reaches the caller: nothing is lost on resume.
    outcome = await within(10000, call.then(() => 'answered', (e) => e), 'error answer');
    check(outcome !== 'answered' && /timed out|timeout/i.test(String(outcome.message)),
      'the error answer: ' + (outcome.message || outcome));
  }

  const before = resumes.length;
  await sleep(QUIET_MS);
  const after = resumes.length - before;
  check(after <= MAX_RESUMES, after + ' resumes in ' + QUIET_MS +
    ' ms after the call ended (' + resumes.slice(before, before + 5).join(' ') + ' ...)');

  // The session is still good for the next call.
  const echo = await within(5000, client.callTool({ name: 'echo', arguments: { message: 'after' } }),
    'echo after');
  check(JSON.stringify(echo).includes('after'), 'echo after the ' + mode);
  await client.close();
  return 'ok ' + mode + ': ' + after + ' resumes';
}

if (import.meta.url === 'file://' + process.argv[1]) {
  const [base, mode] = process.argv.slice(2);
  poll(base, mode).then((r) => { console.log(r); process.exit(0); },
    (e) => { console.error('FAIL ' + mode + ': ' + (e.stack || e)); process.exit(1); });
}
