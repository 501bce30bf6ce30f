import type { Listener } from '@stateless/topology';
import { type Backends, startHaproxy } from '../haproxy.ts';

export type { LocalCloudInfo } from '../cloud.ts';
export { startRedis } from '../redis.ts';

/** HAProxy in front of the given instances, with every listener that has a backend. */
export async function startLoadBalancer(options: { backends: Backends; logDir?: string }) {
  const listeners: Listener[] = ['public', 'internal'];
  if (options.backends['workflow-worker']) listeners.push('lambda');
  const lb = await startHaproxy({
    listeners,
    backends: options.backends,
    ...(options.logDir ? { logDir: options.logDir } : {}),
  });
  return {
    public: lb.urls.public as string,
    internal: lb.urls.internal as string,
    lambda: lb.urls.lambda,
    stop: lb.stop,
  };
}
