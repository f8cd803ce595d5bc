// SPDX-License-Identifier: ISC
//
// A real OAuth 2.1 authorization server for the tests (oidc-provider 9.13.3),
// so `mcpbridge serve --oauth-issuer` meets tokens, keys, discovery and
// introspection as an identity provider writes them, and clients sign in
// through it without a person.
//
// Run it with tests/node's Node 22 (node_modules/.bin/node):
//
//   node oauth-as.mjs --gen-jwks OUT.json
//       writes a fresh private JWK Set (RSA 2048 kid "rsa" for RS256 and
//       PS256, P-256 kid "ec" for ES256, Ed25519 kid "ed" for EdDSA) to
//       OUT.json and exits; a test keeps it to forge tokens with the real keys.
//   node oauth-as.mjs CONFIG.json
//       listens on 127.0.0.1, port 0 (or "port"), and once it accepts
//       connections prints ONE line on stdout: its issuer URL
//       (http://127.0.0.1:PORT, no trailing slash).  Nothing else is ever
//       written to stdout (oidc-provider's notices go to stderr).  It runs
//       until SIGTERM/SIGINT, or until stdin ends when "exitOnStdinEnd" is
//       true (a test that dies leaves no server behind).
//
// CONFIG.json (every member optional but "jwks"):
//   "jwks":       a path to a private JWK Set file, or the set itself.  The
//                 public halves are served at /jwks; tokens are signed with it.
//   "port":       the port to listen on (default 0: any).
//   "resources":  { RESOURCE_URL or "*": { "scopes": [..], "format": "jwt" or
//                 "opaque", "alg": "RS256" | "PS256" | "ES256" | "EdDSA",
//                 "ttl": seconds } }.  A resource indicator (RFC 8707) names
//                 the audience; "*" answers any http(s) indicator (the bridge's
//                 port is often chosen after this server's).  JWT access tokens
//                 follow RFC 9068 (typ at+jwt, aud = the indicator, scope).
//                 Default: { "*": { scopes: ["mcp"], format: "jwt",
//                 alg: "RS256", ttl: 600 } }.
//   "defaultResource": the indicator used when a request names none.
//   "scopes":     more scopes to allow besides the resources' and openid,
//                 offline_access (oidc-provider refuses unlisted scopes).
//   "clients":    static clients, oidc-provider client metadata, plus
//                 "token_format": "jwt" | "opaque" overriding the resource's.
//                 Default: "bridge"/"bridge-secret" (client_secret_basic, no
//                 grants: the resource server's introspection client),
//                 "machine"/"machine-secret" (client_credentials, JWT) and
//                 "machine-opaque"/"machine-secret" (client_credentials,
//                 opaque: the introspection case).
//   "sub":        who signs in at the authorization endpoint (default "alice");
//                 a login_hint in the request wins.
//   "claims":     { SUB: { claim: value } }: extra claims put in that
//                 subject's access tokens and introspection answers (for
//                 --env-from-claim), e.g. { "alice": { "email": "a@x.test" } }.
//   "rfc8414":    also serve /.well-known/oauth-authorization-server (RFC 8414)
//                 with the same document (default false: only OIDC discovery,
//                 as oidc-provider does, so clients' fallback is exercised).
//   "refreshTokenTTL", "exitOnStdinEnd".
//
// Features: client_credentials; introspection (RFC 7662; JWTs are refused
// there, as RFC 9068 servers do); resource indicators; dynamic client
// registration (RFC 7591, open: public clients with PKCE; the scope a client
// registers with is dropped, so it may step up to any listed scope later);
// authorization_code + PKCE whose interactions are answered at once: the
// configured subject is logged in and every requested scope granted, so a
// stand-in browser only follows redirects and keeps cookies; refresh tokens
// for every client allowed the refresh_token grant.
//
// Test hooks (not OAuth; under /_test/):
//   POST /_test/sub    body = the subject for the next sign-ins.
//   GET  /_test/stats  {"PATH": count} of requests seen per path.
//   POST /_test/fail   body = {"PATH": STATUS, ...}: answer those paths with
//                      that status and no body until the next /_test/fail.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import process from 'node:process';

