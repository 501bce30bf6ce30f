import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AssetPage, mintUserToken, uploadRules } from '@stateless/contracts';
import { type DevStack, devSecrets, freePort, startDevStack } from '@stateless/local-cloud';
import { matchesPrefix, routes, webConsole } from '@stateless/topology';
import type { Browser } from 'playwright-core';
import { type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityHeaders } from '../../security-headers.ts';
import type { ConsoleConfig } from '../../src/console-config.ts';
import { expectAccessible, launch, openConsole, screenshot, upload, waitForStatus } from './browser.ts';
import { textFile } from './fixtures.ts';
import { startTestProvider, type TestAccount, type TestProvider } from './oidc-provider.ts';

const appDir = join(import.meta.dirname, '..', '..');
const clientId = 'stateless-console';
const account: TestAccount = { id: 'ada-oidc', email: 'ada@example.test', name: 'Ada Lovelace' };
/** The paths the public entry sends to the APIs (`/uploads`, `/assets`, …), from the route table. */
const apiPrefixes = routes.filter((r) => r.listener === webConsole.listener).flatMap((r) => r.pathPrefixes);
const toApi = (path: string) => apiPrefixes.some((prefix) => matchesPrefix(path, prefix));

let browser: Browser;
let provider: TestProvider;
let stackDir: string;
let oidcStack: DevStack;
let consoleServer: PreviewServer;
let consoleUrl: string;

/**
 * The built console as CloudFront serves it in AWS: the files of `dist/`, a `/config.json` naming
 * the identity provider (infra writes Cognito's there), the CSP allowing that provider, and the
 * API routes of the route table sent on to the load balancer.
 */
function serveConsole(port: number, config: ConsoleConfig, identity: string, stack: DevStack) {
  const servesFile = (url = '/') => (toApi(url.split('?')[0] ?? '/') ? undefined : url);
  return preview({
    root: appDir,
    configFile: false,
    logLevel: 'warn',
    preview: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      headers: securityHeaders({ storage: [stack.file.aws], identity: [new URL(identity).origin] }),
      proxy: { '^/': { target: stack.file.lb, bypass: (req) => servesFile(req.url) } },
    },
    plugins: [
      {
        name: 'console-config',
        configurePreviewServer: (server) =>
          void server.middlewares.use((req, res, next) => {
            if (req.url?.split('?')[0] !== webConsole.healthPath) return next();
            res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
            res.end(JSON.stringify(config));
          }),
      },
    ],
  });
}

beforeAll(async () => {
  const consolePort = await freePort();
  consoleUrl = `http://127.0.0.1:${consolePort}/`;
  provider = await startTestProvider({ clientId, redirectUri: consoleUrl, account });
  stackDir = await mkdtemp(join(tmpdir(), 'web-oidc-stack-'));
  // One instance of each app that verifies users' tokens against the provider's JWKS, as in AWS
  // against Cognito's: no HS256 key (empty is unset), the ID token's audience is the client id.
  oidcStack = await startDevStack({
    dir: stackDir,
    instances: 1,
    stage: `oidc${Date.now().toString(36).slice(-6)}`,
    appEnv: {
      AUTH_JWT_SECRET: '',
      AUTH_JWKS_URL: provider.jwksUrl,
      AUTH_ISSUER: provider.issuer,
      AUTH_AUDIENCE: clientId,
      NODE_EXTRA_CA_CERTS: provider.certificateFile,
    },
  });
  const config: ConsoleConfig = {
    signIn: { kind: 'oidc', issuer: provider.issuer, clientId, scope: 'openid email profile' },
    maxUploadBytes: uploadRules.maxFileSize,
  };
  consoleServer = await serveConsole(consolePort, config, provider.issuer, oidcStack);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await consoleServer?.close();
  await oidcStack?.stop();
  await provider?.stop();
  if (stackDir) await rm(stackDir, { recursive: true, force: true });
});

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

