import type { Redis } from 'ioredis';
import type { Metrics } from './metrics.ts';
import type { RedisGuard } from './redis-guard.ts';

// Atomic: add n requests to the caller's current window; the first add sets the window's expiry.
const addScript = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;

interface RateRedis extends Redis {
  rateAdd(key: string, n: number, windowMs: number): Promise<number>;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  retryAfterSeconds: number;
}

interface WindowState {
  key: string;
  window: number;
  /** The highest count Redis has answered for this window. */
  known: number;
  /** Requests let through here and not yet sent to Redis (flushed on the next tick). */
  pending: number;
  /** Requests sent to Redis and not answered yet. */
  inFlight: number;
  flushScheduled: boolean;
}

/**
 * Per-user fixed-window limit (per minute) counted in Redis, so it holds
 * across every instance.
 *
 * Every request is added to the user's counter in Redis. A request waits for
 * Redis's exact count only when it matters: while this instance's view of the
 * count (last answer + its own unsent and unanswered requests) is below half
 * the limit, the request goes through at once and is added in the next
 * tick's batch (one INCRBY for all requests of that user in the tick); from
 * half the limit on, each decision is an awaited INCRBY on the exact count.
 * So a user far from the limit costs no Redis round trip, and the limit
 * itself is enforced on exact counts. The only slack is other instances'
 * increments not yet flushed — one tick plus one round trip of traffic.
 *
 * Redis unavailable: fail open (counted as rateLimitBypassed): availability
 * of reads matters more than strict limiting.
 */
export class RateLimiter {
  private readonly redis: RateRedis;
  private readonly windows = new Map<string, WindowState>();

  constructor(
    private readonly guard: RedisGuard,
    private readonly metrics: Metrics,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {
    this.redis = guard.redis as RateRedis;
    if (typeof this.redis.rateAdd !== 'function') {
      this.redis.defineCommand('rateAdd', { numberOfKeys: 1, lua: addScript });
    }
  }

  async hit(subject: string, now = Date.now()): Promise<RateDecision> {
    const window = Math.floor(now / this.windowMs);
    const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * this.windowMs - now) / 1000));
    const decide = (count: number): RateDecision => ({
      allowed: count <= this.limit,
      limit: this.limit,
      remaining: Math.max(0, this.limit - count),
      retryAfterSeconds,
    });
    if (!this.guard.allow()) {
      this.metrics.inc('rateLimitBypassed');
      return decide(0);
    }
    const state = this.stateOf(subject, window);
    const estimate = state.known + state.inFlight + state.pending + 1;
    if (estimate * 2 <= this.limit) {
      state.pending++;
      this.scheduleFlush(state);
      return decide(estimate);
    }
    // Near the limit: this request and any unsent ones, counted exactly, now.
    const count = await this.send(state, state.pending + 1);
    state.pending = 0;
    if (count === undefined) {
      this.metrics.inc('rateLimitBypassed');
      return decide(0);
    }
    const decision = decide(count);
    if (!decision.allowed) this.metrics.inc('rateLimited');
    return decision;
  }

  private send(state: WindowState, n: number): Promise<number | undefined> {
    state.inFlight += n;
    return this.redis.rateAdd(state.key, n, this.windowMs).then(
      (count) => {
        state.inFlight -= n;
        state.known = Math.max(state.known, count);
        return count;
      },
      (error: unknown) => {
        state.inFlight -= n;
        this.guard.fail(error);
        return undefined;
      },
    );
  }

  private scheduleFlush(state: WindowState) {
    if (state.flushScheduled) return;
    state.flushScheduled = true;
    setImmediate(() => {
      state.flushScheduled = false;
      const n = state.pending;
      state.pending = 0;
      if (n > 0) void this.send(state, n);
    });
  }

  private stateOf(subject: string, window: number): WindowState {
    let state = this.windows.get(subject);
    if (!state || state.window !== window) {
      if (this.windows.size >= 50_000) {
        for (const [key, value] of this.windows) if (value.window !== window) this.windows.delete(key);
        if (this.windows.size >= 50_000) this.windows.clear();
      }
      state = {
        key: `${this.prefix}v1:rl:${encodeURIComponent(subject)}:${window}`,
        window,
        known: 0,
        pending: 0,
        inFlight: 0,
        flushScheduled: false,
      };
      this.windows.set(subject, state);
    }
    return state;
  }
}
