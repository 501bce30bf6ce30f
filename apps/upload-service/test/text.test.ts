import { mintUserToken } from '@stateless/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { app, dataApi, secret } from './service.ts';

/**
 * Filenames that are not well formed, or too long to keep whole (issue 21, item 6), through the
 * upload service and the data API behind it. Every other field and route: the table over the
 * contracts in packages/http-service/test/text.test.ts.
 */
let token: string;
beforeAll(async () => {
  token = await mintUserToken(secret, 'text-user');
});

const createMultipart = (filename: string) =>
  app.inject({
    method: 'POST',
    url: '/uploads/s3/multipart',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    // JSON's escape is how a lone surrogate travels (UTF-8 cannot carry one).
    payload: JSON.stringify({ filename, type: 'image/png' }).replace(
      /[\ud800-\udfff]/g,
      (unit) => `\\u${unit.charCodeAt(0).toString(16)}`,
    ),
  });
const storedFilename = async (assetId: string) =>
  (await dataApi.deps.assets.store.get(assetId, true))?.filename;

describe('filenames', () => {
  it('refuses a filename that is not well formed with a 400 naming it (500 before)', async () => {
    for (const filename of ['\ud800', 'photo\udc00.png', `${'a'.repeat(10)}\ud83d`]) {
      const res = await createMultipart(filename);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'ValidationError',
        details: [{ path: 'body/filename', message: expect.stringContaining('well-formed') }],
      });
    }
  });

  it('keeps a name of 255 code points whole, and cuts a longer one by code point, never inside a pair', async () => {
    const whole = `${'a'.repeat(254)}😀`; // 256 UTF-16 units: a cut at 255 units split the emoji
    const created = await createMultipart(whole);
    expect(created.statusCode).toBe(200);
    expect(await storedFilename(created.json().assetId)).toBe(whole);
    const longer = await createMultipart(`${'😀'.repeat(300)}.png`);
    expect(longer.statusCode).toBe(200);
    expect(await storedFilename(longer.json().assetId)).toBe('😀'.repeat(255));
  });

  it('refuses control and bidi formatting characters in a filename, in the query string too', async () => {
    for (const filename of ['a\u0000.png', 'a\u001b[31m.png', 'a\r\n.png', 'photo\u202egnp.exe']) {
      const res = await app.inject({
        method: 'GET',
        url: `/uploads/s3/params?filename=${encodeURIComponent(filename)}&type=image/png`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect([filename, res.statusCode]).toEqual([filename, 400]);
      expect(res.json().error.details).toEqual([
        {
          path: 'querystring/filename',
          message: expect.stringContaining('must be one line with no control'),
        },
      ]);
    }
  });
});
