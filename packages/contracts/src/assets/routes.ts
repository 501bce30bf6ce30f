import Type from 'typebox';
import {
  AssetPage,
  AssetParams,
  Asset as AssetSchema,
  CreateAssetBody,
  DownloadLink,
  IfMatchHeaders,
  InternalAsset,
  ListAssetsQuery,
  Metrics,
  MoveStatusBody,
  RecordResultsBody,
  SweepDeletedBody,
  SweepDeletedResult,
  ThumbnailParams,
  UpdateAssetBody,
} from './schemas.ts';

/**
 * A response without a body (204, 304). Its type is `undefined`, so a route sends nothing at
 * all: a serialized `null` would give a 304 a Content-Length of 4 (RFC 9110 §8.6 allows only
 * the 200's) and strict proxies would misframe the next response on the connection.
 */
// `type: 'null'` also tells the OpenAPI document there is no content at all.
const NoBody = (description: string) => Type.Unsafe<undefined>({ type: 'null', description });

/**
 * Route schemas of the data API, written once: the server validates and
 * serializes with them, the OpenAPI document is generated from them and the
 * typed client is built on them.
 */
export const publicAssetRoutes = {
  list: {
    method: 'GET',
    url: '/assets',
    schema: { querystring: ListAssetsQuery, response: { 200: AssetPage } },
  },
  get: {
    method: 'GET',
    url: '/assets/:id',
    schema: {
      params: AssetParams,
      response: { 200: AssetSchema, 304: NoBody('Not modified: the ETag you sent is current') },
    },
  },
  update: {
    method: 'PATCH',
    url: '/assets/:id',
    schema: {
      params: AssetParams,
      headers: IfMatchHeaders,
      body: UpdateAssetBody,
      response: { 200: AssetSchema },
    },
  },
  delete: {
    method: 'DELETE',
    url: '/assets/:id',
    schema: { params: AssetParams, response: { 204: NoBody('Deleted (also when it already was)') } },
  },
  download: {
    method: 'GET',
    url: '/assets/:id/download',
    schema: { params: AssetParams, response: { 200: DownloadLink } },
  },
  downloadThumbnail: {
    method: 'GET',
    url: '/assets/:id/thumbnails/:name/download',
    schema: { params: ThumbnailParams, response: { 200: DownloadLink } },
  },
} as const;

/** Internal routes: on the internal listener only, service token required. */
export const internalAssetRoutes = {
  create: {
    method: 'POST',
    url: '/internal/assets',
    schema: { body: CreateAssetBody, response: { 200: InternalAsset, 201: InternalAsset } },
  },
  get: {
    method: 'GET',
    url: '/internal/assets/:id',
    schema: { params: AssetParams, response: { 200: InternalAsset } },
  },
  recordResults: {
    method: 'PUT',
    url: '/internal/assets/:id/results',
    schema: { params: AssetParams, body: RecordResultsBody, response: { 200: InternalAsset } },
  },
  moveStatus: {
    method: 'POST',
    url: '/internal/assets/:id/status',
    schema: { params: AssetParams, body: MoveStatusBody, response: { 200: InternalAsset } },
  },
  /** The upload was aborted: a PENDING record expires now (204 whatever its state). */
  expireUpload: {
    method: 'POST',
    url: '/internal/assets/:id/expire',
    schema: { params: AssetParams, response: { 204: NoBody('Expired if it was PENDING') } },
  },
  metrics: {
    method: 'GET',
    url: '/internal/metrics',
    schema: { response: { 200: Metrics } },
  },
  sweepDeleted: {
    method: 'POST',
    url: '/internal/maintenance/sweep-deleted',
    schema: { body: SweepDeletedBody, response: { 200: SweepDeletedResult } },
  },
} as const;
