import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

/**
 * Request validation with TypeBox's compiler instead of Fastify's ajv: bodies
 * are checked as sent (ajv's `coerceTypes` would turn `{"title": 42}` into
 * "42", its default `removeAdditional` would drop unknown fields silently),
 * while params and query strings, which are always text, are converted and
 * defaulted. Errors come out in ajv's shape, which the errors plugin turns
 * into `details`.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  const convert = httpPart !== 'body';
  return (value: unknown) => {
    // Most params and queries are already valid as sent: skip the (interpretive) conversion then.
    if (check.Check(value)) return { value };
    const input = convert ? Value.Default(schema, Value.Convert(schema, value)) : value;
    if (check.Check(input)) return { value: input };
    return { error: toAjvErrors(check.Errors(input) as unknown as FastifySchemaValidationError[]) };
  };
};

function toAjvErrors(errors: FastifySchemaValidationError[]): FastifySchemaValidationError[] {
  return errors.flatMap((error) => {
    // TypeBox reports an unknown field twice: as `false` schema and as additionalProperties.
    if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) return [];
    if (error.keyword === 'additionalProperties') {
      const names = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      return names.map((name) => ({ ...error, params: { additionalProperty: name } }));
    }
    return [error];
  });
}
