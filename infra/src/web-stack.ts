import { join } from 'node:path';
import { CloudfrontDistribution } from '@cdktn/provider-aws/lib/cloudfront-distribution/index.js';
import { CloudfrontFunction } from '@cdktn/provider-aws/lib/cloudfront-function/index.js';
import { CloudfrontOriginAccessControl } from '@cdktn/provider-aws/lib/cloudfront-origin-access-control/index.js';
import { CloudfrontResponseHeadersPolicy } from '@cdktn/provider-aws/lib/cloudfront-response-headers-policy/index.js';
import { CloudwatchLogDelivery } from '@cdktn/provider-aws/lib/cloudwatch-log-delivery/index.js';
import { CloudwatchLogDeliveryDestination } from '@cdktn/provider-aws/lib/cloudwatch-log-delivery-destination/index.js';
import { CloudwatchLogDeliverySource } from '@cdktn/provider-aws/lib/cloudwatch-log-delivery-source/index.js';
import { CognitoUserPool } from '@cdktn/provider-aws/lib/cognito-user-pool/index.js';
import { CognitoUserPoolClient } from '@cdktn/provider-aws/lib/cognito-user-pool-client/index.js';
import { CognitoUserPoolDomain } from '@cdktn/provider-aws/lib/cognito-user-pool-domain/index.js';
import { DataAwsAcmCertificate } from '@cdktn/provider-aws/lib/data-aws-acm-certificate/index.js';
import { DataAwsCloudfrontCachePolicy } from '@cdktn/provider-aws/lib/data-aws-cloudfront-cache-policy/index.js';
import { DataAwsCloudfrontOriginRequestPolicy } from '@cdktn/provider-aws/lib/data-aws-cloudfront-origin-request-policy/index.js';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket/index.js';
import { S3BucketCorsConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-cors-configuration/index.js';
import { S3Object } from '@cdktn/provider-aws/lib/s3-object/index.js';
import { loadEnv, uploadLimitEnv } from '@stateless/config';
import { resourceNames, routes } from '@stateless/topology';
import { hashedFilesDir } from '@stateless/web/build-output';
import type { ConsoleConfig } from '@stateless/web/console-config';
import {
  contentSecurityPolicy,
  frameOption,
  referrerPolicy,
  strictTransportSecurity,
} from '@stateless/web/security-headers';
import { conditional, Fn, Lazy, TerraformIterator, TerraformOutput, Token } from 'cdktn';
import type { Construct } from 'constructs';
import { EnvironmentStack, fromStackDir } from './environment-stack.ts';
import { type Environment, infraDir } from './environments.ts';
import { pathPatterns } from './platform/load-balancers.ts';
import { logPrefixes } from './platform/log-bucket.ts';
import { PrivateBucket } from './platform/private-bucket.ts';
import { createWebAcl } from './platform/web-acl.ts';

/** What the web stack takes from the platform: plain values, never the stack itself. */
export interface WebInputs {
  assetsBucketName: string;
  /** The public ALB as CloudFront reaches it: by its certificate's name over HTTPS when it has one. */
  publicEntry: { domainName: string; https: boolean };
  /** The stage's log archive (platform): S3 access logs of the console bucket, CloudFront's access logs. */
  logBucket: S3Bucket;
}

/** The user pool the console signs in with, as the APIs verify its tokens. */
export interface IdentityOutputs {
  issuer: string;
  jwksUrl: string;
  clientId: string;
}

/** The console's build (apps/web `pnpm build`); synth never reads it, plan uploads what is there. */
export const consoleBuildDir = join(infraDir, '../apps/web/dist');

/** Content types of what Vite emits, by extension (S3 serves what it was told). */
const contentTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  map: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  webmanifest: 'application/manifest+json',
  txt: 'text/plain; charset=utf-8',
};

/** The public listener's routes, sent to the ALB; everything else is the console. */
export const apiPathPatterns = pathPatterns(
  routes.filter((r) => r.listener === 'public').flatMap((r) => r.pathPrefixes),
);

