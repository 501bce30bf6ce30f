import { describe, expect, it } from 'vitest';
import { checkSharedSettings, lambdaEnvironment } from '../src/app-env.ts';
import { environments, selectedEnvironment } from '../src/environments.ts';

const outputs = {
  ASSETS_TABLE: () => 'table',
  ASSETS_BUCKET: () => 'bucket',
  REDIS_URL: () => 'rediss://cache:6379',
};

describe('environment selection', () => {
  it('defaults to dev and selects by STAGE', () => {
    expect(selectedEnvironment({})).toBe(environments.dev);
    expect(selectedEnvironment({ STAGE: 'prod' })).toBe(environments.prod);
  });

  it('rejects an unknown stage, listing the known ones', () => {
    expect(() => selectedEnvironment({ STAGE: 'qa' })).toThrow(/STAGE=qa .*dev, prod/);
  });
});

describe('settings several apps read', () => {
  it('must agree: MAX_UPLOAD_BYTES set for the upload service alone fails synthesis, naming it', () => {
    const apps = { 'data-api': {}, 'upload-service': {}, 'workflow-worker': {} };
    expect(() => checkSharedSettings({ ...apps, 'upload-service': { MAX_UPLOAD_BYTES: '5000' } })).toThrow(
      /MAX_UPLOAD_BYTES is read by upload-service, workflow-worker.*upload-service: 5000, workflow-worker: \(default\)/,
    );
    const both = {
      'upload-service': { MAX_UPLOAD_BYTES: '5000' },
      'workflow-worker': { MAX_UPLOAD_BYTES: '5000' },
    };
    expect(() => checkSharedSettings({ ...apps, ...both })).not.toThrow();
    for (const environment of Object.values(environments)) {
      expect(() => checkSharedSettings(environment.appSettings)).not.toThrow();
    }
  });
});

describe('lambdaEnvironment', () => {
  it('fails synthesis naming a required variable nobody provides', () => {
    const { REDIS_URL: _, ...withoutRedis } = outputs;
    expect(() =>
      lambdaEnvironment('data-api', { outputs: withoutRedis, settings: {}, secret: (n) => `secret:${n}` }),
    ).toThrow(/data-api requires REDIS_URL/);
  });

  it('refuses secrets, unknown variables and runtime-reserved ones in plain config', () => {
    const secret = (n: string) => `secret:${n}`;
    for (const name of ['CURSOR_SECRET', 'NOT_A_VARIABLE', 'AWS_REGION']) {
      expect(() => lambdaEnvironment('data-api', { outputs, settings: { [name]: 'x' }, secret })).toThrow(
        name,
      );
    }
  });

  it('creates secrets only for required secret variables', () => {
    const asked: string[] = [];
    const environment = lambdaEnvironment('data-api', {
      outputs,
      settings: {},
      secret: (name) => {
        asked.push(name);
        return `secret:${name}`;
      },
    });
    expect(asked).toEqual(['SERVICE_TOKEN_SECRET', 'CURSOR_SECRET']);
    expect(environment.CURSOR_SECRET).toBe('secret:CURSOR_SECRET');
    expect(environment.SERVICE_TOKEN_SECRET).toBe('secret:SERVICE_TOKEN_SECRET');
    expect(environment).not.toHaveProperty('AUTH_JWT_SECRET');
  });
});
