// SPDX-License-Identifier: ISC
// tour.mjs URL TRANSPORT NAME: one official-SDK client's tour of a bridge in
// front of mcpbridge-test-server: tools (with progress), resources,
// prompts, a subscription and its update, and a sampling request answered by
// this client.  Prints "ok <NAME>" or throws.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

// kind: streamable | sse (the SDK's own HTTP transports), or
// client-streamable | client-sse | client-auto: the SDK's stdio transport
// driving `mcpbridge client` (MCPBRIDGE_BIN) in front of that URL.
export function transportFor(base, kind) {
  if (kind.startsWith('client-')) {
    const transport = kind.slice('client-'.length);
    const url = base + (transport === 'sse' ? '/sse' : '/mcp');
    return new StdioClientTransport({
      command: process.env.MCPBRIDGE_BIN,
      args: ['client', '--transport', transport, url],
      stderr: 'inherit',
    });
  }
  if (kind === 'sse') return new SSEClientTransport(new URL(base + '/sse'));
  return new StreamableHTTPClientTransport(new URL(base + '/mcp'));
}

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

function textOf(result) {
  return (result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');
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

export async function tour(base, kind, name) {
  const client = new Client({ name: 'tour-' + name, version: '1.0.0' },
    { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: 'sampled for ' + name },
  }));
  let updated;
  const gotUpdate = new Promise((resolve) => { updated = resolve; });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated(n.params.uri));

  const transport = transportFor(base, kind);
  await within(10000, client.connect(transport), 'connect');
  // What went out and what came in, as the transport has it: the SDK runs
  // a notification's handler a microtask later but a response's at once,
  // so progress read in one chunk with its response (a client starved on
  // a loaded machine) reaches no onprogress.  The bridge's part is to
  // deliver it before the response, and that is what is checked.
  const sent = [];
  const delivered = [];
  const send = transport.send.bind(transport);
  const dispatch = transport.onmessage;
  transport.send = (msg, opts) => { sent.push(msg); return send(msg, opts); };
  transport.onmessage = (msg, extra) => { delivered.push(msg); dispatch(msg, extra); };
  check(client.getServerVersion().name === 'mcpbridge-test-server', 'serverInfo');

  const tools = await client.listTools();
  const names = tools.tools.map((t) => t.name);
  check(names.includes('echo') && names.includes('test_simple_text'), 'tools/list');

  const echo = await client.callTool({ name: 'echo', arguments: { message: 'hello ' + name } });
  check(textOf(echo).includes('hello ' + name), 'echo returns our own text: ' + textOf(echo));

  const withProgress = await client.callTool(
    { name: 'test_tool_with_progress', arguments: {} }, undefined,
    { onprogress: () => {} });
  check(!withProgress.isError, 'progress tool result');
  const req = sent.find((m) => m.method === 'tools/call' &&
    m.params.name === 'test_tool_with_progress');
  const token = req.params._meta.progressToken;
  const answered = delivered.findIndex((m) => m.id === req.id && !m.method);
  check(answered >= 0, 'progress tool answer delivered');
  const progress = delivered.slice(0, answered).filter((m) =>
    m.method === 'notifications/progress' &&
    m.params.progressToken === token).map((m) => m.params.progress);
  check(progress.length >= 2, 'progress notifications delivered before the answer: ' + progress.length);
  for (let i = 1; i < progress.length; i++) check(progress[i] > progress[i - 1], 'progress increases');

  const res = await client.readResource({ uri: 'test://static-text' });
  check(res.contents[0].text.length > 0, 'resources/read');

  const prompt = await client.getPrompt({ name: 'test_simple_prompt' });
  check(prompt.messages.length >= 1, 'prompts/get');

  await client.subscribeResource({ uri: 'test://watched-resource' });
  const uri = await within(5000, gotUpdate, 'resource update');
  check(uri === 'test://watched-resource', 'update for the subscribed uri');
  await client.unsubscribeResource({ uri: 'test://watched-resource' });

  const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
  check(textOf(sampled).includes('sampled for ' + name), 'sampling answered by this client: ' + textOf(sampled));

  await client.close();
  return 'ok ' + name;
}

if (import.meta.url === 'file://' + process.argv[1]) {
  const [base, kind, name] = process.argv.slice(2);
  tour(base, kind, name || kind).then((r) => { console.log(r); process.exit(0); },
    (e) => { console.error('FAIL ' + (name || kind) + ': ' + (e.stack || e)); process.exit(1); });
}
