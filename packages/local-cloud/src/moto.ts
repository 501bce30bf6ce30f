import { freePort } from './ports.ts';
import { httpOk, type ManagedProcess, startProcess, waitUntilReady } from './processes.ts';
import { ensureMotoServer } from './tools.ts';

/** moto server: S3, DynamoDB (with atomic conditional writes) and the ElastiCache control plane on one port. */
export async function startMoto(options: { port?: number; logDir?: string } = {}) {
  const motoServer = ensureMotoServer();
  const port = options.port ?? (await freePort());
  const process: ManagedProcess = startProcess({
    name: 'moto',
    command: motoServer.command,
    args: [...motoServer.args, '-H', '127.0.0.1', '-p', String(port)],
    logDir: options.logDir,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(process, () => httpOk(`${url}/moto-api/`));
  return { url, port, process, stop: () => process.stop() };
}
