import { describe, expect, it } from 'vitest';
import { authKeyProblem } from '../src/auth.ts';
import { ConfigError, dataApiEnv, loadEnv, variablesOf } from '../src/index.ts';

import { validDataApiEnv as valid } from './fixtures.ts';

describe('loadEnv', () => {
  it('converts and defaults values', () => {
    const config = loadEnv(dataApiEnv, { ...valid, PORT: '8080', S3_FORCE_PATH_STYLE: 'true' });
    expect(config.PORT).toBe(8080);
    expect(config.INTERNAL_PORT).toBe(3001);
    expect(config.S3_FORCE_PATH_STYLE).toBe(true);
    expect(config.AWS_REGION).toBe('us-east-1');
  });

  it('names every missing variable', () => {
    const error = (() => {
      try {
        loadEnv(dataApiEnv, { ASSETS_BUCKET: 'b' });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      '(combination)',
      'ASSETS_TABLE',
      'CURSOR_SECRET',
      'REDIS_URL',
      'SERVICE_TOKEN_SECRET',
    ]);
    expect(error.message).toContain('ASSETS_TABLE: is required');
  });

  it('reports a rule across variables together with the missing ones, in one error', () => {
    const { AUTH_JWT_SECRET: _, ASSETS_TABLE: __, ...rest } = valid;
    const error = (() => {
      try {
        loadEnv(dataApiEnv, rest);
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error.problems.map((p) => p.message)).toEqual(['is required but not set', authKeyProblem]);
    // The rule alone is reported once.
    expect(() => loadEnv(dataApiEnv, { ...valid, AUTH_JWKS_URL: 'https://idp/keys' })).toThrow(
      new ConfigError([{ variable: '(combination)', message: authKeyProblem }]),
    );
  });

  it('names a malformed variable and what it got', () => {
    expect(() => loadEnv(dataApiEnv, { ...valid, PORT: 'eighty' })).toThrow(/PORT: .*"eighty"/);
    expect(() => loadEnv(dataApiEnv, { ...valid, REDIS_URL: 'localhost' })).toThrow(/REDIS_URL/);
    expect(() => loadEnv(dataApiEnv, { ...valid, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('treats an empty variable as unset', () => {
    expect(() => loadEnv(dataApiEnv, { ...valid, ASSETS_TABLE: '' })).toThrow(/ASSETS_TABLE: is required/);
  });

  it('lists the variables an app reads', () => {
    const vars = variablesOf(dataApiEnv);
    expect(vars).toContainEqual({ name: 'ASSETS_TABLE', required: true });
    expect(vars).toContainEqual({ name: 'PORT', required: false });
  });
});
