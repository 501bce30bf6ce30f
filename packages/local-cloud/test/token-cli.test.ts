import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultMaxTokenLifetimeSeconds,
  defaultServiceAudience,
  defaultUserAudience,
  localUserIssuer,
} from '@stateless/contracts';
import { describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '../src/cli.ts');
const stackDir = mkdtempSync(join(tmpdir(), 'token-cli-'));
const runIn = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, 'token', ...args], {
    env: { ...process.env, STACK_DIR: dir },
    encoding: 'utf8',
  });
const run = (...args: string[]) => runIn(stackDir, ...args);

/** The claims of an HS256 token, after checking its signature with the stack's key `key`. */
function claimsOf(token: string, key: 'AUTH_JWT_SECRET' | 'SERVICE_TOKEN_SECRET', dir = stackDir) {
  const [header, payload, signature] = token.trim().split('.') as [string, string, string];
  const secret = JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8'))[key];
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  expect(signature).toBe(expected);
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
}

// Each case runs the CLI a few times through pnpm and tsx: seconds per run on a busy 2-core machine.
describe('pnpm --silent run token', { timeout: 120_000 }, () => {
  it("mints a user's token with the stack's user key and, with --service, an app's token with its service key", () => {
    const user = run('alice');
    expect(user.status).toBe(0);
    expect(claimsOf(user.stdout, 'AUTH_JWT_SECRET')).toMatchObject({
      sub: 'alice',
      aud: defaultUserAudience,
    });
    const service = run('--service', 'workflow-worker');
    expect(service.status).toBe(0);
    expect(claimsOf(service.stdout, 'SERVICE_TOKEN_SECRET')).toMatchObject({
      sub: 'workflow-worker',
      aud: defaultServiceAudience,
      kind: 'service',
    });
  });

  it('mints tokens the apps accept by default: the local issuer on a user token, each within its maximum lifetime', () => {
    const user = claimsOf(run('bob').stdout, 'AUTH_JWT_SECRET');
    expect(user.iss).toBe(localUserIssuer);
    expect(Number(user.exp) - Number(user.iat)).toBe(defaultMaxTokenLifetimeSeconds.user);
    const service = claimsOf(run('--service', 'data-api').stdout, 'SERVICE_TOKEN_SECRET');
    expect(Number(service.exp) - Number(service.iat)).toBe(defaultMaxTokenLifetimeSeconds.service);
  });

  it('refuses an unknown app, a missing user id and extra arguments, with the usage and exit 2', () => {
    const unknown = run('--service', 'billing');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(
      'unknown app "billing": one of upload-service, data-api, workflow-worker',
    );
    for (const args of [[], ['a', 'b'], ['--service', 'data-api', 'alice']]) {
      const refused = run(...args);
      expect(refused.status, args.join(' ')).toBe(2);
      expect(refused.stderr).toContain('usage: pnpm --silent run token');
    }
  });

  it('prints its usage for --help or -h, and through pnpm as the README runs it nothing but the output', () => {
    for (const help of ['--help', '-h']) {
      const asked = run(help);
      expect(asked.status, help).toBe(0);
      expect(asked.stdout).toContain('usage: pnpm --silent run token <userId>');
      expect(asked.stdout).toContain('--service <app>');
    }
    const viaPnpm = (...args: string[]) =>
      spawnSync('pnpm', ['--silent', 'run', 'token', ...args], {
        cwd: join(import.meta.dirname, '../../..'),
        env: { ...process.env, STACK_DIR: stackDir },
        encoding: 'utf8',
      });
    const help = viaPnpm('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: pnpm --silent run token <userId>');
    // No `$ node --import tsx …` echo, no error: a script's $(…) and its stderr stay clean.
    expect(help.stderr).toBe('');
    const token = viaPnpm('alice');
    expect(token.stderr).toBe('');
    expect(claimsOf(token.stdout, 'AUTH_JWT_SECRET')).toMatchObject({ sub: 'alice' });
  });

  it("adds the service key to an older stack's secrets, keeping the others", () => {
    const olderDir = mkdtempSync(join(tmpdir(), 'token-cli-older-'));
    const older = { AUTH_JWT_SECRET: 'u'.repeat(43), CURSOR_SECRET: 'c'.repeat(43) };
    writeFileSync(join(olderDir, 'dev-secrets.json'), JSON.stringify(older));
    const service = runIn(olderDir, '--service', 'upload-service');
    expect(service.status).toBe(0);
    const secrets = JSON.parse(readFileSync(join(olderDir, 'dev-secrets.json'), 'utf8'));
    expect(secrets).toMatchObject(older);
    expect(secrets.SERVICE_TOKEN_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claimsOf(service.stdout, 'SERVICE_TOKEN_SECRET', olderDir)).toMatchObject({
      sub: 'upload-service',
    });
  });
});