/**
 * What the public entry does with a path that is neither an API's nor the console's, the rule the
 * local load balancer follows too (packages/local-cloud/src/haproxy.ts, apps/web/test/public-entry.test.ts):
 * the console has one page, `/` (its views live in the URL fragment), and its built files are
 * served as built. A path without a file extension other than `/` is no console file: the function
 * answers it with the services' JSON 404 (CloudFront's request id as the request id). A missing
 * file is S3's 404 (the distribution may list the bucket, so S3 says NoSuchKey, not AccessDenied).
 * Not a custom error response: those apply to every origin and would rewrite the APIs' own 403/404.
 */
export const consoleRouting = `function handler(event) {
  var request = event.request;
  if (request.uri === '/') { request.uri = '/index.html'; return request; }
  if (request.uri.lastIndexOf('.') > request.uri.lastIndexOf('/')) return request;
  var id = event.context.requestId;
  return {
    statusCode: 404,
    statusDescription: 'Not Found',
    headers: { 'content-type': { value: 'application/json' }, 'x-request-id': { value: id } },
    body: { encoding: 'text', data: JSON.stringify({ error: { code: 'NotFound', message: 'No route for this path', requestId: id } }) }
  };
}`;

/**
 * The web console: its built files in a private bucket that only this distribution reads
 * (origin access control), CloudFront in front of the bucket and of the public ALB (the
 * API routes), so the browser sees one origin and only presigned S3 requests are
 * cross-origin (the assets bucket's CORS, owned here with the console's origin). Security
 * headers from apps/web/security-headers.ts as a response headers policy, a WAF, access
 * logs, and a Cognito user pool for the console's sign-in (authorization code + PKCE).
 */
export class WebStack extends EnvironmentStack {
  readonly distribution: CloudfrontDistribution;
  readonly consoleUrl: string;
  readonly identity: IdentityOutputs;

