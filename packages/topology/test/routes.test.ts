import { describe, expect, it } from 'vitest';
import { matchesPrefix, resourceNames, routes } from '../src/index.ts';

const lambdaAppFor = (path: string) =>
  routes
    .filter((r) => r.listener === 'lambda')
    .sort((a, b) => a.priority - b.priority)
    .find((r) => r.pathPatterns?.some((p) => new RegExp(p).test(path)))?.app;

describe('route table', () => {
  it('has one priority per listener', () => {
    const keys = routes.map((r) => `${r.listener}:${r.priority}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('never exposes internal paths on the public listener', () => {
    const publicPrefixes = routes.filter((r) => r.listener === 'public').flatMap((r) => r.pathPrefixes);
    expect(publicPrefixes.some((p) => matchesPrefix('/internal/assets', p))).toBe(false);
  });

  it("sends each function's Lambda Invoke calls to its own app, by name or ARN, and nothing else", () => {
    const names = resourceNames('dev');
    const invoke = (functionName: string) =>
      `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
    const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
    for (const [name, app] of [
      [names.workerFunction, 'workflow-worker'],
      [names.uploadFunction, 'upload-service'],
    ] as const) {
      expect(lambdaAppFor(invoke(name))).toBe(app);
      expect(lambdaAppFor(invoke(arn(name)))).toBe(app);
      expect(lambdaAppFor(invoke(`${arn(name)}:$LATEST`))).toBe(app);
      expect(lambdaAppFor(`/2015-03-31/functions/${arn(name)}/invocations`)).toBe(app);
    }
    expect(lambdaAppFor(invoke('dev-data-api'))).toBeUndefined();
    expect(lambdaAppFor(invoke('dev-upload-service-x'))).toBeUndefined();
    expect(lambdaAppFor(`/2015-03-31/functions/${names.uploadFunction}/configuration`)).toBeUndefined();
  });

  it('matches on segment boundaries only', () => {
    expect(matchesPrefix('/assets/1', '/assets')).toBe(true);
    expect(matchesPrefix('/assets', '/assets')).toBe(true);
    expect(matchesPrefix('/assetsX', '/assets')).toBe(false);
  });
});

describe('resource names', () => {
  it('derives names from the stage and rejects a bad stage', () => {
    expect(resourceNames('dev').assetsTable).toBe('dev-assets');
    expect(() => resourceNames('Bad Stage')).toThrow(/Stage must be/);
  });
});
