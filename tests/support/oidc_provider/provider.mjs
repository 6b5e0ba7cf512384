// A real OpenID Connect provider (the npm package `oidc-provider`) set up like GOV.UK One Login,
// for tests only. It is started by tests/support/oidc_provider/__init__.py.
//
// Usage: node provider.mjs CONFIG.json
//
// CONFIG.json: {"port": 0, "client_id": "...", "redirect_uris": [...],
//   "post_logout_redirect_uris": [...], "client_jwks": {"keys": [...]},
//   "accounts": {"login": {"email": "...", "email_verified": true, "phone_number": "..."}}}
//
// When listening it prints one JSON line on stdout: {"ready": true, "issuer": ..., "port": ...}.
//
// Test-only routes (never part of a real provider):
//   GET  /__test__/health              -> {"ok": true}
//   POST /__test__/tamper {"mode": m}  -> rewrites the id_token of the NEXT successful token
//                                         response (then the mode goes back to "none")
//   GET  /__test__/last-authorization  -> vtr, ui_locales, code_challenge_method, ... of the
//                                         last successful authorization request

import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';

import Provider, { errors } from 'oidc-provider';

// One Login's access tokens live 180 s; ID tokens a little longer so slow CI still verifies them.
const ACCESS_TOKEN_TTL_S = 180;
const ID_TOKEN_TTL_S = 300;
const AUTHORIZATION_CODE_TTL_S = 60;
// One Login's two-factor level, which it assumes when the relying party sends no vtr.
const DEFAULT_VOT = 'Cl.Cm';
// One Login's pairwise subject identifiers all start with this.
const SUBJECT_PREFIX = 'urn:fdc:gov.uk:2022:';
// Big enough to exceed any sane relying party's limit on the size of an ID token (64 KiB).
const OVERSIZED_PADDING_CHARS = 70 * 1024;
// A tamper request body is a tiny JSON object; refuse anything larger.
const MAX_TEST_BODY_BYTES = 4096;
// Codes whose vtr we remember; codes live 60 s, so a few thousand is plenty for any test run.
const MAX_REMEMBERED_CODES = 10000;
// A vector of trust component as One Login spells them, e.g. "Cl", "Cl.Cm", "P2.Cl.Cm".
const VTR_PATTERN = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

const TAMPER_MODES = new Set([
  'none',
  'forged_signature',
  'alg_none',
  'hs256_public_key',
  'wrong_iss',
  'wrong_aud',
  'expired',
  'future_iat',
  'wrong_nonce',
  'lower_vot',
  'unknown_kid',
  'oversized',
]);

function readConfig(path) {
  if (!path) {
    throw new Error('usage: node provider.mjs CONFIG.json (see the comment at the top of provider.mjs)');
  }
  const config = JSON.parse(readFileSync(path, 'utf8'));
  for (const key of ['client_id', 'redirect_uris', 'client_jwks']) {
    if (!(key in config)) {
      throw new Error(`${path} has no "${key}"; add it (see the comment at the top of provider.mjs)`);
    }
  }
  return config;
}

function b64url(input) {
  return Buffer.from(input).toString('base64url');
}

// --- signing keys, made fresh at every start ----------------------------------------------------

function newKey(kind, kidPrefix) {
  const options = kind === 'ec' ? { namedCurve: 'P-256' } : { modulusLength: 2048 };
  const { privateKey, publicKey } = crypto.generateKeyPairSync(kind, options);
  const kid = `${kidPrefix}-${crypto.randomBytes(8).toString('hex')}`;
  return { privateKey, publicKey, kid };
}

function privateJwk(key, alg) {
  return { ...key.privateKey.export({ format: 'jwk' }), kid: key.kid, alg, use: 'sig' };
}

function signEs256(header, claims, privateKey) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = crypto.sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

function signHs256(header, claims, secret) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = crypto.createHmac('sha256', secret).update(input).digest();
  return `${input}.${signature.toString('base64url')}`;
}

function decodeJwt(token) {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
  };
}

// --- the tamper control -------------------------------------------------------------------------

