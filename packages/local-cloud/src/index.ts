export { bootstrap, createTableInput, lambdaArn } from './bootstrap.ts';
export { type LocalCloud, type LocalCloudInfo, type LocalCloudOptions, startLocalCloud } from './cloud.ts';
export { LocalCloudError, MissingToolError, ProcessError } from './errors.ts';
export { type Backends, haproxyConfig, type LoadBalancer, startHaproxy } from './haproxy.ts';
export { startMoto } from './moto.ts';
export { freePort } from './ports.ts';
export { startRedis } from './redis.ts';
export {
  type DevSecrets,
  type DevStack,
  devSecrets,
  type StackFile,
  startDevStack,
  startWebConsole,
  type WebConsole,
} from './stack.ts';
export { ensureCheckov } from './tools.ts';
