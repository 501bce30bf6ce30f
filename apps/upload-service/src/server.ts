import { loadEnv, uploadServiceEnv } from '@stateless/config';
import { runServers } from '@stateless/http-service';
import { buildApp } from './app.ts';

const config = loadEnv(uploadServiceEnv);
await runServers([{ app: await buildApp(config), port: config.PORT }], config.HOST);
