import { localUserIssuer, serviceTokenSeconds } from '@stateless/contracts';
import { describe, expect, it } from 'vitest';
import { ConfigError, dataApiEnv, loadEnv, variablesOf } from '../src/index.ts';

import { validDataApiEnv as valid } from './fixtures.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadEnv(dataApiEnv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
  }
  throw new Error('expected a ConfigError');
};

describe('data-api env', () => {
  it('defaults the auth, cache and rate-limit settings', () => {
    const config = loadEnv(dataApiEnv, { ...valid, CACHE_TTL_SECONDS: '30' });
    expect(config.AUTH_AUDIENCE).toBe('stateless-api');
    expect(config.SERVICE_AUDIENCE).toBe('stateless-internal');
    expect(config.CACHE_TTL_SECONDS).toBe(30);
    expect(config.NOT_FOUND_TTL_SECONDS).toBe(5);
    expect(config.RATE_LIMIT_PER_MINUTE).toBe(600);
    expect(config.REDIS_KEY_PREFIX).toBe('data-api:');
    expect(config.REDIS_COMMAND_TIMEOUT_MS).toBe(250);
    expect(config.DOWNLOAD_URL_TTL_SECONDS).toBe(300);
    expect(config.MAX_OPEN_UPLOADS).toBe(100);
  });

  it('checks the local issuer and the lifetime limits unless told otherwise; a service limit under what the apps mint is refused', () => {
    const config = loadEnv(dataApiEnv, valid);
    expect(config.AUTH_ISSUER).toBe(localUserIssuer);
    expect(config.AUTH_MAX_TOKEN_LIFETIME_SECONDS).toBe(12 * 3600);
    expect(config.SERVICE_TOKEN_MAX_LIFETIME_SECONDS).toBe(3600);
    expect(
      problemsOf({ ...valid, SERVICE_TOKEN_MAX_LIFETIME_SECONDS: String(serviceTokenSeconds - 1) }).message,
    ).toContain('SERVICE_TOKEN_MAX_LIFETIME_SECONDS');
  });

  it('accepts a JWKS URL instead of a secret', () => {
    const { AUTH_JWT_SECRET: _, ...rest } = valid;
    const config = loadEnv(dataApiEnv, {
      ...rest,
      AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
    });
    expect(config.AUTH_JWKS_URL).toContain('jwks.json');
    expect(config.AUTH_JWT_SECRET).toBeUndefined();
  });

  it('requires exactly one of AUTH_JWT_SECRET and AUTH_JWKS_URL, saying so', () => {
    const { AUTH_JWT_SECRET: _, ...neither } = valid;
    expect(problemsOf(neither).message).toMatch(/exactly one of AUTH_JWT_SECRET .* or AUTH_JWKS_URL/);
    const both = problemsOf({ ...valid, AUTH_JWKS_URL: 'https://idp.example.com/jwks.json' });
    expect(both.message).toMatch(/exactly one of AUTH_JWT_SECRET/);
  });

  it('rejects short secrets and out-of-range numbers, naming the variable', () => {
    expect(problemsOf({ ...valid, AUTH_JWT_SECRET: 'short' }).problems[0]?.variable).toBe('AUTH_JWT_SECRET');
    expect(problemsOf({ ...valid, CURSOR_SECRET: 'short' }).problems[0]?.variable).toBe('CURSOR_SECRET');
    expect(problemsOf({ ...valid, CACHE_TTL_SECONDS: '0' }).problems[0]?.variable).toBe('CACHE_TTL_SECONDS');
    for (const bad of ['0', '1.5', '-3', 'many']) {
      expect(problemsOf({ ...valid, MAX_OPEN_UPLOADS: bad }).problems[0]?.variable).toBe('MAX_OPEN_UPLOADS');
    }
    expect(problemsOf({ ...valid, REDIS_KEY_PREFIX: 'has space' }).problems[0]?.variable).toBe(
      'REDIS_KEY_PREFIX',
    );
  });

  it('requires CURSOR_SECRET and lists the new variables for infra', () => {
    const { CURSOR_SECRET: _, ...rest } = valid;
    expect(problemsOf(rest).problems.map((p) => p.variable)).toContain('CURSOR_SECRET');
    const vars = variablesOf(dataApiEnv);
    expect(vars).toContainEqual({ name: 'CURSOR_SECRET', required: true });
    expect(vars).toContainEqual({ name: 'AUTH_JWT_SECRET', required: false });
    expect(vars).toContainEqual({ name: 'CACHE_TTL_SECONDS', required: false });
  });
});
