import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { type LocalCloudInfo, startLocalCloud } from '../cloud.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cloud: LocalCloudInfo;
  }
}

/** vitest global setup: a fresh local cloud on free ports for this test run, stopped after it. */
export default async function setup(project: TestProject) {
  const cloud = await startLocalCloud({
    stage: `t${randomBytes(4).toString('hex')}`,
    retryIntervalScale: 0.01,
  });
  project.provide('cloud', cloud.info);
  return () => cloud.stop();
}
