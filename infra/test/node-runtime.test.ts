import { describe, expect, it } from 'vitest';
import { type EnvironmentName, environments } from '../src/environments.ts';
import { resources, stack, stackNames } from './synth.ts';

const environmentNames = Object.keys(environments) as EnvironmentName[];

describe('Lambda runtime', () => {
  const testedMajor = process.versions.node.split('.')[0];
  const functions = environmentNames.flatMap((environment) =>
    stackNames.flatMap((name) =>
      resources(stack(name, environment), 'aws_lambda_function').map(([id, fn]) => ({
        where: `${environment}/${name}/${id}`,
        runtime: String(fn.runtime),
      })),
    ),
  );

  it('covers every function of every stage', () => {
    expect(functions.length).toBeGreaterThanOrEqual(environmentNames.length * 3);
  });

  it.each(functions)('$where runs the Node major the tests run on', ({ runtime }) => {
    expect(runtime).toBe(`nodejs${testedMajor}.x`);
  });
});
