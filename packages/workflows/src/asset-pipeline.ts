/**
 * The asset pipeline, authored once: infra deploys it to AWS Step Functions and
 * the local cloud runs it on its Step Functions server. Every Task invokes the
 * workflow worker through Lambda; the step to run is in the payload.
 */
export const pipelineSteps = ['inspect', 'thumbnail', 'finalize', 'markFailed'] as const;
export type PipelineStep = (typeof pipelineSteps)[number];

/** Errors the worker raises on purpose; anything else is retried as transient. */
export const permanentErrors = ['UnsupportedMedia', 'ObjectMissing', 'ValidationError'] as const;

const invoke = (functionArn: string, step: PipelineStep, payload: Record<string, string>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: functionArn, Payload: { step, ...payload } },
  ResultSelector: { 'result.$': '$.Payload' },
  Retry: [
    { ErrorEquals: [...permanentErrors], MaxAttempts: 0 },
    {
      ErrorEquals: ['States.TaskFailed', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException'],
      IntervalSeconds: 1,
      BackoffRate: 2,
      MaxAttempts: 3,
    },
  ],
});

export interface AssetPipelineInput {
  assetId: string;
  bucket: string;
  key: string;
}

export function assetPipelineDefinition(workerFunctionArn: string) {
  const fail = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkFailed' };
  return {
    Comment: 'Inspect an uploaded object, make thumbnails of images, record the result.',
    StartAt: 'Inspect',
    States: {
      Inspect: {
        ...invoke(workerFunctionArn, 'inspect', {
          'assetId.$': '$.assetId',
          'bucket.$': '$.bucket',
          'key.$': '$.key',
        }),
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
        ItemSelector: {
          'assetId.$': '$.assetId',
          'bucket.$': '$.bucket',
          'key.$': '$.key',
          'size.$': '$$.Map.Item.Value',
        },
        MaxConcurrency: 4,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Thumbnail',
          States: {
            Thumbnail: {
              ...invoke(workerFunctionArn, 'thumbnail', {
                'assetId.$': '$.assetId',
                'bucket.$': '$.bucket',
                'key.$': '$.key',
                'size.$': '$.size',
              }),
              End: true,
            },
          },
        },
        ResultPath: '$.thumbnails',
        Catch: [fail],
        Next: 'Finalize',
      },
      Finalize: {
        ...invoke(workerFunctionArn, 'finalize', { 'assetId.$': '$.assetId' }),
        Parameters: {
          FunctionName: workerFunctionArn,
          Payload: {
            step: 'finalize',
            'assetId.$': '$.assetId',
            'inspection.$': '$.inspection.result',
            'thumbnails.$': '$.thumbnails',
          },
        },
        Catch: [fail],
        End: true,
      },
      MarkFailed: {
        ...invoke(workerFunctionArn, 'markFailed', { 'assetId.$': '$.assetId' }),
        Parameters: {
          FunctionName: workerFunctionArn,
          Payload: { step: 'markFailed', 'assetId.$': '$.assetId', 'error.$': '$.error' },
        },
        Next: 'Failed',
      },
      Failed: { Type: 'Fail', Error: 'AssetProcessingFailed', Cause: 'See the MarkFailed step input' },
    },
  };
}
