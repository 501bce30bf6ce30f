export * from './asset-pipeline.ts';
export { validateDefinition } from './validate.ts';