function makeTamperer(issuer, esKey) {
  const publicKeyPem = esKey.publicKey.export({ type: 'spki', format: 'pem' });

  return function tamper(mode, idToken) {
    const { header, claims } = decodeJwt(idToken);
    const now = Math.floor(Date.now() / 1000);
    const resign = (changed) => signEs256(header, { ...claims, ...changed }, esKey.privateKey);

    switch (mode) {
      case 'forged_signature': {
        const [h, p, s] = idToken.split('.');
        const signature = Buffer.from(s, 'base64url');
        for (let i = 0; i < signature.length; i += 4) signature[i] ^= 0xff;
        return `${h}.${p}.${signature.toString('base64url')}`;
      }
      case 'alg_none':
        return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
      case 'hs256_public_key':
        // Algorithm confusion: the public key, which anyone can fetch, used as an HMAC secret.
        return signHs256({ ...header, alg: 'HS256' }, claims, publicKeyPem);
      case 'wrong_iss':
        return resign({ iss: 'https://attacker.invalid' });
      case 'wrong_aud':
        return resign({ aud: 'some-other-client' });
      case 'expired':
        return resign({ iat: now - 2 * 3600, exp: now - 3600 });
      case 'future_iat':
        return resign({ iat: now + 3600, exp: now + 3600 + ID_TOKEN_TTL_S });
      case 'wrong_nonce':
        return resign({ nonce: crypto.randomBytes(16).toString('base64url') });
      case 'lower_vot':
        return resign({ vot: 'Cl' });
      case 'unknown_kid': {
        const stranger = newKey('ec', 'unknown');
        return signEs256({ ...header, kid: stranger.kid }, claims, stranger.privateKey);
      }
      case 'oversized':
        return resign({ padding: 'x'.repeat(OVERSIZED_PADDING_CHARS) });
      default:
        return idToken;
    }
  };
}

