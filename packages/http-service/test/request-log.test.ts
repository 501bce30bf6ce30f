import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { conventionsPlugin, serviceOptions } from '../src/index.ts';

/** The service log as it is written: every line of a Fastify app built with serviceOptions. */
const lines: string[] = [];
const options = serviceOptions({ logLevel: 'info' });
const app = Fastify({
  ...options,
  logger: {
    ...(options.logger as object),
    stream: new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    }),
  },
});
await app.register(conventionsPlugin);
app.get('/things', async () => ({ ok: true }));
afterAll(() => app.close());

const urlsLogged = () =>
  lines
    .map((line) => JSON.parse(line) as { req?: { url: string } })
    .flatMap((l) => (l.req ? [l.req.url] : []));

describe('the request log line', () => {
  it('redacts credentials sent in the query string, keeping every other parameter', async () => {
    const secrets = {
      access_token: 'eyJhbGciOiJIUzI1NiJ9.user-token',
      id_token: 'eyJ.id-token',
      token: 'plain-token',
      'X-Amz-Signature': 'f00dfeed',
      'X-Amz-Credential': 'AKIAEXAMPLE/20260101/us-east-1/s3/aws4_request',
      'X-Amz-Security-Token': 'session-token',
      client_secret: 'shh',
    };
    for (const [name, value] of Object.entries(secrets)) {
      lines.length = 0;
      // Also as the query parser reads an escaped name, and in another case.
      for (const spelled of [name, name.toUpperCase(), encodeURIComponent(name).replace('_', '%5F')]) {
        const url = `/things?limit=5&${spelled}=${encodeURIComponent(value)}&key=originals/abc`;
        expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
        expect(urlsLogged().at(-1)).toBe(`/things?limit=5&${spelled}=[REDACTED]&key=originals/abc`);
      }
      expect(lines.join('\n')).not.toContain(encodeURIComponent(value));
      expect(lines.join('\n')).not.toContain(value);
    }
  });

  it('leaves a URL without credentials as sent', async () => {
    lines.length = 0;
    await app.inject({ method: 'GET', url: '/things?limit=5&cursor=abc&flag' });
    expect(urlsLogged()).toEqual(['/things?limit=5&cursor=abc&flag']);
  });
});
