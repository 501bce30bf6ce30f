import Type from 'typebox';
import { port, url } from '../fields.ts';

/** The local stack's own settings (`pnpm dev`). */
export const localStackEnv = Type.Object({
  /** Use an existing Redis instead of starting redis-server. */
  REDIS_URL: Type.Optional(url()),
  /** The public entry (web console, /uploads, /assets); a free port when this one is taken, 0 for any. */
  STACK_PUBLIC_PORT: port(8480),
  /** Environments each app keeps warm (provisioned concurrency): no cold start up to this many requests at once. */
  STACK_INSTANCES: Type.Integer({ minimum: 1, maximum: 8, default: 2 }),
  /** Each app's concurrency limit: environments at most; beyond it the load balancer answers 429. */
  STACK_MAX_ENVIRONMENTS: Type.Integer({ minimum: 1, maximum: 16, default: 8 }),
  /** An environment that served nothing this long is retired, down to STACK_INSTANCES. */
  STACK_IDLE_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  STACK_STAGE: Type.String({ pattern: '^[a-z][a-z0-9-]{0,19}$', default: 'dev' }),
  /** How often the local stand-in for infra's schedule sweeps the S3 leftovers of deleted assets. */
  STACK_SWEEP_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
  /** Where stack.json, logs, secrets and the venv live; defaults to `<repo>/.local`. */
  STACK_DIR: Type.Optional(Type.String({ minLength: 1 })),
});
