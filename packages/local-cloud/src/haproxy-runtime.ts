import { connect } from 'node:net';

/** One row of HAProxy's `show stat`: a frontend, a backend or one of its servers. */
export interface StatRow {
  pxname: string;
  svname: string;
  /** Requests queued (backends and servers). */
  qcur: number;
  /** Requests in flight; a backend's count includes its queued ones. */
  scur: number;
  /** Requests (sessions) handled since start. */
  stot: number;
  /** The most queued at any one time since start. */
  qmax: number;
  /** A server's limit of requests in flight (`maxconn`). */
  slim: number;
}

/**
 * HAProxy's runtime API over its stats socket: one connection per command line (non-interactive
 * mode), the answer is everything it writes before closing.
 */
export class HaproxyRuntime {
  constructor(readonly socket: string) {}

  send(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const conn = connect(this.socket);
      conn.once('connect', () => conn.end(`${command}\n`));
      conn.on('data', (chunk) => chunks.push(chunk));
      conn.once('error', reject);
      conn.once('close', () => resolve(Buffer.concat(chunks).toString()));
    });
  }

  async stat(): Promise<StatRow[]> {
    const [header, ...rows] = (await this.send('show stat')).trim().split('\n');
    const names = (header ?? '').replace(/^# /, '').split(',');
    const column = (name: string) => names.indexOf(name);
    const numbers = ['qcur', 'scur', 'stot', 'qmax', 'slim'] as const;
    return rows.map((line) => {
      const cells = line.split(',');
      const cell = (name: string) => cells[column(name)] ?? '';
      const row: StatRow = {
        pxname: cell('pxname'),
        svname: cell('svname'),
        qcur: 0,
        scur: 0,
        stot: 0,
        qmax: 0,
        slim: 0,
      };
      for (const name of numbers) row[name] = Number(cell(name) || 0);
      return row;
    });
  }

  /** Points a slot at a port and puts it in service. */
  async enable(backend: string, server: string, port: number) {
    await this.checked(`set server ${backend}/${server} addr 127.0.0.1 port ${port}`);
    await this.checked(`set server ${backend}/${server} state ready`);
    // A slot marked down by the passive check (its last environment was killed) serves again.
    await this.checked(`set server ${backend}/${server} health up`);
  }

  /** Takes a slot out of service: no new request goes to it; those in flight finish. */
  disable(backend: string, server: string) {
    return this.checked(`set server ${backend}/${server} state maint`);
  }

  /** Sets a process-wide variable (`proc.…`) the config reads, e.g. a concurrency limit. */
  setVariable(name: string, value: number) {
    // `set var` is behind HAProxy 2.6's experimental mode; the mode lasts for this connection.
    return this.checked(`experimental-mode on; set var ${name} int(${Math.trunc(value)})`);
  }

  private async checked(command: string) {
    const answer = (await this.send(command)).trim();
    // Success is silent or a note ("no need to change the addr"); errors name the problem.
    if (/No such|not found|Require|unknown|invalid|restricted|error/i.test(answer)) {
      throw new Error(`haproxy: ${command}: ${answer}`);
    }
  }
}
