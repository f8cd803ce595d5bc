// SPDX-License-Identifier: ISC
// crowd.mjs URL N: N official-SDK clients at once on one bridge, half on
// Streamable HTTP and half on legacy SSE.  Every SDK client numbers its
// requests from 0, so all of them use the same ids at the same time; each
// must get only its own answers.  Prints "ok N clients" or exits 1.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { transportFor } from './tour.mjs';

const [base, nArg, roundsArg] = process.argv.slice(2);
const n = Number(nArg || 50);
const rounds = Number(roundsArg || 10);

async function one(i) {
  const kind = i % 2 === 0 ? 'streamable' : 'sse';
  const client = new Client({ name: 'crowd-' + i, version: '1.0.0' }, { capabilities: {} });
  await client.connect(transportFor(base, kind));
  for (let r = 0; r < rounds; r++) {
    const want = `client ${i} round ${r}`;
    const res = await client.callTool({ name: 'echo', arguments: { message: want } });
    const got = res.content.map((c) => c.text).join('');
    if (!got.includes(want)) throw new Error(`client ${i} (${kind}) got "${got}", wanted "${want}"`);
  }
  await client.close();
}

const timer = setTimeout(() => { console.error('FAIL: timed out'); process.exit(1); }, 60000);
Promise.all(Array.from({ length: n }, (_, i) => one(i))).then(() => {
  clearTimeout(timer);
  console.log(`ok ${n} clients, ${rounds} calls each`);
  process.exit(0);
}, (e) => { console.error('FAIL: ' + (e.stack || e)); process.exit(1); });
