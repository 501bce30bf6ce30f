import { dataApiEnv, loadEnv } from '@stateless/config';
import { runServers } from '@stateless/http-service';
import { buildInternalApp, buildPublicApp, closeDeps, createDeps } from './app.ts';
import { swaggerUiDocs } from './plugins/external/swagger-ui.ts';

// The only place the data API reads its environment.
const config = loadEnv(dataApiEnv);
const deps = createDeps(config);
const publicApp = await buildPublicApp(deps, { docs: swaggerUiDocs });
const internalApp = await buildInternalApp(deps);

// SIGTERM: stop accepting, finish in-flight requests on both listeners, then close the shared clients.
await runServers(
  [
    { app: publicApp, port: config.PORT },
    { app: internalApp, port: config.INTERNAL_PORT },
  ],
  config.HOST,
  () => closeDeps(deps),
);
