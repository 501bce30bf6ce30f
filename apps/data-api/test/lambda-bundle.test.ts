import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDataApiInternalClient } from '@stateless/contracts';
import {
  type BuiltPackage,
  buildPackage,
  declaredNodeMajor,
  invokePackage,
  resultOf,
} from '@stateless/lambda-build/testing';
import type { ALBResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  cursorSecret,
  type Instance,
  newAsset,
  secret,
  serviceSecret,
  serviceToken,
  startInstance,
  testConfig,
  uniqueOwner,
  userToken,
} from './helpers.ts';
import { albEvent, targetGroups } from './lambda-events.ts';

/**
 * The deployment package itself: the app's `build` script, then `lambda.handler` from the
 * unzipped package in a plain Node process with only the environment infra would give it.
 */
const appDir = join(import.meta.dirname, '..');
let pkg: BuiltPackage;
let instance: Instance;

beforeAll(async () => {
  pkg = await buildPackage(appDir);
  instance = await startInstance(testConfig());
}, 120_000);
afterAll(async () => {
  await instance?.close();
  await pkg?.remove();
});

const invoke = (events: unknown[]) =>
  invokePackage<ALBResult>(pkg, events, {
    ...inject('cloud').env,
    LOG_LEVEL: 'warn',
    AUTH_JWT_SECRET: secret,
    SERVICE_TOKEN_SECRET: serviceSecret,
    CURSOR_SECRET: cursorSecret,
    INTERNAL_TARGET_GROUP_ARN: targetGroups.internal,
  });

describe('the built Lambda package', () => {
  it('is one minified lambda.mjs: no source map and no Swagger UI files in the zip', async () => {
    expect(pkg.files).toEqual(['lambda.mjs']);
    // The map is written beside the zip, for decoding a stack trace by hand.
    expect(JSON.parse(await readFile(join(pkg.outDir, 'lambda.mjs.map'), 'utf8')).mappings).not.toBe('');
    const bundle = await readFile(join(pkg.dir, 'lambda.mjs'), 'utf8');
    expect(bundle).not.toContain('sourceMappingURL');
    // Minified: far fewer lines than bytes / 100 (an unminified bundle has a line every ~40 bytes).
    expect(bundle.split('\n').length).toBeLessThan(bundle.length / 1000);
  });

  it('serves ALB events from lambda.mjs at its root, with the OpenAPI document but no Swagger UI', async () => {
    const ownerId = uniqueOwner();
    const body = newAsset(ownerId);
    const internal = createDataApiInternalClient({
      baseUrl: instance.internalUrl,
      token: await serviceToken(),
    });
    await internal.createAsset(body);

    const { node, outcomes } = await invoke([
      albEvent(targetGroups.public, 'GET', `/assets/${body.id}`, { token: await userToken(ownerId) }),
      albEvent(targetGroups.public, 'GET', '/docs/assets/json'),
      albEvent(targetGroups.public, 'GET', '/docs/assets/'),
      { task: 'unknown' },
    ]);
    const [read, openapi, ui, unknown] = outcomes;
    expect(resultOf(read).statusCode).toBe(200);
    expect(JSON.parse(resultOf(read).body ?? '')).toMatchObject({
      id: body.id,
      status: 'PENDING',
      version: 1,
    });
    expect(resultOf(openapi).statusCode).toBe(200);
    expect(Object.keys(JSON.parse(resultOf(openapi).body ?? '').paths)).toContain('/assets/{id}');
    // Swagger UI is served by the local server only (its entry registers it).
    expect(resultOf(ui).statusCode).toBe(404);
    // Names survive minification (esbuild numbers a name two modules share), so a stack trace still reads.
    expect(unknown).toEqual({
      error: {
        message: expect.stringMatching(/unsupported event/),
        stack: expect.stringMatching(/at handler\d* .*lambda\.mjs:\d+/),
      },
    });
    // On the Node major the Lambda runtime is deployed with.
    expect(node.split('.')[0]).toBe(await declaredNodeMajor());
  });
});
