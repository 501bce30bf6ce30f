import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  dataApiEnv,
  loadEnv,
  uploadServiceEnv,
  variablesOf,
  workflowWorkerEnv,
} from '../src/index.ts';

import { secret, validDataApiEnv } from './fixtures.ts';

const jwksUrl = 'https://idp.example.com/.well-known/jwks.json';
const { AUTH_JWT_SECRET: _, ...dataApiWithoutUserSecret } = validDataApiEnv;
const serviceSecret = 's'.repeat(32);
/** Each app that takes part in service auth, with an environment it starts with (users on a JWKS provider). */
const apps = {
  'data-api': {
    schema: dataApiEnv,
    env: { ...dataApiWithoutUserSecret, AUTH_JWKS_URL: jwksUrl },
  },
  'upload-service': {
    schema: uploadServiceEnv,
    env: {
      ASSETS_BUCKET: 'b',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:p',
      DATA_API_INTERNAL_URL: 'http://internal',
      AUTH_JWKS_URL: jwksUrl,
      SERVICE_TOKEN_SECRET: serviceSecret,
    },
  },
  'workflow-worker': {
    schema: workflowWorkerEnv,
    env: {
      ASSETS_BUCKET: 'b',
      DATA_API_INTERNAL_URL: 'http://internal',
      SERVICE_TOKEN_SECRET: serviceSecret,
    },
  },
};

const problemVariables = (load: () => unknown) => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.variable);
  }
  throw new Error('expected a ConfigError');
};

describe.each(Object.entries(apps))('%s service auth', (_app, { schema, env }) => {
  it('reads SERVICE_TOKEN_SECRET and SERVICE_AUDIENCE, whichever way users sign in', () => {
    const config = loadEnv(schema, env);
    expect(config.SERVICE_TOKEN_SECRET).toBe(serviceSecret);
    expect(config.SERVICE_AUDIENCE).toBe('stateless-internal');
    expect(variablesOf(schema)).toContainEqual({ name: 'SERVICE_TOKEN_SECRET', required: true });
  });

  it('requires SERVICE_TOKEN_SECRET, at least 32 characters, naming it', () => {
    const { SERVICE_TOKEN_SECRET: __, ...without } = env;
    expect(problemVariables(() => loadEnv(schema, without))).toEqual(['SERVICE_TOKEN_SECRET']);
    expect(problemVariables(() => loadEnv(schema, { ...env, SERVICE_TOKEN_SECRET: 'short' }))).toEqual([
      'SERVICE_TOKEN_SECRET',
    ]);
  });

  it('takes the variables from the one shared definition', () => {
    expect(schema.properties.SERVICE_TOKEN_SECRET).toBe(dataApiEnv.properties.SERVICE_TOKEN_SECRET);
    expect(schema.properties.SERVICE_AUDIENCE).toBe(dataApiEnv.properties.SERVICE_AUDIENCE);
  });
});

describe('workflow-worker', () => {
  it('no longer reads the user token secret: it only mints service tokens', () => {
    const names = variablesOf(workflowWorkerEnv).map((v) => v.name);
    expect(names).not.toContain('AUTH_JWT_SECRET');
    expect(
      loadEnv(workflowWorkerEnv, { ...apps['workflow-worker'].env, AUTH_JWT_SECRET: secret }),
    ).not.toHaveProperty('AUTH_JWT_SECRET');
  });
});
