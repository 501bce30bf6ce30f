#!/usr/bin/env -S node --import tsx
/**
 * Runs the local Step Functions server as its own process. Prints the URL (and nothing
 * else) on stdout once it accepts requests; stops cleanly on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { startStepFunctionsServer } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string' },
    'lambda-endpoint': { type: 'string' },
    region: { type: 'string' },
    'account-id': { type: 'string' },
    'retry-interval-scale': { type: 'string' },
    'wait-time-scale': { type: 'string' },
  },
});

const numberOption = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number, got '${value}'`);
  return parsed;
};

const server = await startStepFunctionsServer({
  port: numberOption(values.port, 'port'),
  host: values.host,
  lambdaEndpoint: values['lambda-endpoint'],
  region: values.region,
  accountId: values['account-id'],
  retryIntervalScale: numberOption(values['retry-interval-scale'], 'retry-interval-scale'),
  waitTimeScale: numberOption(values['wait-time-scale'], 'wait-time-scale'),
});
process.stdout.write(`${server.url}\n`);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`[stepfunctions] failed to stop on ${signal}`, error);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
