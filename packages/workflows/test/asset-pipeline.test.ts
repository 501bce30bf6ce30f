import { StateMachine } from 'aws-local-stepfunctions';
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import {
  assetPipelineDefinition,
  type InspectOutput,
  type PipelineStep,
  permanentErrors,
  retryableErrors,
  type StepInput,
  type StepOutput,
  stepSchemas,
  type ThumbnailOutput,
  transientErrors,
  validateDefinition,
} from '../src/index.ts';

const arn = 'arn:aws:lambda:us-east-1:000000000000:function:dev-workflow-worker';
const definition = assetPipelineDefinition(arn);
const input = { assetId: 'a1', bucket: 'assets', key: 'originals/a1' };

const imageInspection: InspectOutput = {
  contentType: 'image/png',
  declaredContentType: 'image/png',
  size: 1234,
  sha256: 'a'.repeat(64),
  versionId: 'v-inspected',
  isImage: true,
  width: 800,
  height: 600,
  orientation: 1,
  pages: 1,
  thumbnailSizes: [
    { name: 'small', maxDimension: 160 },
    { name: 'medium', maxDimension: 640 },
  ],
};

/** A step fails the way the Lambda integration reports a function error. */
class LambdaError extends Error {
  constructor(errorType: string, errorMessage: string) {
    super(JSON.stringify({ errorType, errorMessage }));
    this.name = errorType;
  }
}

type Worker = { [S in PipelineStep]: (payload: StepInput<S>) => StepOutput<S> };
const taskStates: Record<string, PipelineStep> = {
  Inspect: 'inspect',
  Thumbnail: 'thumbnail',
  Finalize: 'finalize',
  MarkFailed: 'markFailed',
};

/**
 * Runs the definition in aws-local-stepfunctions with the worker replaced by `worker`.
 * Every payload the machine builds must match its step's input schema, and every
 * result the fake worker returns its output schema: the two sides agree by construction.
 */
async function run(worker: Partial<Worker>) {
  const calls: { step: PipelineStep; payload: unknown }[] = [];
  const handlers = Object.fromEntries(
    Object.entries(taskStates).map(([state, step]) => [
      state,
      async (parameters: unknown): Promise<Record<string, string | number>> => {
        const { FunctionName, Payload } = parameters as { FunctionName: string; Payload: unknown };
        expect(FunctionName).toBe(arn);
        calls.push({ step, payload: Payload });
        const schemas = stepSchemas[step];
        if (!Value.Check(schemas.input, Payload)) {
          throw new Error(`${step} got ${JSON.stringify([...Value.Errors(schemas.input, Payload)])}`);
        }
        const handler = worker[step] as ((payload: unknown) => unknown) | undefined;
        if (!handler) throw new Error(`unexpected step ${step}`);
        const result = handler(Payload);
        expect(Value.Check(schemas.output, result)).toBe(true);
        return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: JSON.parse(JSON.stringify(result)) };
      },
    ]),
  );
  // A JSON round trip, as the definition is deployed (the library types it with its own JSON types).
  const machine = new StateMachine(JSON.parse(JSON.stringify(definition)));
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      retryIntervalOverrides: Object.fromEntries(Object.keys(taskStates).map((state) => [state, 0])),
    },
  });
  const output = await execution.result.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );
  return { output, calls, stepsRun: calls.map((call) => call.step) };
}

const thumbnailOf = ({ assetId, size }: StepInput<'thumbnail'>): ThumbnailOutput => ({
  name: size.name,
  key: `thumbnails/${assetId}/${size.name}.webp`,
  width: size.maxDimension,
  height: Math.round((size.maxDimension * 3) / 4),
  contentType: 'image/webp',
  size: 100,
});
const finalized = ({ assetId }: { assetId: string }) => ({
  assetId,
  status: 'READY' as const,
  changed: true,
});
const markedFailed = ({ assetId }: { assetId: string }) => ({
  assetId,
  status: 'FAILED' as const,
  changed: true,
  reason: 'x',
});

describe('asset pipeline definition', () => {
  it('is valid ASL', () => {
    expect(validateDefinition(definition)).toEqual([]);
  });

  it('reports what is wrong with a broken definition', () => {
    const broken = { StartAt: 'A', States: { A: { Type: 'Task', Resource: arn, Next: 'Nowhere' } } };
    expect(validateDefinition(broken).join()).toMatch(/MISSING_TRANSITION_TARGET/);
  });

  it('sends every task to the worker function', () => {
    const json = JSON.stringify(definition);
    const functionNames = [...json.matchAll(/"FunctionName":"([^"]+)"/g)].map((m) => m[1]);
    expect(functionNames.length).toBe(4);
    expect(new Set(functionNames)).toEqual(new Set([arn]));
  });

  it('retries exactly the transient Lambda errors and a data API that is down, never a permanent one', () => {
    type Retrier = { ErrorEquals: string[]; MaxAttempts: number };
    const retriers: Retrier[][] = [];
    JSON.stringify(definition, (key, value) => {
      if (key === 'Retry') retriers.push(value as Retrier[]);
      return value;
    });
    expect(retriers.length).toBe(4);
    for (const retry of retriers) {
      const retried = retry.filter((r) => r.MaxAttempts > 0).flatMap((r) => r.ErrorEquals);
      expect(new Set(retried)).toEqual(new Set([...transientErrors, ...retryableErrors]));
      for (const error of permanentErrors) expect(retried).not.toContain(error);
    }
  });
});

