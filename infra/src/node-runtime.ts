import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { infraDir } from './environments.ts';

/**
 * The Node.js major every function runs on: the one the workspace declares in the root
 * package.json's `engines` (`>=24`), which is also what `scripts/install.sh` installs and
 * what the tests run on. What is tested is what is deployed.
 */
export const nodeMajor = (() => {
  const { engines } = JSON.parse(readFileSync(resolve(infraDir, '../package.json'), 'utf8')) as {
    engines: { node: string };
  };
  const major = /^>=(\d+)$/.exec(engines.node)?.[1];
  if (!major) throw new Error(`package.json engines.node must be ">=N", got ${engines.node}`);
  return Number(major);
})();

export const lambdaNodeRuntime = `nodejs${nodeMajor}.x` as const;
