export { uploadRoutes, uploadsBasePath } from './routes.ts';
export * from './schemas.ts';