// oidc-provider writes its notices with console.info: stdout is ours.
console.info = console.log = (...a) => console.error(...a);

function genJwks(path) {
	const keys = [];
	const add = (type, opts, kid, extra) => {
		const { privateKey } = crypto.generateKeyPairSync(type, opts);
		keys.push({ ...privateKey.export({ format: 'jwk' }), kid, use: 'sig',
		    ...extra });
	};
	add('rsa', { modulusLength: 2048 }, 'rsa', {});
	add('ec', { namedCurve: 'P-256' }, 'ec', { alg: 'ES256' });
	add('ed25519', {}, 'ed', { alg: 'EdDSA' });
	fs.writeFileSync(path, JSON.stringify({ keys }, null, 1), { mode: 0o600 });
}

if (process.argv[2] === '--gen-jwks' && process.argv[3]) {
	genJwks(process.argv[3]);
	process.exit(0);
}
if (process.argv.length !== 3) {
	console.error('usage: oauth-as.mjs CONFIG.json | --gen-jwks OUT.json');
	process.exit(2);
}

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const jwks = typeof config.jwks === 'string'
    ? JSON.parse(fs.readFileSync(config.jwks, 'utf8')) : config.jwks;
if (!jwks?.keys?.length) {
	console.error('oauth-as: "jwks" must name a private JWK Set');
	process.exit(2);
}
const resources = config.resources ??
    { '*': { scopes: ['mcp'], format: 'jwt', alg: 'RS256', ttl: 600 } };
const claims = config.claims ?? {};
let nextSub = config.sub ?? 'alice';
const stats = {};
let failing = {};

const resourceScopes = Object.values(resources).flatMap((r) => r.scopes ?? []);
const scopes = [...new Set(['openid', 'offline_access', ...resourceScopes,
    ...(config.scopes ?? [])])];

const clients = config.clients ?? [
	{ client_id: 'bridge', client_secret: 'bridge-secret',
	  grant_types: [], response_types: [], redirect_uris: [] },
	{ client_id: 'machine', client_secret: 'machine-secret',
	  grant_types: ['client_credentials'], response_types: [],
	  redirect_uris: [] },
	{ client_id: 'machine-opaque', client_secret: 'machine-secret',
	  grant_types: ['client_credentials'], response_types: [],
	  redirect_uris: [], token_format: 'opaque' },
];

