import Type, { type Static, type TObject } from 'typebox';
import Value from 'typebox/value';
import { ConfigError } from './errors.ts';

export type Env = Record<string, string | undefined>;

/**
 * Validates `env` against an app's schema and returns the typed values; a
 * problem throws a ConfigError naming every one. Without `env` it reads the
 * process's own environment, as a process starts: then a problem is written
 * to stderr as that one message, with no stack trace (the problems are the
 * whole story), and the process exits with code 1.
 * This module and `env.ts` are the only places that touch `process.env`.
 */
export function loadEnv<S extends TObject>(schema: S, env?: Env): Static<S> {
  if (env !== undefined) return parseEnv(schema, env);
  try {
    return parseEnv(schema, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

function parseEnv<S extends TObject>(schema: S, env: Env): Static<S> {
  const known: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.properties)) {
    const raw = env[name];
    // An empty variable means "not set", as in most deployment tools.
    if (raw === undefined || raw === '') continue;
    // TypeBox converts "1.5" to the integer 1 (and "0x10" to 16): an integer is taken only as
    // written in decimal digits, anything else stays a string and is refused, naming it.
    known[name] = Type.IsInteger(field) && !/^-?\d+$/.test(raw) ? raw : Value.Convert(field, raw);
  }
  const value = Value.Default(schema, known);
  const errors = [...Value.Errors(schema, value)];
  const problems = errors.flatMap((error) => {
    if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties: string[] }).requiredProperties;
      return missing.map((variable) => ({ variable, message: 'is required but not set' }));
    }
    const variable = error.instancePath.replace(/^\//, '').split('/')[0];
    // A rule across variables (e.g. "exactly one of A or B") has no single variable to name.
    if (!variable) return [{ variable: '(combination)', message: error.message }];
    return [{ variable, message: `${error.message} (got ${JSON.stringify(known[variable])})` }];
  });
  // TypeBox checks the rules across variables (Type.Refine) only once every variable is valid:
  // check them here too, so a start-up reports all its problems in one go, not in two rounds.
  if (errors.length > 0 && !errors.some((error) => error.keyword === '~refine') && Type.IsRefine(schema)) {
    for (const rule of schema['~refine']) {
      if (!rule.check(value)) problems.push({ variable: '(combination)', message: rule.error(value) });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return value as Static<S>;
}

/** The variable names an app reads: infra must provide each one it does not default. */
export function variablesOf(schema: TObject): { name: string; required: boolean }[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, field]) => ({
    name,
    required: required.has(name) && !('default' in field),
  }));
}
