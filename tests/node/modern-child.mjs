// SPDX-License-Identifier: ISC
// modern-child.mjs URL: a 2026-07-28 client (@modelcontextprotocol/client
// 2.x) and a 2025-11-25 one (@modelcontextprotocol/sdk 1.x) at once on a
// bridge in front of modern-server.mjs, a child that itself speaks
// 2026-07-28 (`mcpbridge serve --child-era=auto`).  The modern client's
// traffic passes through (its input_required, listen and progress are the
// child's own); the legacy client's is translated (initialize from
// server/discover, elicitation asked of it and retried, subscriptions and
// list changes through the bridge's listen, logging/setLevel as logLevel).
// Usage: modern-child.mjs URL [streamable|sse] (the legacy client's
// transport).  Prints "ok" or exits 1.
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHTTP }
  from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHTTP }
  from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport as LegacySSE } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

const base = process.argv[2];
// The legacy client's transport: streamable (default) or sse (2024-11-05).
const legacyTransport = process.argv[3] || 'streamable';

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

function textOf(result) {
  return (result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');
}

function within(ms, promise, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out: ' + what)), ms);
  })]).finally(() => clearTimeout(timer));
}

function waiter() {
  let resolve;
  const p = new Promise((r) => { resolve = r; });
  return { p, resolve };
}

async function modern() {
  const client = new ModernClient({ name: 'modern-client', version: '1.0.0' }, {
    capabilities: { elicitation: { form: {} } },
    versionNegotiation: { mode: 'auto' },
  });
  let asked = 0;
  client.setRequestHandler('elicitation/create', async (req) => {
    asked++;
    check(req.params.message === 'Really launch?', 'modern question: ' + req.params.message);
    return { action: 'accept', content: { sure: true } };
  });
  await client.connect(new ModernHTTP(new URL(base + '/mcp')));
  check(client.getNegotiatedProtocolVersion() === '2026-07-28',
    'modern era: ' + client.getNegotiatedProtocolVersion());
  check(client.getServerVersion().name === 'modern-test-server',
    'serverInfo from the child\'s own server/discover');

  const tools = await client.listTools();
  check(tools.tools.some((t) => t.name === 'confirm'), 'tools/list');

  const res = await client.callTool({ name: 'confirm', arguments: { what: 'launch' } });
  check(textOf(res) === 'confirmed launch', 'modern input_required round: ' + textOf(res));
  check(asked === 1, 'the modern client was asked once: ' + asked);

  const progress = [];
  const counted = await client.callTool({ name: 'count', arguments: { n: 3 } },
    { onprogress: (p) => progress.push(p.progress) });
  check(textOf(counted) === 'counted 3', 'count: ' + textOf(counted));
  check(progress.join(',') === '1,2,3', 'modern progress: ' + progress.join(','));

  const changed = waiter();
  const updated = waiter();
  client.setNotificationHandler('notifications/tools/list_changed', () => changed.resolve());
  client.setNotificationHandler('notifications/resources/updated', (n) => updated.resolve(n.params.uri));
  const sub = await client.listen({ toolsListChanged: true, resourceSubscriptions: ['test://counter'] });
  check(sub.honoredFilter.toolsListChanged === true, 'listen acknowledged');
  await client.callTool({ name: 'bump', arguments: {} });
  await within(5000, changed.p, 'modern tools/list_changed on the listen stream');
  check(await within(5000, updated.p, 'modern resources/updated') === 'test://counter',
    'modern resources/updated');
  await sub.close();

  const read = await client.readResource({ uri: 'test://counter' });
  check(/^\d+$/.test(read.contents[0].text), 'resources/read');
  await client.close();
}

async function legacy() {
  const client = new LegacyClient({ name: 'legacy-client', version: '1.0.0' },
    { capabilities: { elicitation: {} } });
  let asked = 0;
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked++;
    check(req.params.message === 'Really land?', 'legacy question: ' + req.params.message);
    return { action: 'accept', content: { sure: asked > 1 } };
  });
  const changed = waiter();
  const updated = waiter();
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed.resolve());
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated.resolve(n.params.uri));
  await client.connect(legacyTransport === 'sse' ? new LegacySSE(new URL(base + '/sse'))
    : new LegacyHTTP(new URL(base + '/mcp')));
  // What the bridge sends, in the order it arrives: the v1 SDK runs an
  // answer before a notification that came in the same read, and drops
  // the notification's progress then, so its onprogress is no measure.
  const wire = [];
  {
    const t = client.transport;
    const deliver = t.onmessage;
    t.onmessage = (msg, extra) => { wire.push(msg); deliver(msg, extra); };
  }
  check(client.getServerVersion().name === 'modern-test-server', 'legacy initialize from discover');
  check(client.getServerCapabilities().resources.subscribe === true, 'legacy capabilities');
  check(client.getInstructions() === 'a 2026-07-28 test server', 'legacy instructions');
  await client.ping();

  const echo = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
  check(textOf(echo) === 'echo: hi', 'legacy echo: ' + textOf(echo));
  check(echo.resultType === undefined, 'no resultType for a legacy client');
  for (let i = 1; i <= 2; i++) {
    const res = await client.callTool({ name: 'confirm', arguments: { what: 'land' } });
    check(textOf(res) === (i === 1 ? 'not confirmed land' : 'confirmed land'),
      'legacy input_required as elicitation/create: ' + textOf(res));
  }
  check(asked === 2, 'the legacy client was asked twice: ' + asked);

  const counted = await client.callTool({ name: 'count', arguments: { n: 2 } }, undefined,
    { onprogress: () => {} });
  check(textOf(counted) === 'counted 2', 'legacy count: ' + textOf(counted));
  const answer = wire.findIndex((m) => m.result !== undefined &&
    textOf(m.result) === 'counted 2');
  const progress = wire.slice(0, answer).filter((m) =>
    m.method === 'notifications/progress' && m.params.progressToken === wire[answer].id);
  check(progress.map((m) => m.params.progress).join(',') === '1,2',
    'legacy progress before the answer: ' + progress.map((m) => m.params.progress).join(','));

  await client.subscribeResource({ uri: 'test://counter' });
  // The bridge's listen is replaced with the URI in it; give it a moment.
  await new Promise((r) => setTimeout(r, 300));
  await client.callTool({ name: 'bump', arguments: {} });
  check(await within(5000, updated.p, 'legacy resources/updated') === 'test://counter',
    'legacy resources/updated');
  await within(5000, changed.p, 'legacy tools/list_changed');
  await client.unsubscribeResource({ uri: 'test://counter' });
  await client.close();
}

// A 2026-07-28 child's log line names no request: the bridge passes it on
// only while one client request is in flight at the child, so this runs
// once the two clients above are done.
async function legacyLog() {
  const client = new LegacyClient({ name: 'legacy-log', version: '1.0.0' });
  const logs = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params.data));
  await client.connect(legacyTransport === 'sse' ? new LegacySSE(new URL(base + '/sse'))
    : new LegacyHTTP(new URL(base + '/mcp')));
  await client.setLoggingLevel('info');
  const counted = await client.callTool({ name: 'count', arguments: { n: 2 } });
  check(textOf(counted) === 'counted 2', 'legacy count: ' + textOf(counted));
  check(logs.includes('counted to 2'), 'legacy log line at its level: ' + JSON.stringify(logs));
  await client.close();
}

within(60000, Promise.all([modern(), legacy()]).then(legacyLog), 'both clients').then(() => {
  console.log('ok');
  process.exit(0);
}, (e) => {
  console.error('FAIL: ' + (e.stack || e));
  process.exit(1);
});
