import {
  Aborted,
  BatchQuery,
  CompleteBody,
  Completed,
  CreateMultipartBody,
  KeyQuery,
  MultipartCreated,
  PartParams,
  PartUrl,
  PartUrls,
  PresignedPost,
  SingleUploadQuery,
  UploadedParts,
  UploadParams,
} from './schemas.ts';

/** Base path of the upload routes; Uppy's companionEndpoint. */
export const uploadsBasePath = '/uploads';
/** Where the upload service serves its OpenAPI document (`/json`), as the data API does under /docs/assets. */
export const uploadsDocsPrefix = '/docs/uploads';

/**
 * The Companion S3 protocol that @uppy/aws-s3 speaks (companionEndpoint), written once: the
 * upload service validates and serializes with these, the web console points Uppy at them.
 */
export const uploadRoutes = {
  singleParams: {
    method: 'GET',
    url: `${uploadsBasePath}/s3/params`,
    schema: { querystring: SingleUploadQuery, response: { 200: PresignedPost } },
  },
  createMultipart: {
    method: 'POST',
    url: `${uploadsBasePath}/s3/multipart`,
    schema: { body: CreateMultipartBody, response: { 200: MultipartCreated } },
  },
  listParts: {
    method: 'GET',
    url: `${uploadsBasePath}/s3/multipart/:uploadId`,
    schema: { params: UploadParams, querystring: KeyQuery, response: { 200: UploadedParts } },
  },
  signParts: {
    method: 'GET',
    url: `${uploadsBasePath}/s3/multipart/:uploadId/batch`,
    schema: { params: UploadParams, querystring: BatchQuery, response: { 200: PartUrls } },
  },
  signPart: {
    method: 'GET',
    // Digits only, so `…/complete` and `…/batch` are never a part number (a 405 there lists exactly their methods).
    url: `${uploadsBasePath}/s3/multipart/:uploadId/:partNumber(^\\d+$)`,
    schema: { params: PartParams, querystring: KeyQuery, response: { 200: PartUrl } },
  },
  complete: {
    method: 'POST',
    url: `${uploadsBasePath}/s3/multipart/:uploadId/complete`,
    schema: { params: UploadParams, querystring: KeyQuery, body: CompleteBody, response: { 200: Completed } },
  },
  abort: {
    method: 'DELETE',
    url: `${uploadsBasePath}/s3/multipart/:uploadId`,
    schema: { params: UploadParams, querystring: KeyQuery, response: { 200: Aborted } },
  },
} as const;
