export { ErrorBody, PublicError, type PublicErrorOptions } from './errors.ts';
