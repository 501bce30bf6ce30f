export * from './asset-pipeline.ts';
