import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktn';
import type { TestProject } from 'vitest/node';
import { buildApp } from '../src/app.ts';
import { type EnvironmentName, environments } from '../src/environments.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Per environment: the outdir of a whole-app synth (cross-stack references wired). */
    synthDirs: Record<EnvironmentName, string>;
  }
}

export default function setup(project: TestProject) {
  const root = mkdtempSync(join(tmpdir(), 'infra-synth-'));
  const synthDirs = {} as Record<EnvironmentName, string>;
  for (const name of Object.keys(environments) as EnvironmentName[]) {
    const started = performance.now();
    const outdir = join(root, name);
    const app = new App({ outdir });
    buildApp(app, environments[name]);
    app.synth();
    synthDirs[name] = outdir;
    console.log(`synthesized ${name} in ${Math.round(performance.now() - started)} ms`);
  }
  project.provide('synthDirs', synthDirs);
  return () => rmSync(root, { recursive: true, force: true });
}
