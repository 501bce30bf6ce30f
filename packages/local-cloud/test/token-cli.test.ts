import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultServiceAudience, defaultUserAudience } from '@stateless/contracts';
import { describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '../src/cli.ts');
const stackDir = mkdtempSync(join(tmpdir(), 'token-cli-'));
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, 'token', ...args], {
    env: { ...process.env, STACK_DIR: stackDir },
    encoding: 'utf8',
  });

/** The claims of an HS256 token, after checking its signature with the stack's key. */
function claimsOf(token: string) {
  const [header, payload, signature] = token.trim().split('.') as [string, string, string];
  const { AUTH_JWT_SECRET } = JSON.parse(readFileSync(join(stackDir, 'dev-secrets.json'), 'utf8'));
  const expected = createHmac('sha256', AUTH_JWT_SECRET).update(`${header}.${payload}`).digest('base64url');
  expect(signature).toBe(expected);
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
}

describe('pnpm -s run token', () => {
  it("mints a user's token and, with --service, an app's service token, both signed with the stack's key", () => {
    const user = run('alice');
    expect(user.status).toBe(0);
    expect(claimsOf(user.stdout)).toMatchObject({ sub: 'alice', aud: defaultUserAudience });
    const service = run('--service', 'workflow-worker');
    expect(service.status).toBe(0);
    expect(claimsOf(service.stdout)).toMatchObject({
      sub: 'workflow-worker',
      aud: defaultServiceAudience,
      kind: 'service',
    });
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
      expect(refused.stderr).toContain('usage: pnpm -s run token');
    }
  });
});
