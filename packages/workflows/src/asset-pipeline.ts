import { type PipelineStep, retryableErrors, transientErrors } from './steps.ts';

/**
 * The asset pipeline, authored once: infra deploys it to AWS Step Functions and
 * the local cloud runs it on its Step Functions server. Every Task invokes the
 * workflow worker through Lambda; the step to run is in the payload.
 */

/** Backoff for the transient Lambda errors: 1 s, 2 s, 4 s, then Catch. */
export const transientRetry = {
  ErrorEquals: [...transientErrors],
  IntervalSeconds: 1,
  BackoffRate: 2,
  MaxAttempts: 3,
  JitterStrategy: 'FULL',
} as const;

/** Backoff for a data API that is down: 2, 4, 8, 16, 30, 30 s (about 90 s), then Catch. */
export const dependencyRetry = {
  ErrorEquals: [...retryableErrors],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxAttempts: 6,
  MaxDelaySeconds: 30,
  JitterStrategy: 'FULL',
} as const;

const invoke = (functionArn: string, step: PipelineStep, payload: Record<string, string>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: functionArn, Payload: { step, ...payload } },
  Retry: [transientRetry, dependencyRetry],
});

const objectRef = { 'assetId.$': '$.assetId', 'bucket.$': '$.bucket', 'key.$': '$.key' };

export function assetPipelineDefinition(workerFunctionArn: string) {
  const fail = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkFailed' };
  return {
    Comment: 'Inspect an uploaded object, make thumbnails of images, record the result.',
    StartAt: 'Inspect',
    States: {
      Inspect: {
        ...invoke(workerFunctionArn, 'inspect', objectRef),
        ResultSelector: { 'result.$': '$.Payload' },
        ResultPath: '$.inspection',
        Catch: [fail],
        Next: 'IsImage',
      },
      IsImage: {
        Type: 'Choice',
        Choices: [{ Variable: '$.inspection.result.isImage', BooleanEquals: true, Next: 'Thumbnails' }],
        Default: 'NoThumbnails',
      },
      NoThumbnails: { Type: 'Pass', Result: [], ResultPath: '$.thumbnails', Next: 'Finalize' },
      Thumbnails: {
        Type: 'Map',
        ItemsPath: '$.inspection.result.thumbnailSizes',
        // The version inspect read, so thumbnails are made of the bytes that were hashed.
        ItemSelector: {
          ...objectRef,
          'versionId.$': '$.inspection.result.versionId',
          'size.$': '$$.Map.Item.Value',
        },
        MaxConcurrency: 4,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Thumbnail',
          States: {
            Thumbnail: {
              ...invoke(workerFunctionArn, 'thumbnail', {
                ...objectRef,
                'versionId.$': '$.versionId',
                'size.$': '$.size',
              }),
              // Each item's result is the thumbnail record itself, so $.thumbnails is their list.
              OutputPath: '$.Payload',
              End: true,
            },
          },
        },
        ResultPath: '$.thumbnails',
        Catch: [fail],
        Next: 'Finalize',
      },
      Finalize: {
        ...invoke(workerFunctionArn, 'finalize', {
          'assetId.$': '$.assetId',
          'inspection.$': '$.inspection.result',
          'thumbnails.$': '$.thumbnails',
        }),
        OutputPath: '$.Payload',
        Catch: [fail],
        End: true,
      },
      MarkFailed: {
        ...invoke(workerFunctionArn, 'markFailed', { 'assetId.$': '$.assetId', 'error.$': '$.error' }),
        ResultPath: null,
        Next: 'Failed',
      },
      Failed: { Type: 'Fail', Error: 'AssetProcessingFailed', Cause: 'See the MarkFailed step input' },
    },
  };
}
