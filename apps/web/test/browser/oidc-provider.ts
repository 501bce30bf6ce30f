import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/** The one person who can sign in at the test provider: their login is their `sub`. */
export interface TestAccount {
  id: string;
  email: string;
  name: string;
}

/** What the provider saw, from its own events. */
export interface ProviderRecord {
  /** Each accepted authorization request's parameters (`authorization.accepted`). */
  authorizations: Record<string, string | undefined>[];
  /** Each successful code exchange: the request's `code_verifier` and the ID token issued. */
  grants: { codeVerifier?: string; idToken?: string }[];
  /** Authorization, token and server errors, for a failing test to explain itself. */
  errors: string[];
}

export interface TestProvider {
  issuer: string;
  jwksUrl: string;
  clientId: string;
  /** A PEM file with the provider's self-signed certificate: NODE_EXTRA_CA_CERTS for the apps. */
  certificateFile: string;
  record: ProviderRecord;
  stop(): Promise<void>;
}

/**
 * A self-signed certificate for 127.0.0.1, valid for a day. HTTPS because the console's OIDC client
 * (oauth4webapi) refuses an issuer over plain HTTP, as it should; Debian's `openssl` comes with
 * `ca-certificates`.
 */
async function selfSignedCertificate(dir: string) {
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  return { keyPem: await readFile(key), certPem: await readFile(cert), certificateFile: cert };
}

/**
 * panva's `oidc-provider` (OpenID Certified) on a free loopback port over HTTPS, in this process: one
 * public client (no secret, PKCE S256 required, response type `code`, `redirectUri` only) and one
 * account. Its own login and consent pages (`devInteractions`: the login names the account; the
 * password is not checked). Like Cognito, the ID token carries the scope's claims (email, name).
 */
export async function startTestProvider(options: {
  clientId: string;
  redirectUri: string;
  account: TestAccount;
}): Promise<TestProvider> {
  const { clientId, redirectUri, account } = options;
  const dir = await mkdtemp(join(tmpdir(), 'oidc-provider-'));
  const { keyPem, certPem, certificateFile } = await selfSignedCertificate(dir);
  const server = createServer({ key: keyPem, cert: certPem });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const consoleOrigin = new URL(redirectUri).origin;

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    pkce: { required: () => true },
    // Seconds; the ID token lives an hour, as infra configures Cognito's (idTokenValidity).
    ttl: {
      AuthorizationCode: 60,
      AccessToken: 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) =>
      id === account.id
        ? {
            accountId: id,
            claims: () => ({ sub: id, email: account.email, email_verified: true, name: account.name }),
          }
        : undefined,
    jwks: { keys: [{ ...signingKey, kid: 'test-signing-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // The console calls discovery and the token endpoint from its own origin.
    clientBasedCORS: (_ctx, origin) => origin === consoleOrigin,
    features: { devInteractions: { enabled: true } },
  });

  const record: ProviderRecord = { authorizations: [], grants: [], errors: [] };
  provider.on('authorization.accepted', (ctx: KoaContextWithOIDC) => {
    record.authorizations.push({ ...(ctx.oidc.params as Record<string, string | undefined>) });
  });
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const body = ctx.body as { id_token?: string };
    const codeVerifier = ctx.oidc.params?.code_verifier as string | undefined;
    record.grants.push({
      ...(codeVerifier ? { codeVerifier } : {}),
      ...(body.id_token ? { idToken: body.id_token } : {}),
    });
  });
  const recordError = (event: string) => (_ctx: KoaContextWithOIDC, error: Error) => {
    record.errors.push(`${event}: ${error.message}`);
  };
  provider.on('authorization.error', recordError('authorization.error'));
  provider.on('grant.error', recordError('grant.error'));
  provider.on('server_error', recordError('server_error'));
  server.on('request', provider.callback());

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    clientId,
    certificateFile,
    record,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