async function readJsonBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_TEST_BODY_BYTES) throw new Error(`body larger than ${MAX_TEST_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

// --- accounts -----------------------------------------------------------------------------------

function accountClaims(accounts, login) {
  const known = accounts[login] || {};
  return {
    email: known.email ?? (login.includes('@') ? login : `${login}@example.org`),
    email_verified: known.email_verified ?? true,
    phone_number: known.phone_number ?? '+447700900000',
    phone_number_verified: known.phone_number_verified ?? true,
  };
}

function parseVtr(value) {
  let vtr;
  try {
    vtr = JSON.parse(value);
  } catch {
    throw new errors.InvalidRequest('vtr must be a JSON array of vectors of trust, e.g. ["Cl.Cm"]');
  }
  if (!Array.isArray(vtr) || vtr.length === 0
      || !vtr.every((v) => typeof v === 'string' && VTR_PATTERN.test(v))) {
    throw new errors.InvalidRequest('vtr must be a JSON array of vectors of trust, e.g. ["Cl.Cm"]');
  }
  return vtr;
}

// --- the provider -------------------------------------------------------------------------------

function buildProvider(issuer, config) {
  const esKey = newKey('ec', 'es256');
  const rsKey = newKey('rsa', 'rs256');
  const accounts = config.accounts || {};
  const votByCode = new Map();
  const state = { tamperMode: 'none', lastAuthorization: null };

  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      redirect_uris: config.redirect_uris,
      post_logout_redirect_uris: config.post_logout_redirect_uris || [],
      jwks: config.client_jwks,
      token_endpoint_auth_method: 'private_key_jwt',
      id_token_signed_response_alg: 'ES256',
      response_types: ['code'],
      grant_types: ['authorization_code'],
      subject_type: 'pairwise',
    }],
    jwks: { keys: [privateJwk(esKey, 'ES256'), privateJwk(rsKey, 'RS256')] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: '/userinfo',
      jwks: '/.well-known/jwks.json',
      end_session: '/logout',
    },
    responseTypes: ['code'],
    scopes: ['openid', 'email', 'phone'],
    clientAuthMethods: ['private_key_jwt'],
    subjectTypes: ['public', 'pairwise'],
    claims: {
      openid: ['sub', 'vot', 'vtm'],
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
    },
    extraParams: {
      vtr(ctx, value) {
        if (value !== undefined) parseVtr(value);
      },
    },
    pkce: { required: () => true },
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256', 'RS256'],
      idTokenSigningAlgValues: ['ES256', 'RS256'],
    },
    discovery: { ui_locales_supported: ['en', 'cy'] },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: true },
      // One Login has no pushed authorization requests; keep the discovery document like theirs.
      pushedAuthorizationRequests: { enabled: false },
    },
    clientBasedCORS: () => false,
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_S,
      AuthorizationCode: AUTHORIZATION_CODE_TTL_S,
      IdToken: ID_TOKEN_TTL_S,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    pairwiseIdentifier(ctx, accountId, client) {
      const digest = crypto.createHash('sha256').update(`${client.clientId}\0${accountId}`);
      return `${SUBJECT_PREFIX}${digest.digest('base64url')}`;
    },
    async findAccount(ctx, login) {
      return {
        accountId: login,
        async claims(use) {
          const claims = { sub: login, ...accountClaims(accounts, login) };
          if (use === 'id_token') {
            const code = ctx.oidc?.params?.code;
            claims.vot = (code && votByCode.get(code)) || DEFAULT_VOT;
            claims.vtm = `${issuer}/trustmark`;
          }
          return claims;
        },
      };
    },
  });

  provider.on('authorization.success', (ctx, out) => {
    const { params } = ctx.oidc;
    const vtr = params.vtr ? parseVtr(params.vtr) : null;
    state.lastAuthorization = {
      vtr,
      ui_locales: params.ui_locales ?? null,
      code_challenge_method: params.code_challenge_method ?? null,
      scope: params.scope ?? null,
      nonce: params.nonce ?? null,
      state: params.state ?? null,
    };
    if (out?.code) {
      if (votByCode.size >= MAX_REMEMBERED_CODES) votByCode.delete(votByCode.keys().next().value);
      votByCode.set(out.code, vtr ? vtr[0] : DEFAULT_VOT);
    }
  });

  const tamper = makeTamperer(issuer, esKey);

  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test__/health' && ctx.method === 'GET') {
      ctx.body = { ok: true, tamper_mode: state.tamperMode };
      return;
    }
    if (ctx.path === '/__test__/last-authorization' && ctx.method === 'GET') {
      ctx.body = state.lastAuthorization || {};
      return;
    }
    if (ctx.path === '/__test__/tamper' && ctx.method === 'POST') {
      let mode;
      try {
        ({ mode } = await readJsonBody(ctx.req));
      } catch (err) {
        ctx.status = 400;
        ctx.body = { error: `send a JSON body {"mode": "..."}: ${err.message}` };
        return;
      }
      if (!TAMPER_MODES.has(mode)) {
        ctx.status = 400;
        ctx.body = { error: `unknown tamper mode ${JSON.stringify(mode)}; use one of ${[...TAMPER_MODES].join(', ')}` };
        return;
      }
      state.tamperMode = mode;
      ctx.body = { mode };
      return;
    }

    await next();

    if (ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body?.id_token
        && state.tamperMode !== 'none') {
      ctx.body = { ...ctx.body, id_token: tamper(state.tamperMode, ctx.body.id_token) };
      state.tamperMode = 'none';
    }
    if (ctx.oidc?.route === 'token' && ctx.status === 200) {
      votByCode.delete(ctx.oidc.params?.code);
    }
  });

  return provider;
}

function main() {
  const config = readConfig(process.argv[2]);
  const server = http.createServer();
  server.listen(config.port || 0, '127.0.0.1', () => {
    const { port } = server.address();
    const issuer = `http://127.0.0.1:${port}`;
    const provider = buildProvider(issuer, config);
    // Clients are checked when first used; check ours now so a bad config fails at start.
    provider.Client.find(config.client_id).then(() => {
      server.on('request', provider.callback());
      process.stdout.write(`${JSON.stringify({ ready: true, issuer, port })}\n`);
    }, (err) => {
      process.stderr.write(`the client in ${process.argv[2]} is invalid: ${err.message}`
        + `${err.error_description ? ` (${err.error_description})` : ''}\n`);
      process.exit(1);
    });
  });

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
