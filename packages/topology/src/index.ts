export * from './functions.ts';
export * from './resources.ts';
export * from './routes.ts';
export * from './upload-events.ts';
