import { createDataApiInternalClient, type DataApiInternalClient } from '@stateless/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  type Instance,
  newAsset,
  serviceToken,
  startInstance,
  testConfig,
  uniqueOwner,
  userToken,
} from './helpers.ts';

/**
 * A conditional write whose reply is lost after DynamoDB applied it (issue 21, item 5). The
 * instance's DynamoDB client gets a middleware inside the SDK's retry loop that, when armed,
 * lets one request of the named operation through and then throws a retryable network error
 * (ECONNRESET) in place of its reply: the write is applied, and the SDK sends it again, as it
 * does in AWS when a connection drops after DynamoDB answered.
 */
let instance: Instance;
let internal: DataApiInternalClient;
const lose: { operation?: string; lost: number; sent: number } = { lost: 0, sent: 0 };

/** Loses the reply to the next `operation` request; resolves with how many times it was sent. */
async function withLostReply<T>(operation: string, write: () => Promise<T>) {
  Object.assign(lose, { operation, lost: 0, sent: 0 });
  try {
    const result = await write();
    expect(lose.lost).toBe(1);
    return { result, sent: lose.sent };
  } finally {
    lose.operation = undefined;
  }
}

beforeAll(async () => {
  instance = await startInstance(testConfig());
  instance.deps.documents.middlewareStack.add(
    (next, context) => async (args) => {
      const own = context.commandName === lose.operation;
      if (own) lose.sent += 1;
      const output = await next(args);
      if (own && lose.lost === 0) {
        lose.lost += 1;
        throw Object.assign(new Error('socket hang up (reply lost by the test)'), { code: 'ECONNRESET' });
      }
      return output;
    },
    // The deserialize step runs inside the retry middleware (finalizeRequest), per attempt.
    { step: 'deserialize', name: 'loseOneReply' },
  );
  internal = createDataApiInternalClient({ baseUrl: instance.internalUrl, token: await serviceToken() });
});
afterAll(() => instance?.close());

describe('a conditional write whose reply was lost is answered as applied', () => {
  it('PATCH: 200 with the new version, applied once (412 before)', async () => {
    const owner = uniqueOwner();
    const token = await userToken(owner);
    const asset = newAsset(owner);
    await internal.createAsset(asset);
    const { id } = asset;
    const { result: res, sent } = await withLostReply('UpdateItemCommand', () =>
      call(instance.publicUrl, 'PATCH', `/assets/${id}`, {
        token,
        headers: { 'if-match': '"v1"' },
        body: { title: 'once' },
      }),
    );
    expect(sent).toBe(2);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ version: 2, title: 'once' });
    expect(res.headers.get('etag')).toBe('"v2"');
    const read = await call(instance.publicUrl, 'GET', `/assets/${id}`, { token });
    expect(read.json).toMatchObject({ version: 2, title: 'once' });
  });

  it('DELETE: the tombstone is this delete, not an earlier one', async () => {
    const owner = uniqueOwner();
    const asset = newAsset(owner);
    await internal.createAsset(asset);
    const { result } = await withLostReply('UpdateItemCommand', () =>
      instance.deps.assets.store.softDelete(asset.id, owner),
    );
    expect(result.alreadyDeleted).toBe(false);
    expect(result.record).toMatchObject({ status: 'DELETED', version: 2 });
  });

  it('create: created by this call (201), not found existing', async () => {
    const owner = uniqueOwner();
    const asset = newAsset(owner);
    const { result, sent } = await withLostReply('PutItemCommand', () =>
      instance.deps.assets.store.create(asset),
    );
    expect(sent).toBe(2);
    expect(result).toMatchObject({ created: true, record: { id: asset.id, version: 1 } });
  });

  it("an aborted upload's expiry: the record, not 'left as it was'", async () => {
    const owner = uniqueOwner();
    const asset = newAsset(owner);
    await internal.createAsset(asset);
    const { result } = await withLostReply('UpdateItemCommand', () =>
      instance.deps.assets.store.expireUpload(asset.id),
    );
    expect(result).toMatchObject({ id: asset.id, version: 2 });
  });

  it('status moves and results: applied once, the version bumped once', async () => {
    const owner = uniqueOwner();
    const asset = newAsset(owner);
    await internal.createAsset(asset);
    const { store } = instance.deps.assets;
    const moved = await withLostReply('UpdateItemCommand', () =>
      store.moveStatus(asset.id, { status: 'UPLOADED' }),
    );
    expect(moved.result).toMatchObject({ changed: true, record: { status: 'UPLOADED', version: 2 } });
    await store.moveStatus(asset.id, { status: 'PROCESSING' });
    // Its condition (status UPLOADED or PROCESSING) still holds on the retry: without the
    // write id in the condition, the retry would apply it a second time (version 5).
    const recorded = await withLostReply('UpdateItemCommand', () =>
      store.recordResults(asset.id, { sha256: 'a'.repeat(64) }),
    );
    expect(recorded.result).toMatchObject({ version: 4, sha256: 'a'.repeat(64) });
    expect(await store.get(asset.id, true)).toMatchObject({ version: 4 });
  });
});
