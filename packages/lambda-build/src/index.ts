export { buildLambda, type LambdaBuild, type LambdaBuildOptions } from './build.ts';
export * from './deployment.ts';
export { runtimeClosure, type TargetPlatform } from './ship.ts';
