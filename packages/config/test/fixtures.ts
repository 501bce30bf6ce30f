/** A data-api environment that passes validation; tests vary one variable at a time. */
export const secret = 'x'.repeat(32);
export const validDataApiEnv = {
  ASSETS_TABLE: 't',
  ASSETS_BUCKET: 'b',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AUTH_JWT_SECRET: secret,
  SERVICE_TOKEN_SECRET: 's'.repeat(32),
  CURSOR_SECRET: secret,
};
