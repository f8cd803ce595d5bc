// SPDX-License-Identifier: ISC
// oauth-sdk.mjs URL: the official TypeScript SDK client
// (@modelcontextprotocol/sdk 1.x) with its OAuth client provider against
// `mcpbridge serve --oauth-issuer` in front of a session child: it is
// refused (401), discovers the authorization server through the bridge's
// protected-resource metadata, registers, signs in (a stand-in browser that
// follows the redirects with cookies, as tests/node/oauth-as.mjs answers
// its interactions at once), reads the child's environment through the
// fixture's report_env, then calls add_numbers, which needs a wider scope:
// 403 insufficient_scope, the SDK asks for the wider scope, signs in again
// and the call goes through on the same session.
//
// Prints one JSON line: {"user", "email", "sum", "scopes": [the scope of
// each authorization request], "session_kept": bool}; exits 1 on error.
//
// The client registers without the refresh_token grant: SDK 1.32.2, told
// insufficient_scope while it holds a refresh token, refreshes (same scope)
// instead of asking for the wider one, and gives up.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport }
  from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const url = new URL(process.argv[2]);
const REDIRECT = 'http://127.0.0.1:1/callback';	// never dialled
const scopes = [];
let code = null;

function within(ms, promise, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out: ' + what)), ms);
  })]).finally(() => clearTimeout(timer));
}

// The browser: follow each redirect by hand, keeping cookies, until the
// authorization server sends us to the redirect URI; keep its code.
async function browse(start) {
  const jar = new Map();
  let at = start;
  for (let hop = 0; hop < 20; hop++) {
    if (at.startsWith(REDIRECT)) {
      const u = new URL(at);
      if (u.searchParams.get('error'))
        throw new Error('authorization refused: ' + u.searchParams.get('error'));
      return u.searchParams.get('code');
    }
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await fetch(at, { redirect: 'manual',
      headers: cookie ? { cookie } : {} });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i).trim(), pair.slice(i + 1));
    }
    await r.arrayBuffer();
    const loc = r.headers.get('location');
    if (r.status < 300 || r.status > 399 || !loc)
      throw new Error(`the browser stopped at ${at}: ${r.status}`);
    at = new URL(loc, at).href;
  }
  throw new Error('too many redirects');
}

const store = {};
const provider = {
  get redirectUrl() { return REDIRECT; },
  get clientMetadata() {
    return { client_name: 'oauth-sdk.mjs', redirect_uris: [REDIRECT],
      grant_types: ['authorization_code'], response_types: ['code'],
      token_endpoint_auth_method: 'none' };
  },
  clientInformation() { return store.client; },
  saveClientInformation(c) { store.client = c; },
  tokens() { return store.tokens; },
  saveTokens(t) { store.tokens = t; },
  saveCodeVerifier(v) { store.verifier = v; },
  codeVerifier() { return store.verifier; },
  async redirectToAuthorization(u) {
    scopes.push(u.searchParams.get('scope'));
    code = await browse(u.href);
  },
};

function textOf(result) {
  return (result.content || []).filter((c) => c.type === 'text')
    .map((c) => c.text).join('');
}

// Runs fn; on UnauthorizedError (the SDK sent us to the browser), hands
// the code to the transport and runs it again, at most twice.
async function authorized(transport, fn) {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof UnauthorizedError) || i >= 2 || code === null)
        throw e;
      await transport.finishAuth(code);
      code = null;
    }
  }
}

let transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
let client = new Client({ name: 'oauth-sdk', version: '1.0.0' });
try {
  await within(30000, client.connect(transport), 'connect');
} catch (e) {
  if (!(e instanceof UnauthorizedError) || code === null)
    throw e;
  await transport.finishAuth(code);
  code = null;
  // A fresh transport and client, now with a token.
  transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  client = new Client({ name: 'oauth-sdk', version: '1.0.0' });
  await within(30000, client.connect(transport), 'connect again');
}
const session = transport.sessionId;
const env = async (name) => textOf(await within(15000, client.callTool(
  { name: 'report_env', arguments: { name } }), 'report_env ' + name));
const user = await env('MCP_USER');
const email = await env('MCP_EMAIL');
const sum = textOf(await within(30000, authorized(transport, () =>
  client.callTool({ name: 'add_numbers', arguments: { a: 2, b: 3 } })),
  'add_numbers'));
console.log(JSON.stringify({ user, email, sum, scopes,
  session_kept: transport.sessionId === session }));
await client.close();
process.exit(0);
