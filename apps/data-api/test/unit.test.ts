import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bearerOf, createVerifier } from '@stateless/auth';
import { ConfigError, tokenCheckDefaults } from '@stateless/config';
import {
  Asset,
  canTransition,
  mintServiceToken,
  mintUserToken,
  PublicError,
  predecessorsOf,
} from '@stateless/contracts';
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { AssetsStore } from '../src/lib/assets-store.ts';
import { decodeCachedAsset, encodeCachedAsset } from '../src/lib/cached-asset.ts';
import { createCursorCodec } from '../src/lib/cursor.ts';
import { etagOf, noneMatchHits, parseEntityTags } from '../src/lib/etag.ts';
import { Metrics } from '../src/lib/metrics.ts';
import { type AssetRecord, isLive, objectKeysOf, toInternal, toPublic } from '../src/lib/record.ts';

const secret = 'unit-secret-that-is-at-least-32-characters';
const serviceSecret = 'unit-service-secret-that-is-at-least-32-characters';

const record = (overrides: Partial<AssetRecord> = {}): AssetRecord => ({
  id: 'a1',
  ownerId: 'alice',
  createdKey: '2026-01-01T00:00:00.000Z#a1',
  status: 'READY',
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  title: 'Cat',
  tags: ['pets'],
  originalKey: 'originals/a1',
  thumbnails: [
    {
      name: 'small',
      key: 'thumbs/a1/small.webp',
      width: 64,
      height: 48,
      contentType: 'image/webp',
      size: 900,
    },
  ],
  ...overrides,
});

const statusOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof PublicError ? `${error.status} ${error.code}` : String(error);
  }
  return 'no error';
};

describe('status transitions', () => {
  it('allows exactly the documented moves', () => {
    expect(canTransition('PENDING', 'UPLOADED')).toBe(true);
    expect(canTransition('UPLOADED', 'PROCESSING')).toBe(true);
    expect(canTransition('PROCESSING', 'READY')).toBe(true);
    expect(canTransition('PROCESSING', 'FAILED')).toBe(true);
    expect(canTransition('READY', 'DELETED')).toBe(true);
    expect(canTransition('PENDING', 'READY')).toBe(false);
    expect(canTransition('READY', 'PROCESSING')).toBe(false);
    expect(canTransition('FAILED', 'READY')).toBe(false);
    expect(canTransition('DELETED', 'PENDING')).toBe(false);
    expect(canTransition('DELETED', 'READY')).toBe(false);
  });

  it('derives the predecessors used in conditional writes', () => {
    expect(predecessorsOf('READY')).toEqual(['PROCESSING']);
    expect(predecessorsOf('UPLOADED')).toEqual(['PENDING']);
    expect(predecessorsOf('DELETED').sort()).toEqual([
      'FAILED',
      'PENDING',
      'PROCESSING',
      'READY',
      'UPLOADED',
    ]);
    expect(predecessorsOf('PENDING')).toEqual([]);
  });
});

describe('ETags', () => {
  it('are strong, quoted and change with the version', () => {
    expect(etagOf(1)).toBe('"v1"');
    expect(etagOf(2)).not.toBe(etagOf(1));
  });

  it('parse If-Match lists, * and ignore foreign tags and weak ones beside strong ones', () => {
    expect(parseEntityTags('"v3"', 'If-Match', false)).toEqual({ any: false, versions: [3] });
    expect(parseEntityTags(' "v3" , "v4"', 'If-Match', false)).toEqual({ any: false, versions: [3, 4] });
    expect(parseEntityTags('*', 'If-Match', false)).toEqual({ any: true });
    expect(parseEntityTags('W/"v3", "v4"', 'If-Match', false)).toEqual({ any: false, versions: [4] });
    // Only weak tags can never match: a 412 saying so, not "has changed".
    expect(statusOf(() => parseEntityTags('W/"v3"', 'If-Match', false))).toBe('412 PreconditionFailed');
    expect(parseEntityTags('"abc"', 'If-Match', false)).toEqual({ any: false, versions: [] });
    expect(parseEntityTags('W/"v3"', 'If-None-Match', true)).toEqual({ any: false, versions: [3] });
    // An opaque tag may hold commas, and OWS may be tabs (Schemathesis sent both in one header).
    expect(parseEntityTags('"a,b", "v4"', 'If-Match', false)).toEqual({ any: false, versions: [4] });
    expect(parseEntityTags('"q/Q,<*-"\t,   \t  W/"H" \t', 'If-Match', false)).toEqual({
      any: false,
      versions: [],
    });
  });

  it('reject malformed headers with a 400', () => {
    for (const bad of ['v3', '"v3', '"v3",', '', 'W/v3', `"a"${',"b"'.repeat(30)}`]) {
      expect(statusOf(() => parseEntityTags(bad, 'If-Match', false))).toBe('400 BadRequest');
    }
  });

  it('match If-None-Match against the current version', () => {
    expect(noneMatchHits({ any: false, versions: [2, 3] }, 3)).toBe(true);
    expect(noneMatchHits({ any: false, versions: [2] }, 3)).toBe(false);
    expect(noneMatchHits({ any: true }, 9)).toBe(true);
  });
});

