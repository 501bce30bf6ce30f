import { uploadRules } from '@stateless/contracts';
import Type from 'typebox';

/** S3's largest object (5 TiB): no limit above it means anything. */
const s3MaxObjectBytes = 5 * 1024 ** 4;

/**
 * The largest upload, in bytes: the upload service signs no upload over it (413) and binds it
 * into the POST policy; the worker fails an object that got past it. Both apps read it, so a
 * stage sets it for both (infra checks they agree). Defaults to the contract's limit, which the
 * web console's Uppy also checks before a byte is sent.
 */
export const uploadLimit = {
  MAX_UPLOAD_BYTES: Type.Integer({ minimum: 1, maximum: s3MaxObjectBytes, default: uploadRules.maxFileSize }),
};

/** The limit alone, for what reads it from another app's settings (infra's console config). */
export const uploadLimitEnv = Type.Object(uploadLimit);
