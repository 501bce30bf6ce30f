import { describe, expect, it } from 'vitest';
import { assetPipelineDefinition, validateDefinition } from '../src/index.ts';

const arn = 'arn:aws:lambda:us-east-1:000000000000:function:dev-workflow-worker';

describe('asset pipeline definition', () => {
  it('is valid ASL', () => {
    expect(validateDefinition(assetPipelineDefinition(arn))).toEqual([]);
  });

  it('reports what is wrong with a broken definition', () => {
    const broken = { StartAt: 'A', States: { A: { Type: 'Task', Resource: arn, Next: 'Nowhere' } } };
    expect(validateDefinition(broken).join()).toMatch(/MISSING_TRANSITION_TARGET/);
  });

  it('sends every task to the worker function', () => {
    const json = JSON.stringify(assetPipelineDefinition(arn));
    const functionNames = [...json.matchAll(/"FunctionName":"([^"]+)"/g)].map((m) => m[1]);
    expect(functionNames.length).toBe(4);
    expect(new Set(functionNames)).toEqual(new Set([arn]));
  });
});
