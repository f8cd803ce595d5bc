// SPDX-License-Identifier: ISC
// modern.mjs URL: a 2026-07-28 client (@modelcontextprotocol/client, the
// TypeScript SDK 2.x) and a 2025-11-25 one (@modelcontextprotocol/sdk 1.x)
// share one bridge, and so one legacy child, at the same time.  Both call a
// tool that needs sampling: the legacy client answers the child's request,
// the modern one the input_required result the bridge makes of it (the SDK
// retries by itself).  The modern client also discovers the server, lists
// tools, listens for list changes and reads a resource.  Prints "ok" or
// exits 1.
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHTTP }
  from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHTTP }
  from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const base = process.argv[2];

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

function sampled(who) {
  return {
    model: 'test-model', role: 'assistant', stopReason: 'endTurn',
    content: { type: 'text', text: 'sampled by ' + who },
  };
}

async function modern() {
  const client = new ModernClient({ name: 'modern-client', version: '1.0.0' }, {
    capabilities: { sampling: {} },
    versionNegotiation: { mode: 'auto' },
  });
  let asked = 0;
  client.setRequestHandler('sampling/createMessage', async () => {
    asked++;
    return sampled('the modern client');
  });
  await client.connect(new ModernHTTP(new URL(base + '/mcp')));
  check(client.getNegotiatedProtocolVersion() === '2026-07-28',
    'modern era: ' + client.getNegotiatedProtocolVersion());
  check(client.getServerVersion().name === 'mcpbridge-test-server',
    'serverInfo from server/discover');

  const tools = await client.listTools();
  check(tools.tools.some((t) => t.name === 'test_sampling'), 'tools/list');

  const sub = await client.listen({ toolsListChanged: true });
  check(sub.honoredFilter.toolsListChanged === true, 'listen acknowledged');
  const changed = new Promise((resolve) => {
    client.setNotificationHandler('notifications/tools/list_changed', () => resolve());
  });

  const res = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
  check(textOf(res) === 'LLM response: sampled by the modern client',
    'modern sampling: ' + textOf(res));
  check(asked === 1, 'the modern client was asked once: ' + asked);

  await client.callTool({ name: 'notify_list_changed', arguments: { list: 'tools' } });
  await within(5000, changed, 'tools/list_changed on the listen stream');
  await sub.close();

  const read = await client.readResource({ uri: 'test://static-text' });
  check(read.contents[0].text.length > 0, 'resources/read');
  await client.close();
}

async function legacy() {
  const client = new LegacyClient({ name: 'legacy-client', version: '1.0.0' },
    { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => sampled('the legacy client'));
  await client.connect(new LegacyHTTP(new URL(base + '/mcp')));
  check(client.getServerVersion().name === 'mcpbridge-test-server', 'legacy initialize');
  for (let i = 0; i < 3; i++) {
    const res = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
    check(textOf(res) === 'LLM response: sampled by the legacy client',
      'legacy sampling: ' + textOf(res));
  }
  await client.close();
}

within(60000, Promise.all([modern(), legacy()]), 'both clients').then(() => {
  console.log('ok');
  process.exit(0);
}, (e) => {
  console.error('FAIL: ' + (e.stack || e));
  process.exit(1);
});
