import { textPatternMessages } from '@stateless/contracts';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * Request validation with TypeBox's compiler instead of Fastify's ajv: bodies
 * are checked as sent (ajv's `coerceTypes` would turn `{"title": 42}` into
 * "42", its default `removeAdditional` would drop unknown fields silently),
 * while params and query strings, which are always text, are read as the
 * numbers and booleans their schema names (strictly: see `fromText`) and
 * defaulted. Errors come out in ajv's shape, one per field, which the errors
 * plugin turns into `details`.
 *
 * Before any schema, every string of every part (field names too) must be well-formed Unicode:
 * JSON's `"\ud800"` escape and a client's UTF-16 cut both make text with an unpaired
 * surrogate, which no UTF-8 store, header or log can carry (a filename of one answered 500, a
 * title of one was stored and then failed on every read). Which characters text may hold is
 * the schemas' business (@stateless/contracts, text.ts).
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  const convert = httpPart !== 'body';
  return (value: unknown) => {
    const malformed = notWellFormed(value);
    if (malformed.length > 0) return { error: malformed };
    // Most params and queries are already valid as sent: skip the conversion then.
    if (check.Check(value)) return { value };
    const input = convert ? fromText(schema, value) : value;
    if (check.Check(input)) return { value: input };
    return { error: toAjvErrors(check.Errors(input) as unknown as FastifySchemaValidationError[]) };
  };
};

/** One error per string (or field name) of `value` that is not well-formed Unicode, at its path. */
function notWellFormed(value: unknown, path = ''): FastifySchemaValidationError[] {
  if (typeof value === 'string') return value.isWellFormed() ? [] : [malformedAt(path)];
  if (typeof value !== 'object' || value === null) return [];
  const errors: FastifySchemaValidationError[] = [];
  for (const [name, item] of Object.entries(value)) {
    const itemPath = `${path}/${name}`;
    if (!name.isWellFormed()) errors.push(malformedAt(itemPath));
    else errors.push(...notWellFormed(item, itemPath));
  }
  return errors;
}

const malformedAt = (instancePath: string): FastifySchemaValidationError => ({
  keyword: 'wellFormed',
  instancePath,
  schemaPath: '#',
  params: {},
  message: 'must be well-formed Unicode (it holds an unpaired surrogate, U+D800–U+DFFF)',
});

type TextProperty = { type?: string; default?: unknown };
const decimal = /^-?\d+(\.\d+)?$/;

/**
 * The text of a flat params or query object as its schema's types. Only plain
 * decimals become numbers and only `true`/`false` booleans: TypeBox's
 * `Value.Convert` would also read `limit=true` as 1, `limit=` as 0 and
 * `limit=0x10` as 16, accepting requests a client got wrong.
 */
function fromText(schema: TSchema, value: unknown): unknown {
  const properties = (schema as { properties?: Record<string, TextProperty> }).properties;
  if (!properties || typeof value !== 'object' || value === null) return value;
  const converted: Record<string, unknown> = { ...value };
  for (const [name, property] of Object.entries(properties)) {
    const text = converted[name];
    if (text === undefined) {
      if ('default' in property) converted[name] = property.default;
    } else if (typeof text === 'string') {
      if ((property.type === 'integer' || property.type === 'number') && decimal.test(text)) {
        converted[name] = Number(text);
      } else if (property.type === 'boolean' && (text === 'true' || text === 'false')) {
        converted[name] = text === 'true';
      }
    }
  }
  return converted;
}

function toAjvErrors(errors: FastifySchemaValidationError[]): FastifySchemaValidationError[] {
  return oneErrorPerUnion(errors).flatMap((error) => {
    // TypeBox reports an unknown field twice: as `false` schema and as additionalProperties.
    if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) return [];
    if (error.keyword === 'additionalProperties') {
      const names = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      return names.map((name) => ({ ...error, params: { additionalProperty: name } }));
    }
    if (error.keyword === 'type') return [{ ...error, message: `must be ${typeName(error)}` }];
    // A text field's pattern says which characters it refuses, not the pattern itself.
    const textMessage = error.keyword === 'pattern' && textPatternMessages.get(String(error.params.pattern));
    if (textMessage) return [{ ...error, message: textMessage }];
    return [error];
  });
}

const article = (type: string) =>
  type === 'null' ? 'null' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
const typeName = (error: FastifySchemaValidationError) => article(String(error.params.type));
/**
 * Made on first use, not at import: creating an Intl formatter loads ICU data (~10 ms), which
 * would be paid by every Lambda cold start for a message only an invalid union value needs.
 */
let disjunction: Intl.ListFormat | undefined;
function alternatives(items: string[]) {
  disjunction ??= new Intl.ListFormat('en', { type: 'disjunction' });
  return disjunction.format(items);
}

/**
 * A value that matches no branch of a union (`anyOf`) gets one error, not one
 * per branch plus the union's own: "must be a string or null" when its type
 * fits no branch, else the errors of the branch whose type it has (a title
 * of "" is "too short", not "not null"). Inner unions first.
 */
function oneErrorPerUnion(errors: FastifySchemaValidationError[]) {
  const unions = errors
    .filter((error) => error.keyword === 'anyOf')
    .sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  let result = errors;
  for (const union of unions) {
    const prefix = `${union.schemaPath}/anyOf/`;
    const branches = new Map<string, FastifySchemaValidationError[]>();
    for (const error of result) {
      if (!error.schemaPath.startsWith(prefix)) continue;
      const branch = error.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      branches.set(branch, [...(branches.get(branch) ?? []), error]);
    }
    const misses = [...branches].map(([branch, [first, ...rest]]) =>
      first &&
      rest.length === 0 &&
      first.schemaPath === `${prefix}${branch}` &&
      first.instancePath === union.instancePath &&
      (first.keyword === 'type' || first.keyword === 'const')
        ? first
        : undefined,
    );
    const nearest = [...branches.values()].find((_, index) => misses[index] === undefined);
    const replacement = nearest ?? [
      {
        ...union,
        message: `must be ${alternatives(
          misses.map((miss) =>
            miss?.keyword === 'const' ? JSON.stringify(miss.params.allowedValue) : typeName(miss ?? union),
          ),
        )}`,
      },
    ];
    result = result.flatMap((error) =>
      error === union ? replacement : error.schemaPath.startsWith(prefix) ? [] : [error],
    );
  }
  return result;
}
