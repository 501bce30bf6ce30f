import { validationError } from './errors.ts';

/** A parsed request body: AWS JSON 1.0 bodies are always JSON objects. */
export type RequestBody = Record<string, unknown>;

const constraint = (field: string, value: unknown, rule: string) =>
  validationError(
    `1 validation error detected: Value ${JSON.stringify(value) ?? 'null'} at '${field}' failed to satisfy constraint: ${rule}`,
  );

export function requiredString(body: RequestBody, field: string): string {
  const value = body[field];
  if (value === undefined || value === null) throw constraint(field, null, 'Member must not be null');
  if (typeof value !== 'string') throw constraint(field, value, 'Member must be a string');
  return value;
}

export function optionalString(body: RequestBody, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw constraint(field, value, 'Member must be a string');
  return value;
}

export function optionalInteger(
  body: RequestBody,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw constraint(field, value, `Member must be an integer between ${min} and ${max}`);
  }
  return value;
}

export function optionalBoolean(body: RequestBody, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw constraint(field, value, 'Member must be a boolean');
  return value;
}

export function optionalEnum<T extends string>(
  body: RequestBody,
  field: string,
  allowed: readonly T[],
): T | undefined {
  const value = optionalString(body, field);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw constraint(field, value, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return value as T;
}

export function maxLength(field: string, value: string, limit: number): void {
  if (Buffer.byteLength(value) > limit) {
    throw constraint(field, '<redacted>', `Member must have length less than or equal to ${limit}`);
  }
}
