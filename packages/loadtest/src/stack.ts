import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mintServiceToken, mintUserToken } from '@stateless/contracts';
import {
  type Fleet,
  type FleetPolicy,
  freePort,
  type LocalCloud,
  startFleet,
  startLocalCloud,
} from '@stateless/local-cloud';
import type { AppName } from '@stateless/topology';
import type { StoresInfo } from './stores.ts';

export const repoRoot = join(import.meta.dirname, '../../..');
const urlOf = (port: number) => `http://127.0.0.1:${port}`;

/** The same policy for every app. */
export const everyApp = (policy: FleetPolicy): Record<AppName, FleetPolicy> => ({
  'upload-service': policy,
  'data-api': policy,
  'workflow-worker': policy,
});

export interface StackOptions {
  /** Per app: the environments kept warm and the concurrency limit (the scaler works between them). */
  policies: Record<AppName, FleetPolicy>;
  /** Where app and stand-in logs go. */
  logDir: string;
  /** Extra environment for every app (e.g. a test-only rate limit). */
  appEnv?: Record<string, string>;
  /** An environment idle this long is retired (above the minimum). */
  idleMs?: number;
  /** `off`: environments without a CPU cap, for tests that measure nothing. Default: Lambda's sizes. */
  cpu?: 'lambda' | 'off';
}

/**
 * The whole system on this machine for a load run, as `pnpm dev` builds it: the local cloud and
 * local-cloud's fleet (each app's environments of a fixed CPU, one request in flight each, behind
 * HAProxy, added by the scaler when every one is busy and retired when idle), with secrets of its
 * own and environments that can be resized, killed and counted while load runs.
 */
export class LoadStack {
  readonly secret = randomBytes(32).toString('base64url');
  private readonly serviceSecret = randomBytes(32).toString('base64url');
  readonly redisPrefix = `lt-${randomBytes(3).toString('hex')}:`;
  fleet!: Fleet;

  private constructor(
    readonly cloud: LocalCloud,
    private readonly ports: { public: number; internal: number; lambda: number },
  ) {}

  static async start(options: StackOptions): Promise<LoadStack> {
    const ports = { public: await freePort(), internal: await freePort(), lambda: await freePort() };
    const cloud = await startLocalCloud({
      stage: `lt${randomBytes(3).toString('hex')}`,
      logDir: options.logDir,
      lambdaEndpoint: urlOf(ports.lambda),
    });
    const stack = new LoadStack(cloud, ports);
    try {
      stack.fleet = await startFleet({
        apps: options.policies,
        env: {
          ...cloud.info.env,
          AUTH_JWT_SECRET: stack.secret,
          SERVICE_TOKEN_SECRET: stack.serviceSecret,
          CURSOR_SECRET: randomBytes(32).toString('base64url'),
          REDIS_KEY_PREFIX: stack.redisPrefix,
          LOG_LEVEL: 'info',
          DATA_API_INTERNAL_URL: urlOf(ports.internal),
          ...options.appEnv,
        },
        ports,
        logDir: options.logDir,
        configDir: join(options.logDir, 'haproxy'),
        ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
        ...(options.cpu ? { cpu: options.cpu } : {}),
      });
      return stack;
    } catch (error) {
      await cloud.stop();
      throw error;
    }
  }

  get urls() {
    return {
      public: urlOf(this.ports.public),
      internal: urlOf(this.ports.internal),
      lambda: urlOf(this.ports.lambda),
    };
  }

  get stores(): StoresInfo {
    const { info } = this.cloud;
    return {
      region: info.region,
      awsEndpoint: info.awsEndpoint,
      stepFunctionsEndpoint: info.stepFunctionsEndpoint,
      table: info.names.assetsTable,
      bucket: info.names.assetsBucket,
      stateMachineArn: info.stateMachineArn,
      redisUrl: info.redisUrl,
      redisPrefix: this.redisPrefix,
    };
  }

  userToken = (userId: string) => mintUserToken(this.secret, userId, { ttl: '2h' });
  serviceToken = () => mintServiceToken(this.serviceSecret, 'loadtest', { ttl: '2h' });

  app(name: AppName) {
    return this.fleet.app(name);
  }

  /** The environments of `app` in the load balancer now. */
  running(app: AppName) {
    return this.fleet.app(app).environments();
  }

  async stop() {
    await this.fleet?.stop();
    await this.cloud.stop();
  }
}
