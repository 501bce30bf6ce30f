import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@stateless/contracts';
import { conventionsPlugin, healthPlugin, serviceOptions } from '@stateless/http-service';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { closeDeps, createDeps, type DataApiConfig, type Deps } from './deps.ts';
import assetsPlugin from './plugins/app/assets.ts';
import authPlugin from './plugins/app/auth.ts';
import rateLimitPlugin from './plugins/app/rate-limit.ts';
import configPlugin from './plugins/external/config.ts';
import dynamodbPlugin from './plugins/external/dynamodb.ts';
import redisPlugin from './plugins/external/redis.ts';
import s3Plugin from './plugins/external/s3.ts';
import { type DocsPlugin, openApiJson } from './plugins/external/swagger.ts';
import internalAssetsRoutes from './routes/internal/assets/index.ts';
import maintenanceRoutes from './routes/internal/maintenance.ts';
import metricsRoutes from './routes/internal/metrics.ts';
import publicAssetsRoutes from './routes/public/assets/index.ts';

export { closeDeps, createDeps, type DataApiConfig, type Deps };

/**
 * The plugins, in order. Listed rather than autoloaded: @fastify/autoload
 * does not recognise `node --import tsx` (how the dev stack starts apps) and
 * cannot be followed by the Lambda bundler; the layout and the named plugin
 * dependencies are the same as with autoload.
 */
const external = [configPlugin, dynamodbPlugin, s3Plugin, redisPlugin];
const domain = [authPlugin, rateLimitPlugin, assetsPlugin];

async function baseApp(deps: Deps, listener: 'public' | 'internal') {
  const { config } = deps;
  const app = Fastify({
    ...serviceOptions({ logLevel: config.LOG_LEVEL }),
    logger: undefined,
    loggerInstance: deps.log.child({ listener }) as FastifyBaseLogger,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(ErrorBody);
  // One EMF line per request with what it counted (CloudWatch sums the lines of every instance).
  app.addHook('onResponse', async () => deps.metrics.flush());
  await app.register(conventionsPlugin);
  for (const plugin of external) await app.register(plugin, { deps });
  for (const plugin of domain) await app.register(plugin, { deps });
  await app.register(healthPlugin, {
    checks: [
      { name: 'dynamodb', critical: true, check: () => deps.assets.store.ping() },
      // The cache is optional: the API answers from DynamoDB while Redis is down.
      { name: 'redis', critical: false, check: () => deps.redis.ping() },
    ],
  });
  return app;
}

export interface PublicAppOptions {
  /** What serves /docs/assets: the OpenAPI document unless the entry passes more (server.ts: Swagger UI). */
  docs?: DocsPlugin;
}

/** The public listener: /assets/* and /docs/assets. It has no /internal routes (they 404 here). */
export async function buildPublicApp(deps: Deps, options: PublicAppOptions = {}): Promise<FastifyInstance> {
  const app = await baseApp(deps, 'public');
  // RFC 7396 bodies are JSON too.
  const base = app as unknown as FastifyInstance;
  base.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string' },
    base.getDefaultJsonParser('error', 'error'),
  );
  await app.register(options.docs ?? openApiJson);
  await app.register(publicAssetsRoutes);
  return app as unknown as FastifyInstance;
}

/** The internal listener: /internal/*, service tokens only. */
export async function buildInternalApp(deps: Deps): Promise<FastifyInstance> {
  const app = await baseApp(deps, 'internal');
  await app.register(async (internal) => {
    internal.addHook('onRequest', internal.authenticate('service'));
    await internal.register(internalAssetsRoutes);
    await internal.register(metricsRoutes);
    await internal.register(maintenanceRoutes);
  });
  return app as unknown as FastifyInstance;
}

/** Both listeners over one set of clients (what server.ts runs and tests start). */
export async function buildApps(config: DataApiConfig, options: PublicAppOptions = {}) {
  const deps = createDeps(config);
  const [publicApp, internalApp] = [await buildPublicApp(deps, options), await buildInternalApp(deps)];
  return {
    deps,
    publicApp,
    internalApp,
    async close() {
      await Promise.allSettled([publicApp.close(), internalApp.close()]);
      await closeDeps(deps);
    },
  };
}
