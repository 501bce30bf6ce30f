import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ErrorCode, requestIdPattern } from '@stateless/contracts';
import { type AppName, health, type Listener, type Route, routes, webConsole } from '@stateless/topology';
import { freePort } from './ports.ts';
import { startProcess, tcpOpen, waitUntilReady } from './processes.ts';
import { ensureSystemTool } from './tools.ts';

/** Instance base URLs (`http://127.0.0.1:PORT`) per app and per app port. */
export type Backends = Partial<Record<AppName, { public?: string[]; internal?: string[] }>>;

/** The access log, one line per request, in `logDir` (an ALB writes access logs to S3). */
export const accessLogFile = 'lb-access.log';

/**
 * An answer the load balancer gives itself, in the services' error shape with the request's id
 * (a log-format string: HAProxy fills in the id per request).
 */
function ownAnswer(status: number, code: ErrorCode, message: string) {
  const body = JSON.stringify({ error: { code, message, requestId: '__ID__' } }).replace(
    '__ID__',
    '%[var(txn.request_id)]',
  );
  return `status ${status} content-type application/json lf-string '${body}' hdr x-request-id "%[var(txn.request_id)]"`;
}

/**
 * The request's path and query for the access log, with the value of every query parameter whose
 * name holds token, signature, credential, secret or password (`access_token`, `X-Amz-Signature`,
 * `X-Amz-Credential`, `X-Amz-Security-Token`, any case) replaced by REDACTED: a credential sent in
 * a URL, refused or not, must not be written to a log file.
 */
const redactedUri = String.raw`%[capture.req.uri,regsub('([?&][^=&#]*(token|signature|credential|secret|password)[^=&#]*=)[^&#]*','\\1REDACTED','gi')]`;

/**
 * HAProxy's config, generated from the same route table as the ALB rules.
 * Health checks take a dead instance out within about a second; `redispatch`
 * and `retry-on` resend a request that failed to connect or got no answer to
 * another instance, so killing one costs the client nothing. Retrying a
 * request is safe because every write in this system is conditional or idempotent.
 */
