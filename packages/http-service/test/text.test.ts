import { internalAssetRoutes, publicAssetRoutes, uploadRoutes } from '@stateless/contracts';
import type { FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { describe, expect, it } from 'vitest';
import { validatorCompiler } from '../src/validation.ts';

/**
 * Text that is not well formed, and characters text may not hold (issue 21, item 6), over
 * every string field of every route of both services: the fields are read from the route
 * contracts, so a field added later is covered, and each is checked through the validator
 * both services compile their schemas with.
 */
const parts = ['params', 'querystring', 'headers', 'body'] as const;
type Part = (typeof parts)[number];
type Json = { type?: string; properties?: Record<string, Json>; items?: Json; anyOf?: Json[] };

/** The paths of every string a schema declares (array items as index 0). */
function stringPaths(schema: Json, path: string[] = []): string[][] {
  if (schema.type === 'string') return [path];
  if (schema.anyOf) return schema.anyOf.flatMap((branch) => stringPaths(branch, path));
  if (schema.type === 'array' && schema.items) return stringPaths(schema.items, [...path, '0']);
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) =>
    stringPaths(property, [...path, name]),
  );
}

const valueAt = (path: string[], leaf: string): unknown => {
  const [head, ...rest] = path;
  if (head === undefined) return leaf;
  return head === '0' ? [valueAt(rest, leaf)] : { [head]: valueAt(rest, leaf) };
};

const fields = [publicAssetRoutes, internalAssetRoutes, uploadRoutes].flatMap((routes) =>
  Object.values(routes).flatMap((route) =>
    parts.flatMap((part) => {
      const schema = (route.schema as Partial<Record<Part, TSchema>>)[part];
      if (!schema) return [];
      const validate = validatorCompiler({ schema, httpPart: part, method: route.method, url: route.url });
      const unique = new Map(stringPaths(schema as Json).map((path) => [path.join('/'), path]));
      return [...unique.values()].map((path) => ({
        name: `${route.method} ${route.url} ${part}/${path.join('/')}`,
        path,
        /** The errors at this field when it holds `text` (the other fields may be missing). */
        errorsAt(text: string) {
          const result = validate(valueAt(path, text)) as { error?: FastifySchemaValidationError[] };
          return (result.error ?? []).filter((error) => error.instancePath === `/${path.join('/')}`);
        },
      }));
    }),
  ),
);

/** Fields of text that may span lines; every other string is one line. */
const multiline = new Set(['body/description', 'body/reason']);
const isMultiline = (name: string) => [...multiline].some((field) => name.endsWith(` ${field}`));

describe('every string field of every route', () => {
  it('covers the fields the issue named, in both services', () => {
    const names = fields.map((f) => f.name);
    for (const expected of [
      'PATCH /assets/:id body/title',
      'PATCH /assets/:id body/description',
      'PATCH /assets/:id body/tags/0',
      'POST /internal/assets body/filename',
      'GET /uploads/s3/params querystring/filename',
      'POST /uploads/s3/multipart body/filename',
      'POST /uploads/s3/multipart/:uploadId/complete body/parts/0/ETag',
    ]) {
      expect(names).toContain(expected);
    }
  });

  it.each(fields.map((field) => [field.name, field] as const))(
    '%s refuses text that is not well formed, saying so',
    (_, field) => {
      // A lone high or low surrogate, and an emoji cut in half by a UTF-16 cut.
      for (const text of ['\ud800', 'a\udc00b', `${'a'.repeat(254)}${'😀'.slice(0, 1)}`]) {
        expect(field.errorsAt(text)).toEqual([
          expect.objectContaining({ keyword: 'wellFormed', message: expect.stringContaining('well-formed') }),
        ]);
      }
    },
  );

  it.each(fields.map((field) => [field.name, field] as const))(
    '%s refuses control and bidi formatting characters',
    (name, field) => {
      const breaks = isMultiline(name) ? [] : ['\n', '\r', '\t', '\u2028', '\u2029'];
      const refused = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009b', ...breaks];
      const bidi = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
      for (const character of [...refused, ...bidi]) {
        expect([JSON.stringify(character), field.errorsAt(`a${character}b`).length]).not.toEqual([
          JSON.stringify(character),
          0,
        ]);
      }
    },
  );
});

describe('the text fields', () => {
  const textFields = fields.filter((f) =>
    /(title|description|tags\/0|filename)$/.test(f.name.replace(/^.* (body|querystring)\//, '')),
  );

  it('accept any well-formed printable text: emoji (pairs), accents, RTL with its marks', () => {
    expect(textFields.length).toBeGreaterThanOrEqual(8);
    for (const field of textFields) {
      for (const text of ['😀', 'Ünïcödé', 'שלום\u200f עולם', 'a\u200db']) {
        expect([field.name, text, field.errorsAt(text)]).toEqual([field.name, text, []]);
      }
    }
  });

  it('a description may span lines (TAB, LF, CR); a title may not', () => {
    const description = fields.find((f) => f.name === 'PATCH /assets/:id body/description');
    const title = fields.find((f) => f.name === 'PATCH /assets/:id body/title');
    expect(description?.errorsAt('one\r\ntwo\tthree')).toEqual([]);
    expect(title?.errorsAt('one\r\ntwo')).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^must be one line with no control/) }),
    ]);
  });
});
