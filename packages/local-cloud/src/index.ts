export { bootstrap, createTableInput, lambdaArn } from './bootstrap.ts';
export { type LocalCloud, type LocalCloudInfo, type LocalCloudOptions, startLocalCloud } from './cloud.ts';
export { type CpuController, type CpuUnit, cpuController } from './cpu-units.ts';
export {
  cpuScale,
  type Environment,
  type EnvironmentSpec,
  environmentCpu,
  mbPerVcpu,
  startEnvironment,
} from './environments.ts';
export { LocalCloudError, MissingToolError, ProcessError } from './errors.ts';
export {
  type AppFleet,
  type Fleet,
  type FleetEvent,
  type FleetMetrics,
  type FleetOptions,
  type FleetPolicy,
  type FleetSample,
  startFleet,
} from './fleet.ts';
export { type Backends, haproxyConfig, type LoadBalancer, startHaproxy } from './haproxy.ts';
export { HaproxyRuntime, type StatRow } from './haproxy-runtime.ts';
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
