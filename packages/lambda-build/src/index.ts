export { appExternals } from './args.ts';
export {
  type BundleOptions,
  buildLambda,
  bundleOptions,
  type LambdaBuild,
  type LambdaBuildOptions,
} from './build.ts';
export * from './deployment.ts';
export { runtimeClosure, type TargetPlatform } from './ship.ts';
