import Type, { type TStringOptions } from 'typebox';

/**
 * What characters text fields hold, written once for both services. Every string a request
 * carries must also be well-formed Unicode (no unpaired surrogate), whatever its schema: the
 * services' validator checks that for every field (packages/http-service/src/validation.ts).
 *
 * Refused in every text field: C0 controls U+0000–U+001F (NUL, ESC, CR, LF, TAB, …), DEL and
 * the C1 controls U+007F–U+009F, and the bidirectional embeddings, overrides and isolates
 * U+202A–U+202E and U+2066–U+2069, which make shown text read other than it is stored (a
 * filename `photo\u202Egnp.exe` shows as `photoexe.png`). A single line (title, tag, filename,
 * …) also refuses the line and paragraph separators U+2028 and U+2029; a description may hold
 * TAB, LF and CR. The bidi marks LRM, RLM and ALM (U+200E, U+200F, U+061C), zero-width joiners
 * and everything else printable are accepted.
 *
 * Patterns, not code, so the OpenAPI documents say it too (a fuzzer generates only what the
 * pattern allows). They need no `u` flag to be right: every range is of the BMP outside the
 * surrogates, so a pair (an emoji) passes unit by unit.
 */
const formatting = String.raw`\u007f-\u009f\u202a-\u202e\u2066-\u2069`;
const singleLine = String.raw`^[^\u0000-\u001f\u2028\u2029${formatting}]*$`;
const multiLineRefused = String.raw`\u0000-\u0008\u000b\u000c\u000e-\u001f${formatting}`;
const multiLine = `^[^${multiLineRefused}]*$`;

const refused = 'U+0000–U+001F, U+007F–U+009F, U+202A–U+202E, U+2066–U+2069';
/** What each text pattern refuses, said plainly: the validator's message when one fails. */
export const textPatternMessages: ReadonlyMap<string, string> = new Map([
  [singleLine, `must be one line with no control or bidi formatting character (${refused}, U+2028, U+2029)`],
  [multiLine, `must hold no control or bidi formatting character but TAB, LF and CR (${refused})`],
]);

const oneLine = new RegExp(singleLine, 'u');
/** Whether `text` is well formed and `Text` takes it (a token's subject becomes an asset's ownerId). */
export const isOneLineText = (text: string) => text.isWellFormed() && oneLine.test(text);

/** One line of text: no control, line-breaking or bidi formatting character. */
export const Text = (options: TStringOptions = {}) => Type.String({ ...options, pattern: singleLine });

/** Text that may span lines (TAB, LF, CR), otherwise as `Text`. */
export const MultilineText = (options: TStringOptions = {}) =>
  Type.String({ ...options, pattern: multiLine });

/**
 * The first `max` code points of `text`. A cut by UTF-16 unit (`slice`) can split a surrogate
 * pair and leave text that is not well formed, which every service then refuses.
 */
export const firstCodePoints = (text: string, max: number) => Array.from(text).slice(0, max).join('');

/**
 * Text we pass on but did not write (an image library's error message) as `MultilineText` takes
 * it: well formed, each refused character replaced by U+FFFD, at most `max` code points (a longer
 * text cut, ending in an ellipsis).
 */
export function asMultilineText(text: string, max: number) {
  const clean = text.toWellFormed().replace(new RegExp(`[${multiLineRefused}]`, 'gu'), '\ufffd');
  const codePoints = Array.from(clean);
  return codePoints.length > max ? `${codePoints.slice(0, max - 1).join('')}…` : clean;
}
