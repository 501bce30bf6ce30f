/// <reference path="./asl-validator.d.ts" />
import validateAsl from 'asl-validator';

/**
 * Validates an ASL definition as CreateStateMachine does (missing Next, bad
 * paths, unreachable states); each problem as `'<CODE>: <detail>'`.
 */
export function validateDefinition(definition: unknown): string[] {
  // asl-validator writes default QueryLanguage fields into what it is given.
  const { isValid, errors } = validateAsl(structuredClone(definition));
  return isValid ? [] : errors.map((error) => `${error['Error code']}: ${error.Message}`);
}
