// SPDX-License-Identifier: ISC
// tour-everything.mjs URL TRANSPORT: the official SDK client's tour of a
// bridge whose child is @modelcontextprotocol/server-everything: tools with
// progress, resources, prompts, a subscription and its update, and a
// sampling request answered by this client.  Prints "ok" or throws.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { transportFor } from './tour.mjs';

const [base, kind] = process.argv.slice(2);

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

const textOf = (r) => (r.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');

async function main() {
  const client = new Client({ name: 'tour-everything', version: '1.0.0' },
    { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    model: 'test-model', role: 'assistant',
    content: { type: 'text', text: 'sampled by the tour' },
  }));
  let updated;
  const gotUpdate = new Promise((resolve) => { updated = resolve; });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated(n.params.uri));
  await client.connect(transportFor(base, kind));
  check(client.getServerVersion().name.includes('everything'), 'serverInfo');

  const names = (await client.listTools()).tools.map((t) => t.name);
  check(names.includes('echo') && names.includes('trigger-long-running-operation'), 'tools/list');
  const echo = await client.callTool({ name: 'echo', arguments: { message: 'tour ' + kind } });
  check(textOf(echo).includes('tour ' + kind), 'echo: ' + textOf(echo));

  const progress = [];
  await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
    undefined, { onprogress: (p) => progress.push(p.progress) });
  check(progress.length >= 2, 'progress notifications: ' + progress.length);

  const resources = (await client.listResources()).resources;
  check(resources.length > 0, 'resources/list');
  const read = await client.readResource({ uri: resources[0].uri });
  check(read.contents.length > 0, 'resources/read');

  const prompt = await client.getPrompt({ name: 'simple-prompt' });
  check(prompt.messages.length > 0, 'prompts/get');

  await client.subscribeResource({ uri: resources[0].uri });
  await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
  let timer;
  const uri = await Promise.race([gotUpdate, new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error('no resource update within 12 s')), 12000);
  })]);
  clearTimeout(timer);
  check(uri === resources[0].uri, 'update for the subscribed uri: ' + uri);

  const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi' } });
  check(JSON.stringify(sampled).includes('sampled by the tour'), 'sampling answered by this client');
  await client.close();
}

main().then(() => { console.log('ok everything ' + kind); process.exit(0); },
  (e) => { console.error('FAIL everything ' + kind + ': ' + (e.stack || e)); process.exit(1); });
