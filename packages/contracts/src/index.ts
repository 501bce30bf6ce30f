export * from './assets/index.ts';
export {
  ErrorBody,
  type ErrorCode,
  errorCodes,
  PublicError,
  type PublicErrorOptions,
  requestIdPattern,
} from './errors.ts';
export {
  asMultilineText,
  firstCodePoints,
  isOneLineText,
  MultilineText,
  Text,
  textPatternMessages,
} from './text.ts';
export {
  defaultMaxTokenLifetimeSeconds,
  defaultServiceAudience,
  defaultUserAudience,
  localUserIssuer,
  type MintOptions,
  mintServiceToken,
  mintUserToken,
  serviceTokenSeconds,
  serviceTokenSource,
} from './tokens.ts';
export * from './uploads/index.ts';
