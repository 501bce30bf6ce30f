import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Metrics } from './metrics.ts';

/**
 * Keeps a Redis outage cheap: while Redis is not connected, or for a short
 * cool-down after a failed or timed-out command, callers skip it and go
 * straight to DynamoDB, so a dead cache costs no request a timeout each.
 * Logs one warning per outage (not one per request) and recovers by itself.
 */
export class RedisGuard {
  private openUntil = 0;
  private down = false;
  private readonly onRecover: (() => void)[] = [];

  constructor(
    readonly redis: Redis,
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
    private readonly coolDownMs = 1_000,
  ) {
    redis.on('ready', () => {
      this.openUntil = 0;
      if (this.down) {
        this.down = false;
        this.log.info({ event: 'redis.recovered' }, 'redis is back; cache and rate limits resume');
      }
      for (const callback of this.onRecover) callback();
    });
    redis.on('close', () => this.markDown(new Error('connection closed')));
    // ioredis emits 'error' on every failed reconnect; without a listener it would print each one.
    redis.on('error', (error) => this.fail(error));
  }

  /** May a request use Redis now? */
  allow(): boolean {
    return this.redis.status === 'ready' && Date.now() >= this.openUntil;
  }

  /** A command failed or timed out: skip Redis for a short cool-down. */
  fail(error: unknown) {
    this.openUntil = Date.now() + this.coolDownMs;
    this.markDown(error);
  }

  private markDown(error: unknown) {
    if (!this.down) {
      this.down = true;
      this.metrics.inc('redisDown');
      this.log.warn(
        { event: 'redis.down', err: { message: (error as Error).message } },
        'redis unavailable; serving from DynamoDB without cache or rate limits',
      );
    }
  }

  /** Runs after every (re)connection. */
  whenReady(callback: () => void) {
    this.onRecover.push(callback);
  }
}
