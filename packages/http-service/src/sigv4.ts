import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A request as it arrived: `url` is the raw path and query, `headers` as Node parsed them. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** Why a request is refused, named as AWS names it (the `x-amzn-errortype` of its 403). */
export interface SignatureRefusal {
  type: 'MissingAuthenticationTokenException' | 'UnrecognizedClientException' | 'InvalidSignatureException';
  message: string;
}

/** AWS refuses a signature whose `x-amz-date` is more than 5 minutes from its clock. */
const maxSkewMs = 5 * 60 * 1000;
const authorization =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** The bytes the signer hands over (strings, buffers, typed arrays), as node:crypto takes them. */
const bytes = (data: string | ArrayBuffer | ArrayBufferView) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The SHA-256 and HMAC the signer asks for, from node:crypto (what @smithy/hash-node does). */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(',') : value);

/**
 * Checks an AWS Signature Version 4 `Authorization` header as AWS does for an IAM-authorized API:
 * the access key is the expected one, the date is within 5 minutes, and the signature the AWS
 * SDK's own signer computes with the secret key over the headers the caller signed (host and
 * x-amz-date among them), the path, the query and the body equals the one sent. Undefined when
 * the request is authentic.
 */
export async function verifySigV4(
  request: ReceivedRequest,
  credentials: SigningCredentials,
  service: string,
  now = new Date(),
): Promise<SignatureRefusal | undefined> {
  const header = single(request.headers.authorization);
  if (!header)
    return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const match = authorization.exec(header);
  const invalid = (message: string): SignatureRefusal => ({ type: 'InvalidSignatureException', message });
  if (!match) return invalid('The Authorization header is not an AWS Signature Version 4 one.');
  const [, accessKeyId, scopeDate, region, scopeService, signedList, signature] =
    match as unknown as string[];
  if (accessKeyId !== credentials.accessKeyId) {
    return {
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const signedHeaders = (signedList as string).split(';');
  const amzDate = single(request.headers['x-amz-date']) ?? '';
  const dated = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!dated || amzDate.slice(0, 8) !== scopeDate || !signedHeaders.includes('x-amz-date')) {
    return invalid('The request must carry a signed x-amz-date matching the credential scope.');
  }
  if (scopeService !== service || !signedHeaders.includes('host')) {
    return invalid(`Credential should be scoped to a valid service ('${service}') and sign the host header.`);
  }
  const [, y, mo, d, h, mi, s] = dated.map(Number) as number[];
  const signingDate = new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s));
  if (Math.abs(now.getTime() - signingDate.getTime()) > maxSkewMs) {
    return invalid(`Signature expired: ${amzDate} is more than 5 minutes from the server's time.`);
  }
  // The signer takes a signed x-amz-content-sha256 (the SDK sends one) as the body's hash: it must be the body's.
  const declaredHash = single(request.headers['x-amz-content-sha256']);
  if (
    declaredHash !== undefined &&
    declaredHash !== createHash('sha256').update(request.body).digest('hex')
  ) {
    return invalid('The x-amz-content-sha256 header is not the hash of the request body.');
  }
  const url = new URL(request.url, 'http://placeholder');
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const earlier = query[key];
    query[key] = earlier === undefined ? value : [earlier, value].flat();
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = single(request.headers[name]) ?? '';
  const signer = new SignatureV4({
    credentials,
    region: region as string,
    service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: request.url.split('?')[0] as string,
      query,
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization))?.[1] ?? '';
  if (expected.length !== 64 || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature as string))) {
    return invalid(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return undefined;
}