export function haproxyConfig(
  frontends: Partial<Record<Listener, number>>,
  backends: Backends,
  /** The web console's static servers: the default backend of its listener. */
  consoleServers: readonly string[] = [],
  /** Apps served by execution environments the fleet puts in and takes out at run time. */
  fleet?: FleetSlots,
): string {
  const lines = [
    'global',
    '  maxconn 4096',
    ...(fleet ? fleetGlobals(fleet) : []),
    '  log stdout format raw local0',
    'defaults',
    '  mode http',
    '  log global',
    // Like an ALB entry: time, client, listener, target, status, bytes, timings, request id, request.
    '  unique-id-format %{+X}o%Ts%rt%pid%fp%cp',
    `  log-format "%t %ci:%cp %f %b %s %ST %B %Tq/%Tw/%Tc/%Tr/%Ta %ID \\"%HM ${redactedUri} %HV\\""`,
    `  http-error ${ownAnswer(502, 'BadGateway', 'The instance gave no valid answer')}`,
    `  http-error ${ownAnswer(503, 'ServiceUnavailable', 'No instance is up to take this request')}`,
    `  http-error ${ownAnswer(504, 'GatewayTimeout', 'The instance did not answer in time')}`,
    '  timeout connect 1s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-request 10s',
    '  option redispatch 1',
    '  retries 3',
    // Resent to another instance, whatever the method: a request that never reached one
    // (conn-failure, 0rtt-rejected); a 503, which the apps answer only while closing, before
    // routing (Fastify's return503OnClosing); and a connection closed without a byte of answer
    // (empty-response: the instance died, maybe after its write, which is why every write is
    // idempotent on id or conditional). Never an answer (a 500 is tried once, as behind an ALB),
    // a partial one (junk-response) or a slow one (response-timeout): a live instance has it.
    '  retry-on conn-failure empty-response 0rtt-rejected 503',
    '  option http-buffer-request',
    '  default-server inter 500ms fall 2 rise 1',
  ];
  const backendNames = new Set<string>();
  for (const [listener, port] of Object.entries(frontends)) {
    lines.push(
      `frontend ${listener}`,
      `  bind 127.0.0.1:${port}`,
      // As the ALB does, every request gets a trace id (the services' request id when the caller
      // sent no usable x-request-id), so the load balancer's own answers can be found in the logs.
      '  http-request set-header x-amzn-trace-id "Root=1-%[date,ltime(%s)]-%[unique-id]"',
      '  http-request set-var(txn.request_id) req.hdr(x-amzn-trace-id)',
      `  http-request set-var(txn.request_id) req.hdr(x-request-id) if { req.hdr(x-request-id) -m reg ${requestIdPattern} }`,
    );
    const ordered = routes.filter((r) => r.listener === listener).sort((a, b) => a.priority - b.priority);
    if (fleet) lines.push(...fleetConcurrency(fleet, ordered));
    for (const route of ordered) {
      const servers = backends[route.app]?.[route.port];
      if (!servers?.length && !fleet?.slots[route.app]) continue;
      const backend = `${route.app}_${route.port}`;
      backendNames.add(backend);
      const acl = `${backend}_paths`;
      for (const prefix of route.pathPrefixes) {
        lines.push(`  acl ${acl} path ${prefix}`, `  acl ${acl} path_beg ${prefix}/`);
      }
      for (const pattern of route.pathPatterns ?? []) lines.push(`  acl ${acl} path_reg ${pattern}`);
      if (fleet?.slots[route.app]) lines.push(fleetThrottle(route.app, acl));
      lines.push(`  use_backend ${backend} if ${acl}`);
    }
    const servesConsole = consoleServers.length > 0 && listener === webConsole.listener;
    lines.push(`  default_backend ${servesConsole ? 'web_console' : 'not_found'}`);
  }
  const notFound = ownAnswer(404, 'NotFound', 'No route for this path');
  lines.push('backend not_found', `  http-request return ${notFound}`);
  if (consoleServers.length > 0) {
    lines.push(
      'backend web_console',
      '  balance roundrobin',
      `  option httpchk GET ${webConsole.healthPath}`,
      // A path that is no file of the console gets the same 404 as a path no rule routes.
      `  http-response return ${notFound} if { status 404 }`,
    );
    consoleServers.forEach((url, i) => {
      lines.push(`  server web-${i} ${new URL(url).host} check`);
    });
  }
  for (const backend of backendNames) {
    const [app, port] = backend.split('_') as [AppName, 'public' | 'internal'];
    const slots = fleet?.slots[app];
    if (slots) {
      lines.push(...fleetBackend(backend, slots));
      continue;
    }
    lines.push(`backend ${backend}`, '  balance roundrobin', `  option httpchk GET ${health.live}`);
    backends[app]?.[port]?.forEach((url, i) => {
      lines.push(`  server ${app}-${i} ${new URL(url).host} check`);
    });
  }
  if (fleet) lines.push(...fleetThrottleBackends(fleet));
  return `${lines.join('\n')}\n`;
}

/** Where the fleet's environments go: slots per app, switched on and off through the runtime API. */
export interface FleetSlots {
  slots: Partial<Record<AppName, number>>;
  /** The runtime API's UNIX socket (`show stat`, `set server`, `set var`). */
  socket: string;
  /** Requests in flight or queued per app at which the load balancer throttles (Lambda's concurrency limit). */
  limits: Partial<Record<AppName, number>>;
}

/** The name of a slot (`server-template env- 1-N`): the same in each of the app's backends. */
export const slotName = (index: number) => `env-${index}`;
/** The process variable holding an app's concurrency limit (changed at run time with `set var`). */
export const limitVariable = (app: AppName) => `proc.limit_${app.replaceAll('-', '_')}`;
/** The backend that answers an app's throttled requests; its request count is the throttle count. */
export const throttleBackend = (app: AppName) => `throttle_${app}`;
const inFlightVariable = (app: AppName) => `txn.inflight_${app.replaceAll('-', '_')}`;

function fleetGlobals(fleet: FleetSlots) {
  return [
    `  stats socket ${fleet.socket} mode 600 level admin`,
    ...Object.entries(fleet.limits).map(
      ([app, limit]) => `  set-var ${limitVariable(app as AppName)} int(${limit})`,
    ),
  ];
}

/**
 * An app's requests in flight across all its backends (the data API has two: one environment
 * serves both listeners), queued ones included, counted before this request joins one.
 */
