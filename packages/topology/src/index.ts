export * from './resources.ts';
export * from './routes.ts';
