import type { Asset } from '@stateless/contracts';
import { describe, expect, it } from 'vitest';
import { typeOf } from '../src/views/format.tsx';

const asset = (fields: Partial<Asset>): Asset => ({
  id: 'a1',
  status: 'FAILED',
  version: 5,
  tags: [],
  thumbnails: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...fields,
});

describe("an asset row's type", () => {
  it('shows what the bytes were found to be, and what was declared when it differs', () => {
    // An executable uploaded as image/png (issue 22, defect 5): the row used to say image/png.
    expect(typeOf(asset({ contentType: 'application/x-elf', declaredContentType: 'image/png' }))).toBe(
      'application/x-elf (declared image/png)',
    );
    expect(typeOf(asset({ contentType: 'image/png', declaredContentType: 'image/png' }))).toBe('image/png');
    // Not processed yet: the declared type is all there is.
    expect(typeOf(asset({ status: 'PENDING', contentType: 'image/png' }))).toBe('image/png');
    expect(typeOf(asset({}))).toBe('unknown type');
  });
});
