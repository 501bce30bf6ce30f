export { dataApiEnv } from './apps/data-api.ts';
export { localStackEnv } from './apps/local-cloud.ts';
export { uploadServiceEnv } from './apps/upload-service.ts';
export { webConsoleEnv } from './apps/web.ts';
export { thumbnailSizesOf, workflowWorkerEnv } from './apps/workflow-worker.ts';
export { tokenCheckDefaults } from './auth.ts';
export { ConfigError } from './errors.ts';
export { type Env, loadEnv, variablesOf } from './load.ts';
export { uploadLimitEnv } from './uploads.ts';
