import { type CreateAssetBody, createDataApiInternalClient } from '@stateless/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Instance, newAsset, serviceToken, startInstance, testConfig, uniqueOwner } from './helpers.ts';

/** The internal create's side of the upload limits: the open-upload cap and the upload id. */
const openLimit = 2;
const rateLimit = 10;
let instance: Instance;
let internal: ReturnType<typeof createDataApiInternalClient>;
beforeAll(async () => {
  instance = await startInstance(
    testConfig({ MAX_OPEN_UPLOADS: openLimit, RATE_LIMIT_PER_MINUTE: rateLimit }),
  );
  internal = createDataApiInternalClient({
    baseUrl: instance.internalUrl,
    token: await serviceToken('upload-service'),
  });
});
afterAll(async () => instance?.close());

describe('internal create', () => {
  it("refuses a user's PENDING record past MAX_OPEN_UPLOADS (409), not a repeat of one it created; uploaded or aborted ones are not open", async () => {
    const owner = uniqueOwner();
    // As the upload service creates them: for the owner's request.
    const create = (body: CreateAssetBody) => internal.createAsset(body, owner);
    const [first, second, third, fourth] = [owner, owner, owner, owner].map((o) => newAsset(o)) as [
      CreateAssetBody,
      CreateAssetBody,
      CreateAssetBody,
      CreateAssetBody,
    ];
    for (const body of [first, second]) await create(body);
    await expect(create(third)).rejects.toMatchObject({
      status: 409,
      code: 'Conflict',
    });
    // A retried create whose answer was lost is a success, not one upload more.
    expect(await create(first)).toMatchObject({ created: false });
    // Another owner's uploads are not counted.
    const other = uniqueOwner();
    expect((await internal.createAsset(newAsset(other), other)).created).toBe(true);
    // Past PENDING, an upload is not open any more.
    await internal.moveStatus(first.id, { status: 'UPLOADED' });
    expect((await create(third)).created).toBe(true);
    await expect(create(fourth)).rejects.toMatchObject({ status: 409 });
    // Nor once its upload was aborted: the record expires at once.
    await internal.expireUpload(second.id);
    expect((await internal.getAsset(second.id)).expiresAt).toBeLessThanOrEqual(Date.now() / 1000);
    expect((await create(fourth)).created).toBe(true);
    // A service's own create (no user named) is not limited.
    expect((await internal.createAsset(newAsset(owner))).created).toBe(true);
    await expect(create(newAsset(owner))).rejects.toMatchObject({ status: 409 });
    // An asset past PENDING does not expire.
    await internal.expireUpload(first.id);
    const uploaded = await internal.getAsset(first.id);
    expect([uploaded.status, uploaded.expiresAt]).toEqual(['UPLOADED', undefined]);
  });

  it('keeps the multipart upload id it was created with, for the upload service to compare', async () => {
    const body = newAsset(uniqueOwner(), { uploadId: 'upload-id-of-s3' });
    expect((await internal.createAsset(body)).asset.uploadId).toBe('upload-id-of-s3');
    expect((await internal.getAsset(body.id)).uploadId).toBe('upload-id-of-s3');
  });

  it("counts a call made on behalf of a user against that user's rate limit; the service's own calls are not", async () => {
    const body = newAsset(uniqueOwner());
    await internal.createAsset(body);
    const user = uniqueOwner();
    for (let i = 0; i < rateLimit; i++) await internal.getAsset(body.id, user);
    await expect(internal.getAsset(body.id, user)).rejects.toMatchObject({
      status: 429,
      code: 'TooManyRequests',
      retryAfter: expect.stringMatching(/^[1-9][0-9]*$/),
    });
    for (let i = 0; i <= rateLimit; i++) expect((await internal.getAsset(body.id)).id).toBe(body.id);
  });
});
