import { thumbnailSizesOf } from '@stateless/config';
import { createDataApiInternalClient, serviceTokenSource } from '@stateless/contracts';
import type { WorkflowWorkerConfig } from './app.ts';

export const createDataApi = (config: WorkflowWorkerConfig) =>
  createDataApiInternalClient({
    baseUrl: config.DATA_API_INTERNAL_URL,
    token: serviceTokenSource(config.SERVICE_TOKEN_SECRET, 'workflow-worker', {
      audience: config.SERVICE_AUDIENCE,
    }),
  });

/** The media limits and sizes the steps read from config. */
export const mediaLimitsOf = (config: WorkflowWorkerConfig) => ({
  maxFileSize: config.MAX_UPLOAD_BYTES,
  maxInputPixels: config.MAX_INPUT_PIXELS,
  timeoutSeconds: config.IMAGE_TIMEOUT_SECONDS,
  thumbnailSizes: thumbnailSizesOf(config.THUMBNAIL_SIZES),
});