describe('cursors', () => {
  const codec = createCursorCodec('cursor-secret-that-is-at-least-32-chars');
  const key = '2026-01-01T00:00:00.000Z#a1';

  it('round-trip for the owner they were made for', () => {
    expect(codec.decode('alice', codec.encode('alice', key))).toBe(key);
  });

  it('refuse another owner, an altered payload, a forged signature and garbage', () => {
    const cursor = codec.encode('alice', key);
    expect(statusOf(() => codec.decode('bob', cursor))).toBe('400 InvalidCursor');
    const [v, payload, sig] = cursor.split('.') as [string, string, string];
    const altered = Buffer.from('2026-01-01T00:00:00.000Z#zz').toString('base64url');
    expect(statusOf(() => codec.decode('alice', `${v}.${altered}.${sig}`))).toBe('400 InvalidCursor');
    expect(statusOf(() => codec.decode('alice', `${v}.${payload}.${'A'.repeat(22)}`))).toBe(
      '400 InvalidCursor',
    );
    const otherKey = createCursorCodec('another-secret-that-is-32-characters-long').encode('alice', key);
    expect(statusOf(() => codec.decode('alice', otherKey))).toBe('400 InvalidCursor');
    for (const junk of ['x', '...', 'c1..', 'c1.a.b.c', '%%%']) {
      expect(statusOf(() => codec.decode('alice', junk))).toBe('400 InvalidCursor');
    }
  });
});

describe('records', () => {
  it('show owners no internal fields and satisfy the public schema', () => {
    const view = toPublic(record({ expiresAt: 99, formerOwnerId: 'x' }));
    expect(Value.Check(Asset, view)).toBe(true);
    expect(view).not.toHaveProperty('ownerId');
    expect(view).not.toHaveProperty('originalKey');
    expect(view).not.toHaveProperty('expiresAt');
    expect(view.thumbnails[0]).not.toHaveProperty('key');
  });

  it('give other services the keys and the former owner of a tombstone', () => {
    const tombstone = record({ status: 'DELETED', ownerId: undefined, formerOwnerId: 'alice' });
    expect(toInternal(tombstone).ownerId).toBe('alice');
    expect(objectKeysOf(tombstone)).toEqual(['originals/a1', 'thumbs/a1/small.webp']);
  });

  it('treat tombstones and expired abandoned uploads as gone', () => {
    expect(isLive(record())).toBe(true);
    expect(isLive(record({ status: 'DELETED', ownerId: undefined }))).toBe(false);
    expect(isLive(record({ status: 'PENDING', expiresAt: Math.floor(Date.now() / 1000) - 1 }))).toBe(false);
    expect(isLive(record({ status: 'PENDING', expiresAt: Math.floor(Date.now() / 1000) + 60 }))).toBe(true);
  });

  it('cache a live asset as header + ready-to-send body, and gone ones as not-found', () => {
    const encoded = encodeCachedAsset(record()) as string;
    const decoded = decodeCachedAsset(encoded);
    expect(decoded).toMatchObject({
      ownerId: 'alice',
      version: 3,
      status: 'READY',
      originalKey: 'originals/a1',
    });
    expect(decoded.thumbnailKeys).toEqual({ small: 'thumbs/a1/small.webp' });
    expect(JSON.parse(decoded.body)).toEqual(toPublic(record()));
    expect(encodeCachedAsset(undefined)).toBeNull();
    expect(encodeCachedAsset(record({ status: 'DELETED', ownerId: undefined }))).toBeNull();
  });
});

