import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { assetPipelineDefinition } from '../src/index.ts';

const arn = 'arn:aws:lambda:us-east-1:000000000000:function:dev-workflow-worker';

describe('asset pipeline definition', () => {
  it('is valid ASL', () => {
    const { isValid, errorsText } = aslValidator(assetPipelineDefinition(arn));
    expect(isValid, errorsText()).toBe(true);
  });

  it('sends every task to the worker function', () => {
    const json = JSON.stringify(assetPipelineDefinition(arn));
    const functionNames = [...json.matchAll(/"FunctionName":"([^"]+)"/g)].map((m) => m[1]);
    expect(functionNames.length).toBe(4);
    expect(new Set(functionNames)).toEqual(new Set([arn]));
  });
});
