export * from './catalogue.ts';
export { AppMetrics } from './metrics.ts';
