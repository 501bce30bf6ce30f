import awsLambdaFastify from '@fastify/aws-lambda';
import { dataApiEnv, loadEnv } from '@stateless/config';
import { isSweepDeletedEvent, type SweepDeletedEvent, type SweepDeletedResult } from '@stateless/contracts';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import type { FastifyInstance } from 'fastify';
import { buildApps, type DataApiConfig } from './app.ts';
import { defaultSweepLimit } from './routes/internal/maintenance.ts';

/** What a sweep event returns: the batches' results added up; `remaining` is the last batch's. */
export interface SweepDeletedSummary extends SweepDeletedResult {
  batches: number;
}

/**
 * Time kept back after each batch: another batch starts only while more than this is left
 * of the invocation, so one that starts can finish before the function's timeout.
 */
export const sweepTimeReserveMs = 5_000;

const isAlbEvent = (event: unknown): event is ALBEvent =>
  typeof (event as Partial<ALBEvent> | null)?.requestContext?.elb?.targetGroupArn === 'string';

function describeEvent(event: unknown): string {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return JSON.stringify(event);
  return `an object with keys [${Object.keys(event).join(', ')}]`;
}

async function start(config: DataApiConfig) {
  const apps = await buildApps(config);
  // A fresh options object per adapter: the adapter writes its defaults into the one it gets.
  // No request decoration: no route reads the Lambda event.
  const adapt = (app: FastifyInstance) => awsLambdaFastify<ALBEvent>(app, { decorateRequest: false });
  return {
    apps,
    internalTargetGroupArn: config.INTERNAL_TARGET_GROUP_ARN,
    servePublic: adapt(apps.publicApp),
    serveInternal: adapt(apps.internalApp),
  };
}

type Container = Awaited<ReturnType<typeof start>>;

async function sweepDeleted(
  { apps }: Container,
  event: SweepDeletedEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SweepDeletedSummary> {
  const limit = event.limit ?? defaultSweepLimit;
  const summary: SweepDeletedSummary = { swept: 0, failed: 0, remaining: false, batches: 0 };
  // Failed tombstones stay flagged and come first again (oldest first), so another batch now
  // would retry the same failures; the next scheduled run does.
  do {
    const result = await apps.deps.assets.sweepDeleted({ limit });
    summary.batches += 1;
    summary.swept += result.swept;
    summary.failed += result.failed;
    summary.remaining = result.remaining;
  } while (
    summary.remaining &&
    summary.failed === 0 &&
    context.getRemainingTimeInMillis() > sweepTimeReserveMs
  );
  apps.deps.metrics.flush();
  apps.deps.log.info({ event: 'sweep.finished', ...summary }, 'scheduled sweep finished');
  return summary;
}

/**
 * The Lambda handler over `loadConfig`. The apps and their clients are built once per
 * container, on the first event (a failed start is retried on the next one); nothing else
 * outlives an invocation.
 */
export function createDataApiLambda(loadConfig: () => DataApiConfig) {
  let container: Promise<Container> | undefined;
  const started = () => {
    container ??= Promise.resolve()
      .then(() => start(loadConfig()))
      .catch((error: unknown) => {
        container = undefined;
        throw error;
      });
    return container;
  };

  async function handler(event: ALBEvent, context: Context): Promise<ALBResult>;
  async function handler(event: SweepDeletedEvent, context: Context): Promise<SweepDeletedSummary>;
  async function handler(event: unknown, context: Context): Promise<ALBResult | SweepDeletedSummary>;
  async function handler(event: unknown, context: Context): Promise<ALBResult | SweepDeletedSummary> {
    if (isAlbEvent(event)) {
      const running = await started();
      // Fail closed: with no internal target group configured, nothing reaches the internal app.
      const internal =
        running.internalTargetGroupArn !== undefined &&
        event.requestContext.elb.targetGroupArn === running.internalTargetGroupArn;
      return (internal ? running.serveInternal : running.servePublic)(event, context);
    }
    if (isSweepDeletedEvent(event)) return sweepDeleted(await started(), event, context);
    throw new Error(
      `data-api Lambda: unsupported event (${describeEvent(event)}); expected an ALB request or ` +
        `{ "task": "sweep-deleted", "limit"?: 1..100 }`,
    );
  }

  return {
    handler,
    /** Closes the apps and clients if they were started (tests; a Lambda container is just frozen). */
    async close() {
      const running = await container?.catch(() => undefined);
      container = undefined;
      await running?.apps.close();
    },
  };
}

export const { handler } = createDataApiLambda(() => loadEnv(dataApiEnv));
