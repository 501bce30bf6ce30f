/**
 * The one route table: HAProxy locally and the ALB listener rules in infra are
 * both generated from it. A listener is an entry point; an app serves one or
 * more listeners, each on its own port.
 */
export type Listener = 'public' | 'internal' | 'lambda';
export type AppName = 'upload-service' | 'data-api' | 'workflow-worker';

export interface Route {
  listener: Listener;
  /** Requests whose path equals a prefix or starts with `prefix/` go to the app. */
  pathPrefixes: readonly string[];
  /** Regular expressions a path may match instead (HAProxy `path_reg`), where a prefix cannot say it. */
  pathPatterns?: readonly string[];
  app: AppName;
  /** Which of the app's ports serves this listener. */
  port: 'public' | 'internal';
  /** ALB rule priority; lower wins. Unique per listener. */
  priority: number;
}

/**
 * Lambda Invoke (`POST /2015-03-31/functions/{FunctionName}/invocations`) of an app's function,
 * `<stage>-<app>`, named plainly or by its URL-encoded ARN, with or without a qualifier.
 */
export function invokePathPattern(app: AppName): string {
  const colon = '(:|%3A)';
  return `^/2015-03-31/functions/([^/]*${colon})?[a-z][a-z0-9-]*-${app}(${colon}[^/]*)?/invocations$`;
}

export const routes: readonly Route[] = [
  {
    listener: 'public',
    pathPrefixes: ['/uploads', '/docs/uploads'],
    app: 'upload-service',
    port: 'public',
    priority: 10,
  },
  {
    listener: 'public',
    pathPrefixes: ['/assets', '/docs/assets'],
    app: 'data-api',
    port: 'public',
    priority: 20,
  },
  { listener: 'internal', pathPrefixes: ['/internal'], app: 'data-api', port: 'internal', priority: 10 },
  // Locally the Lambda Invoke API is served by each function's app; in AWS it is Lambda itself.
  {
    listener: 'lambda',
    pathPrefixes: [],
    pathPatterns: [invokePathPattern('workflow-worker')],
    app: 'workflow-worker',
    port: 'public',
    priority: 10,
  },
  {
    listener: 'lambda',
    pathPrefixes: [],
    pathPatterns: [invokePathPattern('upload-service')],
    app: 'upload-service',
    port: 'public',
    priority: 20,
  },
];

/**
 * The web console (static files): every path on its listener that no route claims. Locally a
 * static server behind HAProxy's default backend; in AWS CloudFront's default behaviour, the
 * bucket, with the listener's routes as behaviours to the ALB. `/config.json` always exists.
 */
export const webConsole = { listener: 'public', healthPath: '/config.json' } as const satisfies {
  listener: Listener;
  healthPath: string;
};

/** Every app answers these on every port; load balancers health-check them. */
export const health = { live: '/healthz', ready: '/readyz' } as const;

export const apps: readonly AppName[] = ['upload-service', 'data-api', 'workflow-worker'];

/** Does `path` fall under `prefix` as the route table means it (segment boundary, not substring)? */
export const matchesPrefix = (path: string, prefix: string) =>
  path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`);
