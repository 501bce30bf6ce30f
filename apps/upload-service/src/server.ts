import { loadEnv, uploadServiceEnv } from '@stateless/config';
import { runServers } from '@stateless/http-service';
import { buildLocalApp } from './app.ts';

const config = loadEnv(uploadServiceEnv);
await runServers([{ app: await buildLocalApp(config), port: config.PORT }], config.HOST);
