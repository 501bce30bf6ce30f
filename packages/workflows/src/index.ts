export * from './asset-pipeline.ts';
export * from './steps.ts';
export { validateDefinition } from './validate.ts';
