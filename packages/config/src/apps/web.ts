import Type from 'typebox';
import { uploadLimit } from '../uploads.ts';

/**
 * The web console's local server (Vite, started by `pnpm dev` and the browser tests). The
 * deployed console is static files and reads nothing from an environment.
 */
export const webConsoleEnv = Type.Object({
  /** Set: the server offers the dev sign-in (any user id), minting HS256 tokens with this key. */
  AUTH_JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  /** The S3 stand-in; presigned URLs point there, so the CSP allows it. */
  AWS_ENDPOINT_URL: Type.Optional(Type.String({ pattern: '^https?://.+' })),
  /** The upload service's limit, which the console's Uppy checks before a byte is sent. */
  ...uploadLimit,
});
