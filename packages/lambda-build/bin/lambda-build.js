#!/usr/bin/env node
// The apps' `build` script. Plain JavaScript so the bin runs without a loader; tsx loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
