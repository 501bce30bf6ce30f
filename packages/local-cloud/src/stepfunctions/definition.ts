import { validateDefinition } from '@stateless/workflows';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { invalidDefinition } from './errors.ts';

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses and validates an ASL definition, failing with `InvalidDefinition` the way
 * CreateStateMachine does in AWS (message: `'<CODE>: <detail>'`).
 */
export function parseDefinition(source: string): StateMachineDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    throw invalidDefinition(`INVALID_JSON_DESCRIPTION: ${(error as Error).message}`);
  }
  if (!isJsonObject(parsed))
    throw invalidDefinition('SCHEMA_VALIDATION_FAILED: The definition must be an object');

  const problems = validateDefinition(parsed);
  if (problems.length > 0) throw invalidDefinition(problems.join(', '));
  // aws-local-stepfunctions passes JSONata states through without evaluating them; refusing
  // them here is better than running them wrongly.
  if (usesJsonata(parsed)) {
    throw invalidDefinition(
      'UNSUPPORTED_FEATURE: QueryLanguage JSONata is not supported by the local server',
    );
  }
  return parsed as unknown as StateMachineDefinition;
}

function usesJsonata(definition: JsonObject): boolean {
  if (definition.QueryLanguage === 'JSONata') return true;
  return allStates(definition).some(({ state }) => state.QueryLanguage === 'JSONata');
}

export interface NamedState {
  name: string;
  state: JsonObject;
}

/** Every state of the definition, including those inside Map processors and Parallel branches. */
export function allStates(definition: unknown): NamedState[] {
  if (!isJsonObject(definition) || !isJsonObject(definition.States)) return [];
  const found: NamedState[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (!isJsonObject(state)) continue;
    found.push({ name, state });
    found.push(...allStates(state.ItemProcessor), ...allStates(state.Iterator));
    if (Array.isArray(state.Branches)) for (const branch of state.Branches) found.push(...allStates(branch));
  }
  return found;
}
