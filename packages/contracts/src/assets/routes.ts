import Type from 'typebox';
import {
  AssetPage,
  AssetParams,
  Asset as AssetSchema,
  CreateAssetBody,
  DownloadLink,
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
    schema: { params: AssetParams, response: { 200: AssetSchema, 304: Type.Null() } },
  },
  update: {
    method: 'PATCH',
    url: '/assets/:id',
    schema: { params: AssetParams, body: UpdateAssetBody, response: { 200: AssetSchema } },
  },
  delete: {
    method: 'DELETE',
    url: '/assets/:id',
    schema: { params: AssetParams, response: { 204: Type.Null() } },
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
