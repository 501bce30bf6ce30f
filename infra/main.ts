import { App } from 'cdktf';
import { buildApp } from './src/app.ts';
import { selectedEnvironment } from './src/environments.ts';

// `STAGE=prod cdktf synth`; the stacks are platform, workflow, upload-service, data-api.
const app = new App();
buildApp(app, selectedEnvironment());
app.synth();
