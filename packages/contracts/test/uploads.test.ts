import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { BatchQuery, CompleteBody, KeyQuery, uploadRoutes, uploadsBasePath } from '../src/index.ts';

describe('upload contracts', () => {
  it('accept only keys the service builds (originals/<assetId>), never a path from a filename', () => {
    expect(Value.Check(KeyQuery, { key: 'originals/0f9c2a7e-1b2c-4d5e-8f90-123456789abc' })).toBe(true);
    for (const key of ['originals/../secrets', 'originals/a/b', 'thumbnails/a', 'photo.png', 'originals/']) {
      expect(Value.Check(KeyQuery, { key })).toBe(false);
    }
  });

  it('bound the part numbers and the complete body', () => {
    expect(Value.Check(BatchQuery, { key: 'originals/a', partNumbers: '1,2,3' })).toBe(true);
    expect(Value.Check(BatchQuery, { key: 'originals/a', partNumbers: '1,,2' })).toBe(false);
    expect(Value.Check(CompleteBody, { parts: [] })).toBe(false);
    expect(Value.Check(CompleteBody, { parts: [{ PartNumber: 10_001, ETag: '"x"' }] })).toBe(false);
  });

  it('serve every Companion S3 route under the uploads base path', () => {
    for (const route of Object.values(uploadRoutes))
      expect(route.url.startsWith(`${uploadsBasePath}/s3/`)).toBe(true);
  });
});
