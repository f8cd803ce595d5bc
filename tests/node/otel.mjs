// SPDX-License-Identifier: ISC
// otel.mjs URL: the official SDK client, for tests/otel.py (issue 23).
// On a Streamable HTTP session it calls the fixture's trace_meta tool
// without a trace context, then with one in _meta (the caller's span),
// then the sample tool, answering the sampling/createMessage the child
// sends through the bridge.  Prints one JSON line per step:
// {"step": NAME, "text": the tool's text, "sampling_meta": the _meta of
// the sampling request it got (sample only)}.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const CALLER_TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function within(ms, promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out: ' + what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function text(result) {
  return result.content.map((c) => c.text || '').join('');
}

const base = process.argv[2];
const client = new Client({ name: 'otel-test', version: '1.0.0' },
  { capabilities: { sampling: {} } });
let samplingMeta = null;
client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
  samplingMeta = req.params._meta || null;
  return { role: 'assistant', content: { type: 'text', text: 'hello' },
    model: 'otel-test-model' };
});
const transport = new StreamableHTTPClientTransport(new URL(base + '/mcp'));
await within(10000, client.connect(transport), 'connect');

let r = await within(10000, client.callTool({ name: 'trace_meta',
  arguments: {} }), 'plain');
console.log(JSON.stringify({ step: 'plain', text: text(r) }));

r = await within(10000, client.callTool({ name: 'trace_meta', arguments: {},
  _meta: { traceparent: CALLER_TP, tracestate: 'caller=1',
    baggage: 'user=otel-test' } }), 'caller');
console.log(JSON.stringify({ step: 'caller', text: text(r) }));

r = await within(10000, client.callTool({ name: 'sample',
  arguments: { prompt: 'Say hello.' } }), 'sample');
console.log(JSON.stringify({ step: 'sample', text: text(r),
  sampling_meta: samplingMeta }));
await client.close();
