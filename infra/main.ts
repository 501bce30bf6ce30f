import { relative } from 'node:path';
import { App } from 'cdktn';
import { buildApp } from './src/app.ts';
import { selectedEnvironment } from './src/environments.ts';

// `STAGE=prod pnpm run synth`; the stacks are platform, workflow, upload-service, data-api, web.
const app = new App();
const environment = selectedEnvironment();
const stacks = buildApp(app, environment);
app.synth();
// Where it wrote, as the reader can type it: relative to here unless that climbs out of here.
const inHere = relative(process.cwd(), app.outdir);
const outdir = inHere && !inHere.startsWith('..') ? inHere : app.outdir;
console.log(
  `Synthesized the ${environment.stage} stacks ${Object.values(stacks)
    .map((stack) => stack.node.id)
    .join(', ')} into ${outdir}/stacks/<stack>/cdk.tf.json (manifest: ${outdir}/manifest.json)`,
);
