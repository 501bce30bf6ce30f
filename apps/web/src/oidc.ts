import * as oauth from 'oauth4webapi';
import { SignInError } from './api.ts';
import type { SignInConfig } from './console-config.ts';
import type { Session } from './session.ts';

/**
 * OIDC authorization code + PKCE with a public client (no secret in the browser),
 * against the issuer in /config.json (Cognito by default in AWS). Loaded only
 * when that sign-in is configured, so it is not part of the initial JavaScript.
 */
type OidcConfig = Extract<SignInConfig, { kind: 'oidc' }>;

const pending = 'console.oidc';
const redirectUri = () => `${location.origin}/`;

async function discover(config: OidcConfig) {
  const issuer = new URL(config.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc' }));
}

export async function startSignIn(config: OidcConfig) {
  const as = await discover(config);
  if (!as.authorization_endpoint) throw new Error('The identity provider has no authorization endpoint');
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(pending, JSON.stringify({ verifier, state }));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: config.scope,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  }).toString();
  location.assign(url);
}

/** On the redirect back (`/?code=…&state=…`): exchanges the code for tokens. */
export async function completeSignIn(config: OidcConfig): Promise<Session | undefined> {
  const current = new URL(location.href);
  if (!current.searchParams.has('code') && !current.searchParams.has('error')) return undefined;
  const saved = JSON.parse(sessionStorage.getItem(pending) ?? 'null') as {
    verifier: string;
    state: string;
  } | null;
  sessionStorage.removeItem(pending);
  history.replaceState(null, '', '/');
  if (!saved) throw new SignInError('This sign-in was not started in this tab. Sign in to try again.');
  const as = await discover(config);
  const client: oauth.Client = { client_id: config.clientId };
  const params = validated(as, client, current, saved.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    saved.verifier,
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true });
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (!claims || !result.id_token) throw new Error('The identity provider sent no ID token');
  // The APIs verify the ID token (audience = this client), against the issuer's JWKS.
  return { token: result.id_token, userId: String(claims.email ?? claims.sub), expiresAt: claims.exp * 1000 };
}

/**
 * The redirect's parameters, checked. An error the provider sends back (`?error=access_denied`: the
 * person cancelled, or the provider refused) is said as the provider put it, not as oauth4webapi's
 * "authorization response from the server is an error".
 */
function validated(as: oauth.AuthorizationServer, client: oauth.Client, url: URL, state: string) {
  try {
    return oauth.validateAuthResponse(as, client, url, state);
  } catch (error) {
    if (!(error instanceof oauth.AuthorizationResponseError)) throw error;
    const said = error.error_description ? `"${error.error_description}" (${error.error})` : error.error;
    throw new SignInError(
      `Sign-in did not complete: the identity provider answered ${said}. Sign in to try again.`,
    );
  }
}
