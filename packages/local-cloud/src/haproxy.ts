import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ErrorCode, requestIdPattern } from '@stateless/contracts';
import { type AppName, health, type Listener, routes, webConsole } from '@stateless/topology';
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
): string {
  const lines = [
    'global',
    '  maxconn 4096',
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
    for (const route of ordered) {
      const servers = backends[route.app]?.[route.port];
      if (!servers?.length) continue;
      const backend = `${route.app}_${route.port}`;
      backendNames.add(backend);
      const acl = `${backend}_paths`;
      for (const prefix of route.pathPrefixes) {
        lines.push(`  acl ${acl} path ${prefix}`, `  acl ${acl} path_beg ${prefix}/`);
      }
      for (const pattern of route.pathPatterns ?? []) lines.push(`  acl ${acl} path_reg ${pattern}`);
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
    lines.push(`backend ${backend}`, '  balance roundrobin', `  option httpchk GET ${health.live}`);
    backends[app]?.[port]?.forEach((url, i) => {
      lines.push(`  server ${app}-${i} ${new URL(url).host} check`);
    });
  }
  return `${lines.join('\n')}\n`;
}

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
}): Promise<LoadBalancer> {
  const haproxy = ensureSystemTool('haproxy', 'haproxy');
  const frontends: Partial<Record<Listener, number>> = {};
  for (const listener of options.listeners)
    frontends[listener] = options.ports?.[listener] ?? (await freePort());
  const dir = options.configDir ?? mkdtempSync(join(tmpdir(), 'haproxy-'));
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'haproxy.cfg');
  writeFileSync(configFile, haproxyConfig(frontends, options.backends, options.consoleServers));
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