function fleetConcurrency(fleet: FleetSlots, routesHere: readonly Route[]) {
  const lines: string[] = [];
  for (const app of new Set(routesHere.map((r) => r.app))) {
    if (!fleet.slots[app]) continue;
    const ports = [...new Set(routes.filter((r) => r.app === app).map((r) => r.port))];
    lines.push(`  http-request set-var(${inFlightVariable(app)}) int(0)`);
    for (const port of ports) {
      const backend = `${app}_${port}`;
      // Busy environments (usable ones minus those with a free connection) plus queued requests.
      // Not `be_conn`: it still counts a request the environment has answered until HAProxy has
      // finished with its stream, so a caller's next request would find its last one counted.
      const sum = inFlightVariable(app);
      lines.push(
        `  http-request set-var(txn.part) be_conn_free(${backend})`,
        `  http-request set-var(${sum}) nbsrv(${backend}),sub(txn.part),add(${sum})`,
        `  http-request set-var(txn.part) queue(${backend})`,
        `  http-request set-var(${sum}) var(${sum}),add(txn.part)`,
      );
    }
  }
  return lines;
}

/** Lambda's throttle: at the concurrency limit a request is refused at once. */
const fleetThrottle = (app: AppName, acl: string) =>
  `  use_backend ${throttleBackend(app)} if ${acl} { var(${inFlightVariable(app)}),sub(${limitVariable(app)}) ge 0 }`;

/**
 * One execution environment serves one request at a time (`maxconn 1`, as Lambda's does);
 * the rest wait in the backend's queue, as the ALB's requests wait for Lambda to start another.
 * Slots start in maintenance: the fleet gives one an address and sets it ready, and takes it out
 * when its process exits. No active health checks: Lambda takes an environment out only when it is
 * gone, never because it is slow, and a check queued behind a busy 0.1-core environment would time
 * out and leave the backend without a server. A passive one instead (`observe layer4`, which HAProxy
 * allows only with `check`, hence a check interval no run reaches): the first refused connection
 * marks a killed environment down at once, so the retry goes to a live one. Before the fleet's
 * `maint` landed, `balance first` sent every retry back to the dead first slot (503s after a kill).
 */
const fleetBackend = (backend: string, slots: number) => [
  `backend ${backend}`,
  // The first free environment in slot order, as Lambda reuses the warm environments it has: under
  // light load the extra ones get nothing and are retired (spread evenly, none would ever be idle).
  '  balance first',
  '  timeout queue 30s',
  `  server-template env- 1-${slots} 127.0.0.1:1 disabled maxconn 1 check inter 24h observe layer4 error-limit 1 on-error mark-down`,
];

// The Lambda API's throttle error type too: the SDK then names it TooManyRequestsException,
// which Step Functions retries (Lambda.TooManyRequestsException) as it does in AWS.
const fleetThrottleBackends = (fleet: FleetSlots) =>
  Object.keys(fleet.slots).flatMap((app) => [
    `backend ${throttleBackend(app as AppName)}`,
    `  http-request return ${ownAnswer(429, 'TooManyRequests', 'Rate exceeded: the function is at its concurrency limit')} hdr retry-after 1 hdr x-amzn-errortype TooManyRequestsException`,
  ]);

export interface LoadBalancer {
  urls: Partial<Record<Listener, string>>;
  stop(): Promise<void>;
}

export async function startHaproxy(options: {
  listeners: Listener[];
  backends: Backends;
  consoleServers?: readonly string[];
  ports?: Partial<Record<Listener, number>>;
  configDir?: string;
  logDir?: string;
  fleet?: FleetSlots;
}): Promise<LoadBalancer> {
  const haproxy = ensureSystemTool('haproxy', 'haproxy');
  const frontends: Partial<Record<Listener, number>> = {};
  for (const listener of options.listeners)
    frontends[listener] = options.ports?.[listener] ?? (await freePort());
  const dir = options.configDir ?? mkdtempSync(join(tmpdir(), 'haproxy-'));
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'haproxy.cfg');
  writeFileSync(
    configFile,
    haproxyConfig(frontends, options.backends, options.consoleServers, options.fleet),
  );
  const process = startProcess({
    name: 'haproxy',
    command: haproxy,
    args: ['-db', '-f', configFile],
    logDir: options.logDir,
    stdoutLog: accessLogFile,
  });
  for (const port of Object.values(frontends)) await waitUntilReady(process, () => tcpOpen(port));
  const urls = Object.fromEntries(
    Object.entries(frontends).map(([l, port]) => [l, `http://127.0.0.1:${port}`]),
  );
  return { urls, stop: () => process.stop() };
}
