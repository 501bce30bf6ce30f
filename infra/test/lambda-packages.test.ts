import { isAbsolute, resolve } from 'node:path';
import { deployedArchitecture, lambdaArchitectures, lambdaPackage } from '@stateless/lambda-build/deployment';
import { describe, expect, it } from 'vitest';
import { type EnvironmentName, environments, infraDir } from '../src/environments.ts';
import { resources, stack, stackDir, stackNames } from './synth.ts';

const environmentNames = Object.keys(environments) as EnvironmentName[];
const appDir = resolve(infraDir, '..', 'apps');

describe('Lambda packages', () => {
  const functions = environmentNames.flatMap((environment) =>
    stackNames.flatMap((name) =>
      resources(stack(name, environment), 'aws_lambda_function').map(([id, fn]) => ({
        where: `${environment}/${name}/${id}`,
        fn,
        from: stackDir(name, environment),
      })),
    ),
  );

  it('covers every function of every stage', () => {
    expect(functions.length).toBeGreaterThanOrEqual(environmentNames.length * 3);
  });

  it.each(functions)('$where runs on the architecture lambda-build ships native binaries for', ({ fn }) => {
    expect(deployedArchitecture).toBe('arm64');
    expect(fn.architectures).toEqual([lambdaArchitectures[deployedArchitecture].lambda]);
  });

  it.each(functions)("$where deploys the zip its app's build writes, with its handler", ({ fn, from }) => {
    expect(fn.handler).toBe(lambdaPackage.handler);
    // Named from the stack's folder, where Terraform runs (portable: no absolute path).
    const zip = resolve(from, String(fn.filename));
    expect(isAbsolute(String(fn.filename))).toBe(false);
    const app = /^([a-z-]+)\//.exec(zip.slice(appDir.length + 1))?.[1];
    expect(zip).toBe(resolve(appDir, String(app), lambdaPackage.outDir, lambdaPackage.zip));
    expect(['data-api', 'upload-service', 'workflow-worker']).toContain(app);
  });
});