describe('auth', () => {
  const settings = {
    ...tokenCheckDefaults,
    AUTH_JWT_SECRET: secret,
    AUTH_AUDIENCE: 'stateless-api',
    SERVICE_TOKEN_SECRET: serviceSecret,
    SERVICE_AUDIENCE: 'stateless-internal',
  };
  const verifier = createVerifier(settings);
  const rejected = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'accepted';
    } catch (error) {
      return error instanceof PublicError ? `${error.status} ${error.code}` : String(error);
    }
  };

  it('takes the owner from a user token and the service from a service token', async () => {
    expect(await verifier.user(await mintUserToken(secret, 'alice'))).toEqual({ sub: 'alice' });
    expect(await verifier.service(await mintServiceToken(serviceSecret, 'worker'))).toEqual({
      sub: 'worker',
    });
  });

  it('refuses a token for the other audience, a wrong key, an expired token and a bad issuer', async () => {
    expect(await rejected(verifier.service(await mintUserToken(secret, 'alice')))).toBe('401 Unauthorized');
    expect(await rejected(verifier.user(await mintServiceToken(serviceSecret, 'worker')))).toBe(
      '401 Unauthorized',
    );
    // Signed with the other kind's key, with the right audience: refused too.
    expect(await rejected(verifier.service(await mintServiceToken(secret, 'worker')))).toBe(
      '401 Unauthorized',
    );
    expect(await rejected(verifier.user(await mintUserToken(serviceSecret, 'alice')))).toBe(
      '401 Unauthorized',
    );
    expect(await rejected(verifier.user(await mintUserToken(`${secret}-other`, 'alice')))).toBe(
      '401 Unauthorized',
    );
    expect(await rejected(verifier.user(await mintUserToken(secret, 'alice', { ttl: -60 })))).toBe(
      '401 Unauthorized',
    );
    const strict = createVerifier({ ...settings, AUTH_ISSUER: 'https://idp' });
    expect(await rejected(strict.user(await mintUserToken(secret, 'alice')))).toBe('401 Unauthorized');
    expect(await strict.user(await mintUserToken(secret, 'alice', { issuer: 'https://idp' }))).toEqual({
      sub: 'alice',
    });
    expect(await rejected(verifier.user('not.a.jwt'))).toBe('401 Unauthorized');
  });

  it('parses only well-formed bearer headers', () => {
    expect(bearerOf('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    for (const bad of [undefined, '', 'Basic abc', 'Bearer', 'Bearer a b', `Bearer ${'a'.repeat(9000)}`]) {
      expect(statusOf(() => bearerOf(bad))).toBe('401 Unauthorized');
    }
  });

  it('needs exactly one key source', () => {
    expect(() =>
      createVerifier({
        ...tokenCheckDefaults,
        AUTH_AUDIENCE: 'a',
        SERVICE_TOKEN_SECRET: serviceSecret,
        SERVICE_AUDIENCE: 's',
      }),
    ).toThrow(ConfigError);
    expect(() => createVerifier({ ...settings, AUTH_JWKS_URL: 'https://idp/jwks.json' })).toThrow(
      /exactly one of AUTH_JWT_SECRET or AUTH_JWKS_URL/,
    );
  });
});

describe('metrics', () => {
  it('count per name and snapshot all names', () => {
    const metrics = new Metrics();
    metrics.inc('cacheHits');
    metrics.inc('cacheHits', 2);
    expect(metrics.get('cacheHits')).toBe(3);
    expect(metrics.snapshot()).toMatchObject({ cacheHits: 3, cacheMisses: 0 });
  });
});

describe('deletion', () => {
  /** A document client that records each command's input and answers like DynamoDB would. */
  const recordingClient = (answer: (input: Record<string, unknown>) => unknown) => {
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        return answer(command.input);
      },
    } as unknown as DynamoDBDocumentClient;
    return { client, sent };
  };

  it('writes the tombstone and the cleanup flag in one conditional update', async () => {
    const { client, sent } = recordingClient(() => ({
      Attributes: { ...record(), status: 'DELETED', cleanupPending: '1' },
    }));
    const now = new Date('2026-03-01T00:00:00.000Z');
    const store = new AssetsStore(client, 'assets', new Metrics(), 60, () => now);
    const { record: tombstone, alreadyDeleted } = await store.softDelete('a1', 'alice');
    expect(alreadyDeleted).toBe(false);
    expect(tombstone).toMatchObject({ status: 'DELETED', cleanupPending: '1' });
    expect(sent).toHaveLength(1);
    const [update] = sent as [(typeof sent)[0]];
    expect(update.name).toBe('UpdateCommand');
    const { UpdateExpression, ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues } =
      update.input as {
        UpdateExpression: string;
        ConditionExpression: string;
        ExpressionAttributeNames: Record<string, string>;
        ExpressionAttributeValues: Record<string, unknown>;
      };
    const setOf = (attribute: string) => {
      const name = Object.entries(ExpressionAttributeNames).find(([, n]) => n === attribute)?.[0];
      const match = UpdateExpression.match(new RegExp(`${name} = (:\\w+)`));
      return match?.[1] === undefined ? undefined : ExpressionAttributeValues[match[1]];
    };
    expect(setOf('status')).toBe('DELETED');
    expect(setOf('cleanupPending')).toBe('1');
    expect(setOf('deletedAt')).toBe(now.toISOString());
    expect(UpdateExpression).toMatch(/REMOVE .*#ownerId/);
    // The owner, and not already applied by an earlier attempt whose reply was lost (writeId).
    expect(ConditionExpression).toBe(
      '(#ownerId = :owner) AND (attribute_not_exists(#writeId) OR #writeId <> :writeId)',
    );
  });

  it('clears the flag only on a tombstone, without a new version, and tolerates a lost race', async () => {
    const conditionFailure = Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' });
    let fail = false;
    const { client, sent } = recordingClient(() => {
      if (fail) throw conditionFailure;
      return {};
    });
    const store = new AssetsStore(client, 'assets', new Metrics(), 60);
    expect(await store.clearCleanup('a1')).toBe(true);
    expect(sent[0]?.input).toMatchObject({
      UpdateExpression: 'REMOVE #c',
      ConditionExpression: '#s = :deleted',
      ExpressionAttributeValues: { ':deleted': 'DELETED' },
    });
    fail = true;
    expect(await store.clearCleanup('gone')).toBe(false);
  });
});