  constructor(scope: Construct, environment: Environment, inputs: WebInputs) {
    super(scope, 'web', environment);
    const { stage, region, web } = environment;

    const users = new CognitoUserPool(this, 'users', {
      name: `${stage}-users`,
      usernameAttributes: ['email'],
      autoVerifiedAttributes: ['email'],
      passwordPolicy: {
        minimumLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireNumbers: true,
        requireSymbols: false,
        temporaryPasswordValidityDays: 3,
      },
      mfaConfiguration: 'OPTIONAL',
      softwareTokenMfaConfiguration: { enabled: true },
      accountRecoverySetting: { recoveryMechanism: [{ name: 'verified_email', priority: 1 }] },
      deletionProtection: environment.deletionProtection ? 'ACTIVE' : 'INACTIVE',
    });
    const signInDomain = new CognitoUserPoolDomain(this, 'users-domain', {
      domain: web.identityDomainPrefix,
      userPoolId: users.id,
    });
    const issuer = `https://cognito-idp.${region}.amazonaws.com/${users.id}`;

    const consoleBucket = new PrivateBucket(this, 'console', {
      name: `${stage}-stateless-console`,
      forceDestroy: true, // every file is rebuilt from the repository
      noncurrentVersionDays: 7,
      accessLogsTo: inputs.logBucket,
      statements: (arn) => [
        {
          Sid: 'CloudFrontReadsTheConsole',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          // ListBucket makes a missing file S3's 404 rather than a 403 (AccessDenied).
          Action: ['s3:GetObject', 's3:ListBucket'],
          Resource: [`${arn}/*`, arn],
          // The distribution is built after the bucket it reads (its origin); resolved at synth.
          Condition: {
            StringEquals: { 'AWS:SourceArn': Lazy.stringValue({ produce: () => this.distribution.arn }) },
          },
        },
      ],
    });
    const bucket = consoleBucket.bucket;
    const originAccess = new CloudfrontOriginAccessControl(this, 'console-access', {
      name: `${stage}-console`,
      description: 'CloudFront signs its reads of the console bucket',
      originAccessControlOriginType: 's3',
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    });

    // Presigned URLs name the bucket in the host (the name is the stage's, known before deploy).
    const assetsBucket = resourceNames(stage).assetsBucket;
    const storageOrigins = [
      `https://${assetsBucket}.s3.${region}.amazonaws.com`,
      `https://${assetsBucket}.s3.amazonaws.com`,
    ];
    const identityOrigins = [
      `https://cognito-idp.${region}.amazonaws.com`,
      `https://${web.identityDomainPrefix}.auth.${region}.amazoncognito.com`,
    ];
    const headers = new CloudfrontResponseHeadersPolicy(this, 'security-headers', {
      name: `${stage}-console-security-headers`,
      comment: 'apps/web/security-headers.ts: the headers the browser tests run under',
      securityHeadersConfig: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy({
            storage: storageOrigins,
            identity: identityOrigins,
          }),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAgeSec: strictTransportSecurity.maxAgeSeconds,
          includeSubdomains: strictTransportSecurity.includeSubdomains,
          preload: strictTransportSecurity.preload,
          override: true,
        },
        frameOptions: { frameOption, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy, override: true },
      },
    });
    const routing = new CloudfrontFunction(this, 'console-routing', {
      name: `${stage}-console-routing`,
      runtime: 'cloudfront-js-2.0',
      comment: 'The console is / and its files; any other path without an extension is a JSON 404',
      publish: true,
      code: consoleRouting,
    });
    const cached = new DataAwsCloudfrontCachePolicy(this, 'caching-optimized', {
      name: 'Managed-CachingOptimized',
    });
    const uncached = new DataAwsCloudfrontCachePolicy(this, 'caching-disabled', {
      name: 'Managed-CachingDisabled',
    });
    // Everything the API reads (Authorization, If-Match, query string), but not Host: the ALB's name is the origin's.
    const forwardAll = new DataAwsCloudfrontOriginRequestPolicy(this, 'all-viewer-except-host', {
      name: 'Managed-AllViewerExceptHostHeader',
    });
    const certificate =
      web.domain &&
      new DataAwsAcmCertificate(this, 'certificate', {
        domain: web.domain,
        statuses: ['ISSUED'],
        mostRecent: true,
      });
    const acl = createWebAcl(this, 'console', {
      scope: 'CLOUDFRONT',
      stage,
      waf: environment.waf,
      logRetentionDays: environment.logRetentionDays,
    });
    const api = 'public-alb';
    this.distribution = new CloudfrontDistribution(this, 'cdn', {
      enabled: true,
      comment: `${stage} console and API`,
      isIpv6Enabled: true,
      httpVersion: 'http2and3',
      priceClass: 'PriceClass_100',
      defaultRootObject: 'index.html',
      webAclId: acl.arn,
      ...(web.domain ? { aliases: [web.domain] } : {}),
      origin: [
        {
          originId: 'console',
          domainName: bucket.bucketRegionalDomainName,
          originAccessControlId: originAccess.id,
        },
        {
          originId: api,
          domainName: inputs.publicEntry.domainName,
          customOriginConfig: {
            httpPort: 80,
            httpsPort: 443,
            // Plain HTTP only to an ALB without a certificate (a stage without a domain).
            originProtocolPolicy: inputs.publicEntry.https ? 'https-only' : 'http-only',
            originSslProtocols: ['TLSv1.2'],
          },
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: 'console',
        viewerProtocolPolicy: 'redirect-to-https',
        allowedMethods: ['GET', 'HEAD'],
        cachedMethods: ['GET', 'HEAD'],
        compress: true,
        cachePolicyId: cached.id,
        responseHeadersPolicyId: headers.id,
        functionAssociation: [{ eventType: 'viewer-request', functionArn: routing.arn }],
      },
      orderedCacheBehavior: apiPathPatterns.map((pathPattern) => ({
        pathPattern,
        targetOriginId: api,
        viewerProtocolPolicy: 'https-only',
        allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
        cachedMethods: ['GET', 'HEAD'],
        compress: true,
        cachePolicyId: uncached.id,
        originRequestPolicyId: forwardAll.id,
      })),
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: certificate
        ? {
            acmCertificateArn: certificate.arn,
            sslSupportMethod: 'sni-only',
            minimumProtocolVersion: 'TLSv1.2_2021',
          }
        : { cloudfrontDefaultCertificate: true },
    });
    this.consoleUrl = web.domain ? `https://${web.domain}` : `https://${this.distribution.domainName}`;

    const consoleClient = new CognitoUserPoolClient(this, 'console-client', {
      name: `${stage}-console`,
      userPoolId: users.id,
      generateSecret: false, // a browser app: PKCE instead of a secret
      allowedOauthFlowsUserPoolClient: true,
      allowedOauthFlows: ['code'],
      allowedOauthScopes: ['openid', 'email', 'profile'],
      supportedIdentityProviders: ['COGNITO'],
      callbackUrls: [`${this.consoleUrl}/`],
      logoutUrls: [`${this.consoleUrl}/`],
      explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      preventUserExistenceErrors: 'ENABLED',
      enableTokenRevocation: true,
      idTokenValidity: 60,
      accessTokenValidity: 60,
      refreshTokenValidity: 30,
      tokenValidityUnits: [{ idToken: 'minutes', accessToken: 'minutes', refreshToken: 'days' }],
    });
    this.identity = { issuer, jwksUrl: `${issuer}/.well-known/jwks.json`, clientId: consoleClient.id };

    const buildDir = fromStackDir(this, consoleBuildDir);
    const files = TerraformIterator.fromList(Fn.fileset(buildDir, '**'));
    const source = `${buildDir}/${files.value}`;
    new S3Object(this, 'console-files', {
      forEach: files,
      bucket: bucket.id,
      key: files.value,
      source,
      etag: Fn.filemd5(source),
      contentType: Fn.lookup(contentTypes, Fn.regex('[^.]*$', files.value), 'application/octet-stream'),
      // The build names what it emits under hashedFilesDir by content hash; the rest must be revalidated.
      cacheControl: Token.asString(
        conditional(
          Fn.startswith(files.value, `${hashedFilesDir}/`),
          'public, max-age=31536000, immutable',
          'no-cache',
        ),
      ),
    });
    const config: ConsoleConfig = {
      signIn: { kind: 'oidc', issuer, clientId: consoleClient.id, scope: 'openid email profile' },
      // The upload service's own limit (its setting or its default), so Uppy refuses what it would.
      maxUploadBytes: loadEnv(uploadLimitEnv, environment.appSettings['upload-service']).MAX_UPLOAD_BYTES,
    };
    new S3Object(this, 'console-config', {
      bucket: bucket.id,
      key: 'config.json',
      content: JSON.stringify(config),
      contentType: 'application/json',
      cacheControl: 'no-cache',
    });

    // Browsers upload straight to the assets bucket from the console's origin.
    new S3BucketCorsConfiguration(this, 'assets-cors', {
      bucket: inputs.assetsBucketName,
      corsRule: [
        {
          // PUT: presigned single uploads and multipart parts; POST: presigned POST forms.
          allowedMethods: ['PUT', 'POST', 'GET', 'HEAD'],
          allowedOrigins: [this.consoleUrl, ...environment.bucket.corsAllowedOrigins],
          allowedHeaders: ['*'],
          // Multipart clients read each part's ETag.
          exposeHeaders: ['ETag'],
          maxAgeSeconds: 3000,
        },
      ],
    });

    // Standard logging v2: CloudWatch's log delivery writes to the log bucket without ACLs.
    const logSource = new CloudwatchLogDeliverySource(this, 'access-log-source', {
      name: `${stage}-console-access`,
      logType: 'ACCESS_LOGS',
      resourceArn: this.distribution.arn,
    });
    const logDestination = new CloudwatchLogDeliveryDestination(this, 'access-log-destination', {
      name: `${stage}-console-access-s3`,
      deliveryDestinationConfiguration: [
        { destinationResourceArn: `${inputs.logBucket.arn}/${logPrefixes.cloudfront}` },
      ],
    });
    new CloudwatchLogDelivery(this, 'access-logs', {
      deliverySourceName: logSource.name,
      deliveryDestinationArn: logDestination.arn,
    });

    new TerraformOutput(this, 'console-url', { value: this.consoleUrl });
    new TerraformOutput(this, 'sign-in-domain', {
      value: `https://${signInDomain.domain}.auth.${region}.amazoncognito.com`,
    });
  }
}
