/**
 * The console's security headers, written once: CloudFront's response headers
 * policy (infra/src/web-stack.ts) and the local server (vite.config.ts) both
 * build theirs from here, so the browser tests run under the CSP that ships.
 */

export interface ConsoleOrigins {
  /** Where presigned S3 URLs point (uploads, thumbnails, downloads). */
  storage: readonly string[];
  /** The identity provider (token endpoint, discovery); none for the local dev sign-in. */
  identity: readonly string[];
}

/** Everything the SPA loads comes from its own origin; only S3 and the identity provider are elsewhere. */
export function contentSecurityPolicy(origins: ConsoleOrigins): string {
  const external = [...origins.storage, ...origins.identity];
  return [
    "default-src 'self'",
    "script-src 'self'",
    // The built console has no inline styles.
    "style-src 'self'",
    `img-src 'self' data: blob: ${origins.storage.join(' ')}`.trim(),
    `connect-src 'self' ${external.join(' ')}`.trim(),
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const strictTransportSecurity = { maxAgeSeconds: 63_072_000, includeSubdomains: true, preload: true };
export const referrerPolicy = 'strict-origin-when-cross-origin';
export const frameOption = 'DENY';

/** The headers as a plain map, for a local server. HSTS is left out: it only means something over HTTPS. */
export function securityHeaders(origins: ConsoleOrigins): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(origins),
    'x-frame-options': frameOption,
    'x-content-type-options': 'nosniff',
    'referrer-policy': referrerPolicy,
  };
}
