import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@stateless/local-cloud/testing/global-setup'],
    setupFiles: ['@stateless/local-cloud/testing/setup-env'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
