import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Synthesizes every environment once; test files read the JSON.
    globalSetup: ['./test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    maxWorkers: 2,
    hookTimeout: 120_000,
  },
});
