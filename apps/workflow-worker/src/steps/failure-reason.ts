import { asMultilineText } from '@stateless/contracts';
import type { CaughtError } from '@stateless/workflows';

const maxReason = 1000;

/** Reasons a user can act on, for the errors the pipeline names; anything else is ours. */
const reasonByError: Record<string, (message: string) => string> = {
  UnsupportedMedia: (message) => `The file could not be processed: ${message}`,
  // Already a sentence for the user: "The file's contents are not a PNG image (…)".
  UnacceptedFile: (message) => message,
  ObjectMissing: () => 'The uploaded file was not found; upload it again',
  ValidationError: () => 'Processing failed on our side (invalid step input)',
  AssetNotProcessable: (message) => message,
  'States.Timeout': () => 'Processing took too long',
};

/**
 * The user-readable reason of a Catch's `$.error`: `Error` is the errorType and `Cause`
 * the Lambda function error as JSON (`{ errorType, errorMessage }`), or plain text.
 */
export function failureReason(error: CaughtError): string {
  let message = error.Cause ?? '';
  try {
    const cause = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof cause.errorMessage === 'string') message = cause.errorMessage;
  } catch {
    // A Cause that is not JSON (States.* errors) is already text.
  }
  const known = reasonByError[error.Error];
  const reason = known ? known(message) : 'Processing failed on our side; try uploading again later';
  // As the data API takes a reason: a library's message may hold anything, a UTF-16 cut split a pair.
  return asMultilineText(reason, maxReason);
}
