// SPDX-License-Identifier: ISC
// aggregate.mjs BASE OUTFILE: the official SDK client on the aggregated
// /mcp of a bridge serving "demo" (the example server), "fixture" (the C
// test server, test_*_content denied) and "everything" (server-everything,
// trigger-sampling-request an asking tool): the tools of all three under
// NAME__ prefixes, a call of each, progress, a filtered tool absent and
// its call refused, and two clients at once (one on /mcp, one on the
// legacy /sse) each sampled by its own call; resources under
// mcpbridge+NAME: URIs, read, and a subscription's update; then a
// 2026-07-28 client (discover, the list, calls, input_required, a
// listen); and each server's own routes on both transports.  Writes the
// merged tools/list result to OUTFILE.  Prints "ok" or throws.
import { writeFileSync } from 'node:fs';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHTTP }
  from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

const [base, outfile] = process.argv.slice(2);

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

const textOf = (r) => (r.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');

function within(ms, promise, what) {
  let timer;
  return Promise.race([promise, new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(what + ': nothing within ' + ms + ' ms')), ms);
  })]).finally(() => clearTimeout(timer));
}

// A client that answers sampling with its own name, and counts the asks.
function sampler(name) {
  const client = new Client({ name, version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.asked = 0;
  client.setRequestHandler(CreateMessageRequestSchema, async () => {
    client.asked++;
    return { model: 'm', role: 'assistant', content: { type: 'text', text: 'sampled by ' + name } };
  });
  return client;
}

// A 2026-07-28 client (the TypeScript SDK 2.x): discover, the merged list,
// a call, and a tool that needs sampling: its input_required result comes
// back, the SDK retries with the answer, and the retry finds its server;
// a listen hears a server's list change.
async function modern() {
  const client = new ModernClient({ name: 'modern-client', version: '1.0.0' }, {
    capabilities: { sampling: {} },
    versionNegotiation: { mode: 'auto' },
  });
  let asked = 0;
  client.setRequestHandler('sampling/createMessage', async () => {
    asked++;
    return { model: 'm', role: 'assistant', stopReason: 'endTurn',
      content: { type: 'text', text: 'sampled by the modern client' } };
  });
  await within(10000, client.connect(new ModernHTTP(new URL(base + '/mcp'))), 'connect modern');
  check(client.getNegotiatedProtocolVersion() === '2026-07-28',
    'modern era: ' + client.getNegotiatedProtocolVersion());
  check(client.getServerVersion().name === 'mcpbridge', 'modern serverInfo: ' +
    JSON.stringify(client.getServerVersion()));
  const names = (await client.listTools()).tools.map((t) => t.name);
  check(names.includes('demo__add') && names.includes('fixture__test_sampling') &&
    names.includes('everything__echo'), 'modern tools/list: ' + names.length);
  const sum = await client.callTool({ name: 'demo__add', arguments: { a: 1, b: 2 } });
  check(textOf(sum) === '3', 'modern demo__add: ' + textOf(sum));
  const res = await within(20000, client.callTool({ name: 'fixture__test_sampling',
    arguments: { prompt: 'hi' } }), 'modern sampling');
  check(textOf(res) === 'LLM response: sampled by the modern client', 'modern sampling: ' + textOf(res));
  check(asked === 1, 'the modern client was asked once: ' + asked);

  // A listen of /mcp hears every server's list changes.
  const sub = await within(10000, client.listen({ toolsListChanged: true }), 'listen');
  check(sub.honoredFilter.toolsListChanged === true, 'listen acknowledged');
  const changed = new Promise((resolve) => {
    client.setNotificationHandler('notifications/tools/list_changed', () => resolve());
  });
  await client.callTool({ name: 'fixture__notify_list_changed', arguments: { list: 'tools' } });
  await within(5000, changed, 'tools/list_changed on the listen stream');
  await sub.close();
  await client.close();
}

// Each server's own routes, /servers/NAME/mcp and /servers/NAME/sse: the
// server as it is (its own serverInfo, unprefixed names, its filter), and
// a call of one of its tools.
async function named() {
  const servers = [
    ['demo', 'mcpbridge-example-server', 'add', { a: 20, b: 22 }, '42'],
    ['fixture', 'mcpbridge-test-server', 'echo', { message: 'own route' }, 'own route'],
    ['everything', null, 'echo', { message: 'own route' }, 'own route'],
  ];
  for (const [name, info, tool, args, want] of servers) {
    for (const kind of ['mcp', 'sse']) {
      const url = new URL(base + '/servers/' + name + '/' + kind);
      const client = new Client({ name: 'named-' + kind, version: '1.0.0' });
      const transport = kind === 'mcp' ? new StreamableHTTPClientTransport(url) : new SSEClientTransport(url);
      await within(10000, client.connect(transport), 'connect ' + url);
      const got = client.getServerVersion().name;
      check(got !== 'mcpbridge' && (info === null || got === info), url + ' serverInfo: ' + got);
      const names = (await client.listTools()).tools.map((t) => t.name);
      check(names.includes(tool) && names.every((n) => !n.includes('__')), url + ' tools: ' + names.join(' '));
      if (name === 'fixture')
        check(!names.includes('test_image_content'), url + ': the denied tool is absent');
      const r = await client.callTool({ name: tool, arguments: args });
      check(textOf(r).includes(want), url + ' ' + tool + ': ' + textOf(r));
      await client.close();
    }
  }
}

async function main() {
  await named();
  const a = sampler('client-a');
  const b = sampler('client-b');
  await within(10000, a.connect(new StreamableHTTPClientTransport(new URL(base + '/mcp'))), 'connect a');
  await within(10000, b.connect(new SSEClientTransport(new URL(base + '/sse'))), 'connect b');
  check(a.getServerVersion().name === 'mcpbridge', 'serverInfo: ' + JSON.stringify(a.getServerVersion()));
  const ins = a.getInstructions() || '';
  check(ins.includes('demo, fixture, everything'), 'instructions name the servers: ' + ins.slice(0, 200));

  const listed = await a.listTools();
  writeFileSync(outfile, JSON.stringify(listed, null, 1) + '\n');
  const names = listed.tools.map((t) => t.name);
  for (const n of ['demo__add', 'fixture__echo', 'fixture__test_simple_text', 'everything__echo',
    'everything__trigger-long-running-operation', 'everything__trigger-sampling-request']) {
    check(names.includes(n), 'tools/list has ' + n + ': ' + names.join(' '));
  }
  check(names.every((n) => /^(demo|fixture|everything)__/.test(n)), 'every name prefixed');
  check(!names.includes('fixture__test_image_content'), 'the denied tool is absent');
  // demo's tools first, then fixture's, then everything's: the file's order.
  const first = (p) => names.findIndex((n) => n.startsWith(p));
  check(first('demo__') < first('fixture__') && first('fixture__') < first('everything__'), 'server order');
  check(names.length === new Set(names).size, 'no name twice');
  const bnames = (await b.listTools()).tools.map((t) => t.name);
  check(bnames.join() === names.join(), 'the same list over /sse');

  // A call of each server, by its prefixed name.
  const sum = await a.callTool({ name: 'demo__add', arguments: { a: 2, b: 40 } });
  check(textOf(sum) === '42', 'demo__add: ' + textOf(sum));
  const echo = await a.callTool({ name: 'fixture__echo', arguments: { message: 'via the fixture' } });
  check(textOf(echo).includes('via the fixture'), 'fixture__echo: ' + textOf(echo));
  const eecho = await b.callTool({ name: 'everything__echo', arguments: { message: 'via everything' } });
  check(textOf(eecho).includes('via everything'), 'everything__echo: ' + textOf(eecho));

  // The filtered tool's call is refused, whatever the client knows.
  let refused;
  try {
    const r = await a.callTool({ name: 'fixture__test_image_content', arguments: {} });
    refused = r.isError ? textOf(r) : undefined;
  } catch (e) {
    refused = e.message;
  }
  check(refused && refused.includes('test_image_content'), 'the denied call refused: ' + refused);
  let unknown;
  try {
    await a.callTool({ name: 'nowhere__echo', arguments: {} });
  } catch (e) {
    unknown = e.message;
  }
  check(unknown && unknown.includes('Unknown tool: nowhere__echo'), 'an unknown prefix: ' + unknown);

  // Progress of a server's tool reaches the client that called it.
  const progress = [];
  await a.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
    undefined, { onprogress: (p) => progress.push(p.progress) });
  check(progress.length >= 2, 'progress notifications: ' + progress.length);

  // Two clients at once, each sampled for its own call only.
  const [ra, rb] = await within(30000, Promise.all([
    a.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'from a', maxTokens: 10 } }),
    b.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'from b', maxTokens: 10 } }),
  ]), 'two sampling calls');
  check(JSON.stringify(ra).includes('sampled by client-a') && !JSON.stringify(ra).includes('client-b'),
    'a sampled by a: ' + JSON.stringify(ra).slice(0, 300));
  check(JSON.stringify(rb).includes('sampled by client-b') && !JSON.stringify(rb).includes('client-a'),
    'b sampled by b: ' + JSON.stringify(rb).slice(0, 300));
  check(a.asked === 1 && b.asked === 1, 'each asked once: ' + a.asked + ' ' + b.asked);

  // Prompts merge the same way.
  const prompts = (await a.listPrompts()).prompts.map((p) => p.name);
  check(prompts.includes('demo__greet') && prompts.includes('everything__simple-prompt'),
    'prompts/list: ' + prompts.join(' '));
  const prompt = await a.getPrompt({ name: 'everything__simple-prompt' });
  check(prompt.messages.length > 0, 'prompts/get');

  // Resources: each server's URIs under mcpbridge+NAME:, read back, and a
  // subscription whose update names the merged URI.
  const resources = (await a.listResources()).resources.map((r) => r.uri);
  check(resources.includes('mcpbridge+demo:demo://readme'), 'resources/list: ' + resources.slice(0, 5).join(' '));
  check(resources.every((u) => /^mcpbridge\+(demo|fixture|everything):/.test(u)), 'every URI merged');
  const readme = await a.readResource({ uri: 'mcpbridge+demo:demo://readme' });
  check(readme.contents.length > 0 && readme.contents[0].uri === 'mcpbridge+demo:demo://readme',
    'resources/read: ' + JSON.stringify(readme).slice(0, 200));
  // A tool's resource links name merged URIs, readable here.
  const links = await a.callTool({ name: 'everything__get-resource-links', arguments: { count: 1 } });
  const link = (links.content || []).find((c) => c.type === 'resource_link');
  check(link && link.uri.startsWith('mcpbridge+everything:'), 'a merged resource link: ' +
    JSON.stringify(links).slice(0, 300));
  const linked = await a.readResource({ uri: link.uri });
  check(linked.contents.length > 0 && linked.contents[0].uri === link.uri, 'the link read back');
  const theirs = resources.find((u) => u.startsWith('mcpbridge+everything:'));
  check(theirs, 'a resource of everything');
  let updated;
  const gotUpdate = new Promise((resolve) => { updated = resolve; });
  a.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated(n.params.uri));
  await a.subscribeResource({ uri: theirs });
  await a.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
  const uri = await within(12000, gotUpdate, 'a resource update');
  check(uri === theirs, 'the update names the merged URI: ' + uri);
  await a.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
  await a.unsubscribeResource({ uri: theirs });

  await a.close();
  await b.close();
  await modern();
  console.log('ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
