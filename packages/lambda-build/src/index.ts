export * from './architecture.ts';
export { buildLambda, handlerName, type LambdaBuild, type LambdaBuildOptions } from './build.ts';
export { runtimeClosure, type TargetPlatform } from './ship.ts';
