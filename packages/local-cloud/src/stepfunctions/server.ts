import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleRequest } from './http-protocol.ts';
import { LambdaInvoker } from './lambda-invoker.ts';
import { StepFunctionsService } from './service.ts';

export interface StepFunctionsServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where Lambda tasks are invoked; defaults to AWS_ENDPOINT_URL_LAMBDA. */
  lambdaEndpoint?: string;
  region?: string;
  accountId?: string;
  /** Multiplies Retry intervals (e.g. 0.01 in tests); 1 is AWS timing. */
  retryIntervalScale?: number;
  /** Multiplies Wait states' `Seconds`; 1 is AWS timing. */
  waitTimeScale?: number;
}

export interface StepFunctionsServer {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Same as close(); the shape the local-cloud lifecycle stops its parts with. */
  stop(): Promise<void>;
}

export async function startStepFunctionsServer(
  options: StepFunctionsServerOptions = {},
): Promise<StepFunctionsServer> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const invoker = new LambdaInvoker(options.lambdaEndpoint ?? process.env.AWS_ENDPOINT_URL_LAMBDA, region);
  const service = new StepFunctionsService({
    scope: { partition: 'aws', region, accountId: options.accountId ?? '000000000000' },
    region,
    invoker,
    scales: {
      retryIntervalScale: positiveScale(options.retryIntervalScale, 'retryIntervalScale'),
      waitTimeScale: positiveScale(options.waitTimeScale, 'waitTimeScale'),
    },
  });

  const server = createServer((request, response) => {
    void handleRequest(service, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await service.shutdown();
      invoker.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; they would hold close() open.
        server.closeAllConnections();
      });
    })();
    return closing;
  };
  return { url: `http://${urlHost}:${port}`, port, close, stop: close };
}

function positiveScale(value: number | undefined, name: string): number {
  if (value === undefined) return 1;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}
