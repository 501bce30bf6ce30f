/**
 * What the console reads from `/config.json` at start, so one build runs in
 * every environment: locally the dev server answers it, in AWS infra writes it
 * to the bucket next to the built files.
 */
export type SignInConfig =
  /** `pnpm dev`: any user id, token minted by the local server. */
  | { kind: 'dev' }
  /** OIDC authorization code + PKCE (Cognito in AWS). The console sends the ID token as bearer. */
  | { kind: 'oidc'; issuer: string; clientId: string; scope: string };

export interface ConsoleConfig {
  signIn: SignInConfig;
  /** The upload service's MAX_UPLOAD_BYTES: Uppy refuses a larger file before a byte is sent. */
  maxUploadBytes: number;
}

/** Where the dev server mints tokens (never deployed: the static bucket has no such route). */
export const devSignInPath = '/dev/sign-in';
