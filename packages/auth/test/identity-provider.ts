import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * A stand-in for the identity provider of AWS (Cognito): an RS256 key whose public half is
 * served as a JWKS over HTTP, where a verifier's AUTH_JWKS_URL fetches it, and user tokens
 * signed with the private half. For tests of the JWKS mode, which HS256 tests never reach.
 */
export async function startIdentityProvider(issuer = 'https://idp.test') {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-key', alg: 'RS256', use: 'sig' };
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    issuer,
    /** A token as the provider issues it to a signed-in user. */
    userToken: (sub: string, audience: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: 'idp-key' })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
