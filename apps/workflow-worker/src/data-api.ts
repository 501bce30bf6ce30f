import { thumbnailSizesOf } from '@stateless/config';
import { createDataApiInternalClient, mintServiceToken, uploadRules } from '@stateless/contracts';
import type { WorkflowWorkerConfig } from './app.ts';

const tokenSeconds = 3600;
/** A token is replaced this long before it expires, so none expires in flight. */
const renewSeconds = 300;

/** A service token, minted once and reused until shortly before it expires. */
export function serviceTokenSource(secret: string | undefined, now = () => Date.now()) {
  let cached: { token: Promise<string>; renewAt: number } | undefined;
  return () => {
    if (!secret) throw new Error('AUTH_JWT_SECRET is not set: the worker cannot call the data API');
    if (!cached || now() >= cached.renewAt) {
      cached = {
        token: mintServiceToken(secret, 'workflow-worker', { ttl: tokenSeconds }),
        renewAt: now() + (tokenSeconds - renewSeconds) * 1000,
      };
    }
    return cached.token;
  };
}

export const createDataApi = (config: WorkflowWorkerConfig) =>
  createDataApiInternalClient({
    baseUrl: config.DATA_API_INTERNAL_URL,
    token: serviceTokenSource(config.AUTH_JWT_SECRET),
  });

/** The media limits and sizes the steps read from config. */
export const mediaLimitsOf = (config: WorkflowWorkerConfig) => ({
  maxFileSize: uploadRules.maxFileSize,
  maxInputPixels: config.MAX_INPUT_PIXELS,
  timeoutSeconds: config.IMAGE_TIMEOUT_SECONDS,
  thumbnailSizes: thumbnailSizesOf(config.THUMBNAIL_SIZES),
});
