// SPDX-License-Identifier: ISC
// ask-crowd.mjs URL N: N official-SDK clients, half on Streamable HTTP and
// half on legacy SSE, call server-everything's trigger-sampling-request at
// the same moment through one shared child.  Each client's sampling
// handler answers with text naming that client, and checks that the
// question it gets carries its own prompt: every call must come back with
// its own client's answer, none refused, none misrouted.  Prints "ok N
// clients" or the failures and exits 1.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { transportFor } from './tour.mjs';

const [base, nArg] = process.argv.slice(2);
const n = Number(nArg || 10);
const failures = [];

async function connect(i) {
  const kind = i % 2 === 0 ? 'streamable' : 'sse';
  const client = new Client({ name: 'asker-' + i, version: '1.0.0' },
    { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    const asked = JSON.stringify(req.params.messages);
    if (!asked.includes(`prompt of client ${i}.`))
      failures.push(`client ${i} (${kind}) was asked another's question: ${asked}`);
    return { role: 'assistant', model: 'test',
      content: { type: 'text', text: `sampled by client ${i}.` } };
  });
  await client.connect(transportFor(base, kind));
  return { client, kind };
}

async function call({ client, kind }, i) {
  let res;
  try {
    res = await client.callTool({ name: 'trigger-sampling-request',
      arguments: { prompt: `prompt of client ${i}.` } });
  } catch (e) {
    failures.push(`client ${i} (${kind}): call failed: ${e.message}`);
    return;
  }
  const got = res.content.map((c) => c.text).join('');
  if (res.isError || !got.includes(`sampled by client ${i}.`))
    failures.push(`client ${i} (${kind}) got "${got}"`);
  for (let j = 0; j < n; j++) {
    if (j !== i && got.includes(`client ${j}.`))
      failures.push(`client ${i} (${kind}) got client ${j}'s answer`);
  }
}

const timer = setTimeout(() => { console.error('FAIL: timed out'); process.exit(1); }, 60000);
try {
  // All connected first, then every call at once.
  const clients = await Promise.all(Array.from({ length: n }, (_, i) => connect(i)));
  await Promise.all(clients.map((c, i) => call(c, i)));
  await Promise.all(clients.map((c) => c.client.close()));
} catch (e) {
  failures.push('FAIL: ' + (e.stack || e));
}
clearTimeout(timer);
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log(`ok ${n} clients, each answered with its own sampling`);
process.exit(0);
