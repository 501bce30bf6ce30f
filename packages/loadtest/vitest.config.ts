import { defineConfig } from 'vitest/config';

// Each test file starts a stack of its own (local cloud, apps, HAProxy): one file at a time on 2 cores.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
