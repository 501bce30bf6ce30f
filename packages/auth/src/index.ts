export { authPlugin } from './plugin.ts';
export { type AuthSettings, bearerOf, createVerifier, type Principal, type Verifier } from './verifier.ts';
