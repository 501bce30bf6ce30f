import { App } from 'cdktn';
import { buildApp } from './src/app.ts';
import { selectedEnvironment } from './src/environments.ts';

// `STAGE=prod pnpm run synth`; the stacks are platform, workflow, upload-service, data-api, web.
const app = new App();
buildApp(app, selectedEnvironment());
app.synth();
