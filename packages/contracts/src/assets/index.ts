export {
  createDataApiInternalClient,
  DataApiError,
  type DataApiInternalClient,
  type DataApiInternalClientOptions,
  onBehalfOfHeader,
} from './client.ts';
export { internalAssetRoutes, publicAssetRoutes } from './routes.ts';
export * from './schemas.ts';
export { canTransition, predecessorsOf, statusTransitions } from './status.ts';
