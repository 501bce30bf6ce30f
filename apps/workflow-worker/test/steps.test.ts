import { S3ServiceException } from '@aws-sdk/client-s3';
import { DataApiError, MoveStatusBody } from '@stateless/contracts';
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { dispatch, StepError } from '../src/invoke.ts';
import { whileDataApiUp, whileStorageUp } from '../src/steps/dependencies.ts';
import { failureReason } from '../src/steps/failure-reason.ts';

const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage });

describe('failureReason', () => {
  it('gives the message of a media error, read from the Lambda Cause', () => {
    expect(
      failureReason({
        Error: 'UnsupportedMedia',
        Cause: lambdaCause('UnsupportedMedia', 'the image declares 2500000000 pixels (limit 120000000)'),
      }),
    ).toBe('The file could not be processed: the image declares 2500000000 pixels (limit 120000000)');
  });

  it('gives the sentence of a refused file as it is', () => {
    const sentence = "The file's contents are not a PNG image (they look like application/gzip)";
    expect(failureReason({ Error: 'UnacceptedFile', Cause: lambdaCause('UnacceptedFile', sentence) })).toBe(
      sentence,
    );
  });

  it('tells the user to upload again when the object is missing', () => {
    expect(
      failureReason({ Error: 'ObjectMissing', Cause: lambdaCause('ObjectMissing', 'NoSuchKey') }),
    ).toMatch(/upload it again/);
  });

  it('does not leak internals of errors it does not know, and reads a plain-text Cause', () => {
    const reason = failureReason({ Error: 'Lambda.ServiceException', Cause: 'socket hang up at 10.0.0.1' });
    expect(reason).toBe('Processing failed on our side; try uploading again later');
    expect(failureReason({ Error: 'States.Timeout', Cause: 'The task timed out.' })).toBe(
      'Processing took too long',
    );
  });

  it('stays within the data API limit of 1000 characters', () => {
    const long = failureReason({
      Error: 'UnsupportedMedia',
      Cause: lambdaCause('UnsupportedMedia', 'x'.repeat(5000)),
    });
    expect(long.length).toBe(1000);
  });

  it('gives a reason the data API takes, whatever the message holds: no split pair, no control or bidi character', () => {
    // The prefix puts a UTF-16 cut at 1000 inside an emoji.
    for (const message of [
      `x${'😀'.repeat(600)}`,
      'bad \u001b[31mbyte\u0000 \u202egnp.exe',
      'lone \ud800 half',
    ]) {
      const reason = failureReason({
        Error: 'UnsupportedMedia',
        Cause: lambdaCause('UnsupportedMedia', message),
      });
      expect([reason, Value.Check(MoveStatusBody, { status: 'FAILED', reason })]).toEqual([reason, true]);
    }
    const multiline = 'VipsJpeg: Premature end of input file\nVipsJpeg: out of order read';
    expect(
      failureReason({ Error: 'UnsupportedMedia', Cause: lambdaCause('UnsupportedMedia', multiline) }),
    ).toContain(multiline);
  });
});

describe('dispatch', () => {
  const steps = { finalize: async () => 'ran' };

  it('refuses a payload that does not match the step schema, naming the problem', async () => {
    const error = await dispatch(steps, { step: 'finalize', assetId: 'a1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).errorType).toBe('ValidationError');
    expect((error as StepError).message).toMatch(/finalize payload/);
  });

  it('runs a step whose payload matches', async () => {
    const payload = {
      step: 'finalize',
      assetId: 'a1',
      inspection: {
        contentType: 'text/plain',
        size: 1,
        sha256: 'c'.repeat(64),
        versionId: 'v1',
        isImage: false,
        thumbnailSizes: [],
      },
      thumbnails: [],
    };
    expect(await dispatch(steps, payload)).toBe('ran');
  });

  it('refuses an unknown step', async () => {
    await expect(dispatch(steps, { step: 'toString' })).rejects.toMatchObject({ errorType: 'UnknownStep' });
  });
});

describe('whileDataApiUp', () => {
  const answered = (status: number) =>
    new DataApiError(status, {
      error: { code: status >= 500 ? 'InternalError' : 'BadRequest', message: 'answer' },
    });
  const outcome = (error: Error) =>
    whileDataApiUp(() => Promise.reject(error)).catch(
      (e: Error & { errorType?: string }) => e.errorType ?? e,
    );

  it('makes a data API that is down for now the retryable DataApiUnavailable', async () => {
    const timedOut = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    for (const error of [
      answered(503),
      answered(500),
      answered(429),
      new TypeError('fetch failed'),
      timedOut,
    ]) {
      expect(await outcome(error)).toBe('DataApiUnavailable');
    }
  });

  it('leaves an answer (4xx) and anything else as it was', async () => {
    for (const error of [answered(404), answered(409), answered(403), new TypeError('x is not a function')]) {
      expect(await outcome(error)).toBe(error);
    }
  });
});

describe('whileStorageUp', () => {
  const s3Error = (name: string, status: number) =>
    new S3ServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status },
      message: name,
    });

  it("leaves a 4xx from S3 and the step's own errors as they were", async () => {
    for (const error of [s3Error('AccessDenied', 403), new StepError('UnsupportedMedia', 'corrupt')]) {
      await expect(whileStorageUp(() => Promise.reject(error))).rejects.toBe(error);
    }
    await expect(whileStorageUp(() => Promise.reject(s3Error('InternalError', 500)))).rejects.toMatchObject({
      errorType: 'StorageUnavailable',
    });
  });
});
