import type { AppName } from './routes.ts';

/**
 * Each function's memory (MB) in the dev stage. Infra deploys it (`environments.ts`; prod raises
 * some) and the local cloud sizes an app's execution environments from it: Lambda gives CPU in
 * proportion to memory.
 */
export const functionMemoryMb = {
  'data-api': 512,
  'upload-service': 512,
  // sharp's thumbnails are CPU- and memory-bound.
  'workflow-worker': 1024,
} as const satisfies Record<AppName, number>;
