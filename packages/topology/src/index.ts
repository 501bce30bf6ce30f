export * from './resources.ts';
export * from './routes.ts';
export * from './upload-events.ts';
export * from './functions.ts';
