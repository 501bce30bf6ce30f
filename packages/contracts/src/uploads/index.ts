export { uploadRoutes, uploadsBasePath, uploadsDocsPrefix } from './routes.ts';
export * from './schemas.ts';
