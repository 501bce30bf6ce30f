export * from './assets/index.ts';
export {
  ErrorBody,
  type ErrorCode,
  errorCodes,
  PublicError,
  type PublicErrorOptions,
  requestIdPattern,
} from './errors.ts';
export { firstCodePoints, MultilineText, Text, textPatternMessages } from './text.ts';
export {
  defaultServiceAudience,
  defaultUserAudience,
  type MintOptions,
  mintServiceToken,
  mintUserToken,
  serviceTokenSource,
} from './tokens.ts';
export * from './uploads/index.ts';