function resourceFor(indicator) {
	if (resources[indicator])
		return resources[indicator];
	if (resources['*'] && /^https?:\/\//.test(indicator))
		return resources['*'];
	return undefined;
}

const server = http.createServer();
server.listen(config.port ?? 0, '127.0.0.1');
await new Promise((resolve, reject) => {
	server.once('listening', resolve);
	server.once('error', reject);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const { default: Provider, errors } = await import('oidc-provider');

const provider = new Provider(issuer, {
	jwks,
	clients,
	scopes,
	claims: { openid: ['sub'], email: ['email'] },
	cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
	extraClientMetadata: {
		properties: ['token_format'],
		validator(ctx, key, value) {
			if (key === 'token_format' && value !== undefined &&
			    value !== 'jwt' && value !== 'opaque')
				throw new errors.InvalidClientMetadata(
				    'token_format must be jwt or opaque');
		},
	},
	async findAccount(ctx, sub) {
		return { accountId: sub,
		    async claims() { return { sub, ...(claims[sub] ?? {}) }; } };
	},
	async extraTokenClaims(ctx, token) {
		// A client-credentials token has no account: its subject is the
		// client (as in the JWT format), also in introspection answers.
		const sub = token.accountId ?? token.clientId;
		return { ...(claims[sub] ?? {}), sub };
	},
	async issueRefreshToken(ctx, client) {
		return client.grantTypeAllowed('refresh_token');
	},
	ttl: {
		RefreshToken: config.refreshTokenTTL ?? 86400,
	},
	interactions: {
		url(ctx, interaction) { return `/interaction/${interaction.uid}`; },
	},
	features: {
		devInteractions: { enabled: false },
		clientCredentials: { enabled: true },
		introspection: { enabled: true },
		registration: { enabled: true },
		revocation: { enabled: true },
		resourceIndicators: {
			enabled: true,
			async defaultResource(ctx, client, oneOf) {
				return oneOf ?? config.defaultResource;
			},
			async useGrantedResource() { return true; },
			async getResourceServerInfo(ctx, indicator, client) {
				const r = resourceFor(indicator);
				if (!r)
					throw new errors.InvalidTarget();
				const format = client.token_format ??
				    r.format ?? 'jwt';
				return {
					scope: (r.scopes ?? []).join(' '),
					audience: indicator,
					accessTokenTTL: r.ttl ?? 600,
					accessTokenFormat: format,
					...(format === 'jwt' ? { jwt: { sign:
					    { alg: r.alg ?? 'RS256' } } } : {}),
				};
			},
		},
	},
});
provider.proxy = false;
provider.on('server_error', (ctx, err) =>
    console.error('oauth-as: server error:', err));

// Interactions answered at once: log the subject in, then grant every
// scope the client asked for (OIDC and per resource).
async function interact(ctx) {
	const details = await provider.interactionDetails(ctx.req, ctx.res);
	const { prompt, params, session, grantId } = details;
	let result;
	if (prompt.name === 'login') {
		result = { login: { accountId: params.login_hint ?? nextSub } };
	} else {
		const grant = grantId ? await provider.Grant.find(grantId)
		    : new provider.Grant({ accountId: session.accountId,
			clientId: params.client_id });
		const d = prompt.details;
		if (d.missingOIDCScope)
			grant.addOIDCScope(d.missingOIDCScope.join(' '));
		if (d.missingOIDCClaims)
			grant.addOIDCClaims(d.missingOIDCClaims);
		for (const [ind, sc] of
		    Object.entries(d.missingResourceScopes ?? {}))
			grant.addResourceScope(ind, sc.join(' '));
		result = { consent: { grantId: await grant.save() } };
	}
	const to = await provider.interactionResult(ctx.req, ctx.res, result,
	    { mergeWithLastSubmission: true });
	ctx.status = 303;
	ctx.redirect(to);
}

async function readBody(ctx) {
	const chunks = [];
	for await (const c of ctx.req)
		chunks.push(c);
	return Buffer.concat(chunks).toString('utf8');
}

provider.use(async (ctx, next) => {
	stats[ctx.path] = (stats[ctx.path] ?? 0) + 1;
	if (ctx.path === '/_test/sub' && ctx.method === 'POST') {
		nextSub = (await readBody(ctx)).trim();
		ctx.status = 204;
		return;
	}
	if (ctx.path === '/_test/stats') {
		ctx.body = stats;
		return;
	}
	if (ctx.path === '/_test/fail' && ctx.method === 'POST') {
		failing = JSON.parse((await readBody(ctx)) || '{}');
		ctx.status = 204;
		return;
	}
	if (failing[ctx.path]) {
		ctx.status = failing[ctx.path];
		ctx.body = '';
		return;
	}
	// A registered client's scope is no limit here: clients register
	// with the scope of their first sign-in and step up later (a 403
	// insufficient_scope), which oidc-provider would refuse as
	// invalid_scope against the registered list.
	if (ctx.path === '/reg' && ctx.method === 'POST' &&
	    ctx.is('application/json')) {
		const body = JSON.parse((await readBody(ctx)) || '{}');
		delete body.scope;
		ctx.request.body = body;
	}
	if (ctx.path.startsWith('/interaction/')) {
		await interact(ctx);
		return;
	}
	if (config.rfc8414 &&
	    ctx.path === '/.well-known/oauth-authorization-server') {
		ctx.path = '/.well-known/openid-configuration';
	}
	await next();
});

server.on('request', provider.callback());
if (config.exitOnStdinEnd) {
	process.stdin.on('end', () => process.exit(0));
	process.stdin.resume();
}
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => process.exit(0));
process.stdout.write(issuer + '\n');
