import { uploadRules } from '@stateless/contracts';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv, uploadServiceEnv, workflowWorkerEnv } from '../src/index.ts';

const serviceAuth = { SERVICE_TOKEN_SECRET: 's'.repeat(32) };
const worker = { ...serviceAuth, ASSETS_BUCKET: 'b', DATA_API_INTERNAL_URL: 'http://127.0.0.1:1' };
const uploads = { ...worker, STATE_MACHINE_ARN: 'arn', AUTH_JWT_SECRET: 'u'.repeat(32) };

describe('MAX_UPLOAD_BYTES, read by the upload service and the worker', () => {
  it("defaults to the contract's limit, the one the web console checks", () => {
    expect(loadEnv(uploadServiceEnv, uploads).MAX_UPLOAD_BYTES).toBe(uploadRules.maxFileSize);
    expect(loadEnv(workflowWorkerEnv, worker).MAX_UPLOAD_BYTES).toBe(uploadRules.maxFileSize);
  });

  it('takes a stage’s own limit up to S3’s largest object (5 TiB), and names the variable otherwise (a fraction is refused, not truncated)', () => {
    expect(loadEnv(uploadServiceEnv, { ...uploads, MAX_UPLOAD_BYTES: '5000' }).MAX_UPLOAD_BYTES).toBe(5000);
    for (const bad of ['0', '1.5', '0x10', String(5 * 1024 ** 4 + 1), 'lots']) {
      expect(() => loadEnv(workflowWorkerEnv, { ...worker, MAX_UPLOAD_BYTES: bad })).toThrow(ConfigError);
      expect(() => loadEnv(workflowWorkerEnv, { ...worker, MAX_UPLOAD_BYTES: bad })).toThrow(
        /MAX_UPLOAD_BYTES/,
      );
    }
  });
});