describe('asset pipeline, run with the worker replaced', () => {
  it('inspects an image, makes one thumbnail per size, and finalizes with their records', async () => {
    let finalizeInput: StepInput<'finalize'> | undefined;
    const { output, calls, stepsRun } = await run({
      inspect: () => imageInspection,
      thumbnail: thumbnailOf,
      finalize: (payload) => {
        finalizeInput = payload;
        return finalized(payload);
      },
    });
    expect(output).toEqual({ ok: true, value: { assetId: 'a1', status: 'READY', changed: true } });
    expect(stepsRun.filter((step) => step === 'thumbnail').length).toBe(2);
    expect(calls[0]?.payload).toEqual({ step: 'inspect', ...input });
    // Every thumbnail reads the version inspect read, not whatever the key holds by then.
    const thumbnailCalls = calls.filter((call) => call.step === 'thumbnail').map((call) => call.payload);
    expect(thumbnailCalls).toHaveLength(2);
    expect(thumbnailCalls).toEqual(
      expect.arrayContaining(
        imageInspection.thumbnailSizes.map((size) => ({
          step: 'thumbnail',
          ...input,
          versionId: 'v-inspected',
          size,
        })),
      ),
    );
    expect(finalizeInput?.inspection).toEqual(imageInspection);
    expect(finalizeInput?.thumbnails.map((t) => t.key).sort()).toEqual([
      'thumbnails/a1/medium.webp',
      'thumbnails/a1/small.webp',
    ]);
  });

  it('finalizes a non-image without thumbnails', async () => {
    const text: InspectOutput = {
      contentType: 'text/plain',
      size: 5,
      sha256: 'b'.repeat(64),
      versionId: 'v-text',
      isImage: false,
      thumbnailSizes: [],
    };
    let thumbnails: unknown;
    const { output, stepsRun } = await run({
      inspect: () => text,
      finalize: (payload) => {
        thumbnails = payload.thumbnails;
        return finalized(payload);
      },
    });
    expect(output.ok).toBe(true);
    expect(stepsRun).toEqual(['inspect', 'finalize']);
    expect(thumbnails).toEqual([]);
  });

  it('retries a transient Lambda error with backoff and goes on', async () => {
    let attempts = 0;
    const { output, stepsRun } = await run({
      inspect: () => {
        attempts += 1;
        if (attempts < 3) throw new LambdaError('Lambda.TooManyRequestsException', 'Rate exceeded');
        return { ...imageInspection, thumbnailSizes: [] };
      },
      finalize: finalized,
    });
    expect(output.ok).toBe(true);
    expect(stepsRun).toEqual(['inspect', 'inspect', 'inspect', 'finalize']);
  });

  it('retries finalize while the data API is down, and finishes when it is back', async () => {
    let attempts = 0;
    const { output, stepsRun } = await run({
      inspect: () => ({ ...imageInspection, thumbnailSizes: [] }),
      finalize: (payload) => {
        attempts += 1;
        if (attempts < 4) throw new LambdaError('DataApiUnavailable', 'data-api answered 503');
        return finalized(payload);
      },
    });
    expect(output).toEqual({ ok: true, value: { assetId: 'a1', status: 'READY', changed: true } });
    expect(stepsRun).toEqual(['inspect', 'finalize', 'finalize', 'finalize', 'finalize']);
  });

  it('gives up on a data API down for good after six retries: marked failed', async () => {
    const { output, stepsRun } = await run({
      inspect: () => {
        throw new LambdaError('DataApiUnavailable', 'fetch failed');
      },
      markFailed: markedFailed,
    });
    expect(stepsRun).toEqual([...Array(7).fill('inspect'), 'markFailed']);
    expect(output.ok).toBe(false);
  });

  it('gives up on a transient error after three retries: marked failed, execution Failed', async () => {
    const { output, stepsRun } = await run({
      inspect: () => {
        throw new LambdaError('Lambda.ServiceException', 'down');
      },
      markFailed: markedFailed,
    });
    expect(stepsRun).toEqual(['inspect', 'inspect', 'inspect', 'inspect', 'markFailed']);
    expect(output.ok).toBe(false);
    const failure = output.ok ? undefined : (output.error.cause ?? output.error);
    expect((failure as Error).name).toBe('AssetProcessingFailed');
  });

  it('sends a permanent error straight to markFailed with the caught error and its cause', async () => {
    let caught: StepInput<'markFailed'>['error'] | undefined;
    const { output, stepsRun } = await run({
      inspect: () => imageInspection,
      thumbnail: () => {
        throw new LambdaError('UnsupportedMedia', 'The image declares 2500000000 pixels');
      },
      markFailed: (payload) => {
        caught = payload.error;
        return markedFailed(payload);
      },
    });
    expect(output.ok).toBe(false);
    expect(stepsRun.filter((step) => step === 'markFailed')).toEqual(['markFailed']);
    expect(stepsRun).not.toContain('finalize');
    expect(caught?.Error).toBe('UnsupportedMedia');
    expect(JSON.parse(caught?.Cause ?? '{}')).toEqual({
      errorType: 'UnsupportedMedia',
      errorMessage: 'The image declares 2500000000 pixels',
    });
  });

  it('marks the asset failed when finalize itself fails', async () => {
    const { stepsRun } = await run({
      inspect: () => ({ ...imageInspection, thumbnailSizes: [] }),
      finalize: () => {
        throw new LambdaError('AssetNotProcessable', 'deleted');
      },
      markFailed: markedFailed,
    });
    expect(stepsRun).toEqual(['inspect', 'finalize', 'markFailed']);
  });
});
