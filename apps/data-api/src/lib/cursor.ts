import { createHmac, timingSafeEqual } from 'node:crypto';
import { PublicError } from '@stateless/contracts';

/**
 * List cursors: the sort key of the last item of a page, signed with
 * CURSOR_SECRET over the owner's id. A forged, altered or another owner's cursor
 * fails verification and is a 400; it can never select another owner's items
 * (the owner always comes from the token, never from the cursor).
 */
export interface CursorCodec {
  encode(ownerId: string, createdKey: string): string;
  decode(ownerId: string, cursor: string): string;
}

const version = 'c1';

export function createCursorCodec(secret: string): CursorCodec {
  const mac = (ownerId: string, payload: string) =>
    createHmac('sha256', secret).update(`${version}\n${ownerId}\n${payload}`).digest().subarray(0, 16);
  const invalid = () =>
    new PublicError(400, 'InvalidCursor', 'The cursor is malformed, altered or not yours');
  return {
    encode(ownerId, createdKey) {
      const payload = Buffer.from(createdKey, 'utf8').toString('base64url');
      return `${version}.${payload}.${mac(ownerId, payload).toString('base64url')}`;
    },
    decode(ownerId, cursor) {
      const [v, payload, signature, ...rest] = cursor.split('.');
      if (v !== version || !payload || !signature || rest.length > 0) throw invalid();
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(ownerId, payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      const createdKey = Buffer.from(payload, 'base64url').toString('utf8');
      if (!/^\d{4}-\d\d-\d\dT[\d:.]+Z#[A-Za-z0-9_-]+$/.test(createdKey)) throw invalid();
      return createdKey;
    },
  };
}
