// SPDX-License-Identifier: ISC
// modern-server.mjs: a stdio MCP server on the official v2 TypeScript server
// SDK (@modelcontextprotocol/server), which speaks 2026-07-28 (it answers
// server/discover) and, if a connection opens with initialize instead, the
// 2025 era.  The child mcpbridge's modern-child tests put behind
// `mcpbridge serve --child-era=auto`.
//
// Tools: echo {text}; confirm {what}, which asks its client (an
// input_required result with an elicitation; the SDK's legacy shim turns it
// into elicitation/create on a 2025-era connection); count {n}, which sends n
// progress notifications and a log line; bump, which changes the resource
// test://counter (notifications/resources/updated) and the tool list
// (notifications/tools/list_changed).  Resource test://counter, prompt
// greeting, and the diagnostic tools of the conformance suite's
// server-stateless scenario (test_missing_capability,
// test_streaming_elicitation, test_logging_tool, test_trigger_tool_change,
// test_trigger_prompt_change).
import { McpServer, fromJsonSchema, inputRequired, acceptedContent }
  from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

let counter = 0;
const servers = new Set();

function text(t) {
  return { content: [{ type: 'text', text: t }] };
}

function factory() {
  const server = new McpServer({ name: 'modern-test-server', version: '1.0.0' }, {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
    },
    instructions: 'a 2026-07-28 test server',
  });
  servers.add(server);

  server.registerTool('echo', {
    description: 'echoes text',
    inputSchema: fromJsonSchema({
      type: 'object', properties: { text: { type: 'string' } }, required: ['text'],
    }),
  }, async ({ text: t }) => text('echo: ' + t));

  server.registerTool('confirm', {
    description: 'asks the client to confirm',
    inputSchema: fromJsonSchema({
      type: 'object', properties: { what: { type: 'string' } }, required: ['what'],
    }),
  }, async ({ what }, ctx) => {
    const ok = acceptedContent(ctx.mcpReq.inputResponses, 'confirm');
    if (!ok) {
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: 'Really ' + what + '?',
            requestedSchema: {
              type: 'object',
              properties: { sure: { type: 'boolean' } },
              required: ['sure'],
            },
          }),
        },
      });
    }
    return text((ok.sure ? 'confirmed ' : 'not confirmed ') + what);
  });

  server.registerTool('count', {
    description: 'counts to n with progress',
    inputSchema: fromJsonSchema({
      type: 'object', properties: { n: { type: 'integer' } }, required: ['n'],
    }),
  }, async ({ n }, ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    for (let i = 1; i <= n; i++) {
      if (token !== undefined)
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, total: n },
        });
      await new Promise((r) => setTimeout(r, 10));
    }
    await ctx.mcpReq.log('info', 'counted to ' + n);
    return text('counted ' + n);
  });

  server.registerTool('bump', {
    description: 'changes test://counter and the tool list',
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async () => {
    counter++;
    for (const s of servers) {
      await s.server.sendResourceUpdated({ uri: 'test://counter' }).catch(() => {});
      s.sendToolListChanged();
    }
    return text('counter ' + counter);
  });

  // What the conformance suite's server-stateless scenario calls.
  server.registerTool('test_missing_capability', {
    description: 'needs sampling: -32021 without it',
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async () => inputRequired({
    inputRequests: {
      llm: inputRequired.createMessage({
        messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }],
        maxTokens: 10,
      }),
    },
  }));
  server.registerTool('test_streaming_elicitation', {
    description: 'asks for input',
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async (_args, ctx) => {
    if (acceptedContent(ctx.mcpReq.inputResponses, 'name'))
      return text('thanks');
    return inputRequired({
      inputRequests: {
        name: inputRequired.elicit({
          message: 'Your name?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
        }),
      },
    });
  });
  server.registerTool('test_logging_tool', {
    description: 'logs (only where asked to)',
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async (_args, ctx) => {
    await ctx.mcpReq.log('info', 'a log line');
    return text('logged');
  });
  server.registerTool('test_trigger_tool_change', {
    description: 'changes the tool list',
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async () => {
    for (const s of servers) s.sendToolListChanged();
    return text('tools changed');
  });
  server.registerTool('test_trigger_prompt_change', {
    description: 'changes the prompt list',
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async () => {
    for (const s of servers) s.sendPromptListChanged();
    return text('prompts changed');
  });
  server.registerPrompt('greeting', { description: 'a greeting' },
    async () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'hello' } }] }));

  server.registerResource('counter', 'test://counter', { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, text: String(counter) }] }));
  return server;
}

serveStdio(factory);
