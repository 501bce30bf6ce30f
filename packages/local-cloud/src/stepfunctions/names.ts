import { invalidName } from './errors.ts';

// AWS: 1-80 characters; no whitespace, brackets, wildcards, listed punctuation or control characters.
const FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const MAX_NAME_LENGTH = 80;

const isControlCharacter = (code: number) => code <= 0x1f || (code >= 0x7f && code <= 0x9f);

/** Validates a state machine or execution name the way AWS does (`InvalidName`). */
export function assertValidName(name: string): void {
  const hasControlCharacter = [...name].some((char) => isControlCharacter(char.codePointAt(0) ?? 0));
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || FORBIDDEN.test(name) || hasControlCharacter) {
    throw invalidName(name);
  }
}