describe('OIDC sign-in against a real provider (oidc-provider)', () => {
  it('signs in with the authorization code and PKCE, and the APIs accept the ID token', async () => {
    // The provider's certificate is self-signed: this context only takes it (the apps trust it
    // through NODE_EXTRA_CA_CERTS).
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: true,
    });
    const { page, problems } = await openConsole(context, consoleUrl);
    const authorizationRequests: URL[] = [];
    const apiCalls: { url: string; authorization?: string; status: number }[] = [];
    const recording: Promise<void>[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === provider.issuer && url.pathname === '/auth') authorizationRequests.push(url);
    });
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (`${url.origin}/` !== consoleUrl || !toApi(url.pathname)) return;
      const record = async () => {
        const { authorization } = await response.request().allHeaders();
        apiCalls.push({
          url: url.pathname,
          status: response.status(),
          ...(authorization ? { authorization } : {}),
        });
      };
      recording.push(record());
    });

    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await expectAccessible(page, 'OIDC sign-in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    // The provider's own pages: login (any password; the login names the account), then consent.
    const login = page.locator('input[name="login"]');
    await login.waitFor();
    expect(new URL(page.url()).origin).toBe(provider.issuer);
    await login.fill(account.id);
    await page.locator('input[name="password"]').fill('correct horse battery staple');
    await screenshot(page, 'oidc-provider-login');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    // Back at the console, signed in as the provider's user (the ID token's email), the (empty) list loaded.
    await page.getByRole('heading', { name: 'Your assets', exact: true }).waitFor();
    await expect.poll(() => page.getByTestId('user').textContent()).toBe(account.email);
    await page.getByText('No assets yet.').waitFor();
    expect(page.url(), 'the code and state are gone from the address').toBe(consoleUrl);
    // An upload: the upload service takes the token too, and the worker finishes the asset.
    await upload(page, [textFile('signed-in-with-oidc.txt', 'uploaded by the OIDC user\n')]);
    await waitForStatus(page, 'signed-in-with-oidc.txt', 'READY');
    await screenshot(page, 'oidc-signed-in');

    // PKCE: the console asked with an S256 challenge, the provider saw it, and the verifier the
    // console sent to the token endpoint hashes to it.
    expect(provider.record.errors).toEqual([]);
    expect(authorizationRequests).toHaveLength(1);
    const asked = authorizationRequests[0]?.searchParams;
    expect(asked?.get('code_challenge_method')).toBe('S256');
    expect(asked?.get('response_type')).toBe('code');
    expect(asked?.get('client_secret')).toBeNull();
    const challenge = asked?.get('code_challenge');
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(provider.record.authorizations.at(-1)).toMatchObject({
      client_id: clientId,
      redirect_uri: consoleUrl,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(provider.record.grants).toHaveLength(1);
    const [grant] = provider.record.grants;
    const verifier = grant?.codeVerifier ?? '';
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge);

    // The ID token the provider issued is the bearer of every call to both APIs, and each took it.
    const idToken = grant?.idToken ?? '';
    expect(claimsOf(idToken)).toMatchObject({ iss: provider.issuer, aud: clientId, sub: account.id });
    await Promise.all(recording);
    expect(new Set(apiCalls.map((call) => call.url.split('/')[1]))).toEqual(new Set(['assets', 'uploads']));
    for (const call of apiCalls) {
      expect(call.authorization, call.url).toBe(`Bearer ${idToken}`);
      expect(call.status, call.url).toBeLessThan(300);
    }

    // The data API verifies against the provider's JWKS, not a local key: its HS256 user tokens are refused.
    const list = (token: string) =>
      fetch(`${oidcStack.file.lb}/assets`, { headers: { authorization: `Bearer ${token}` } });
    const listed = await list(idToken);
    expect(listed.status).toBe(200);
    const { items } = (await listed.json()) as AssetPage;
    expect(items.map((asset) => asset.filename)).toEqual(['signed-in-with-oidc.txt']);
    const hs256 = await mintUserToken(devSecrets(stackDir).AUTH_JWT_SECRET, account.id, {
      audience: clientId,
    });
    expect((await list(hs256)).status).toBe(401);

    await expectAccessible(page, 'signed in through OIDC');

    // Sign-out forgets the token in this tab: the sign-in page, and a reload does not restore it.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('console.session'))).toBeNull();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(await page.getByTestId('user').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says so when the sign-in is cancelled at the provider, and exchanges no code', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const { page, problems } = await openConsole(context, consoleUrl);
    const grants = provider.record.grants.length;
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('input[name="login"]').waitFor();
    await page.getByRole('link', { name: '[ Cancel ]' }).click();

    // The provider's own words, not oauth4webapi's "authorization response from the server is an
    // error" (what the console said before), and the way to try again.
    const problem = page.getByTestId('problem');
    await problem.waitFor();
    expect(await problem.locator('p').textContent()).toBe(
      'Sign-in did not complete: the identity provider answered "End-User aborted interaction" (access_denied). Sign in to try again.',
    );
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(page.url(), 'the error is gone from the address').toBe(consoleUrl);
    expect(provider.record.grants).toHaveLength(grants);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await expectAccessible(page, 'OIDC sign-in cancelled');
    await screenshot(page, 'oidc-cancelled');
    expect(problems).toEqual([]);
    await context.close();
  });
});
