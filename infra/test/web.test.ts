import { uploadRules } from '@stateless/contracts';
import { resourceNames } from '@stateless/topology';
import { hashedFilesDir } from '@stateless/web/build-output';
import { contentSecurityPolicy } from '@stateless/web/security-headers';
import { describe, expect, it } from 'vitest';
import { type EnvironmentName, environments } from '../src/environments.ts';
import { consoleRouting } from '../src/web-stack.ts';
import { type Block, onlyResource, resolveRefs, resources, stack } from './synth.ts';

const web = (environment: EnvironmentName = 'dev') => stack('web', environment);
const distributionOf = (environment: EnvironmentName = 'dev') =>
  onlyResource(web(environment), 'aws_cloudfront_distribution');
const consoleBucketOf = (environment: EnvironmentName) =>
  resources(web(environment), 'aws_s3_bucket').find(([, b]) =>
    String(b.bucket).endsWith('-stateless-console'),
  );
const uploadSettings = (environment: EnvironmentName): Readonly<Record<string, string>> =>
  environments[environment].appSettings['upload-service'];
const resolved = (value: unknown, environment: EnvironmentName = 'dev') =>
  resolveRefs(typeof value === 'string' ? value : JSON.stringify(value), 'web', environment);

describe.each(['dev', 'prod'] as const)('the %s web stack', (environment) => {
  it("caches forever only the build's content-hashed files (under hashedFilesDir, not the API's /assets)", () => {
    const built = resources(web(environment), 'aws_s3_object').filter(([, o]) => o.for_each !== undefined);
    expect(built).toHaveLength(1);
    const cacheControl = String(built[0]?.[1].cache_control);
    expect(cacheControl).toContain(`startswith(each.value, "${hashedFilesDir}/")`);
    expect(cacheControl).toContain('immutable');
    expect(cacheControl).not.toContain('"assets/"');
  });

  it('keeps the console bucket private: only this distribution reads it, through origin access control', () => {
    const [bucketId] = consoleBucketOf(environment) ?? ['no console bucket'];
    const [, block] = onlyResource(web(environment), 'aws_s3_bucket_public_access_block');
    expect(block).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    const [, policy] = onlyResource(web(environment), 'aws_s3_bucket_policy');
    const statements = JSON.parse(resolved(policy.policy, environment)).Statement as Block[];
    const allows = statements.filter((s) => s.Effect === 'Allow');
    const [distributionId] = distributionOf(environment);
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: ['s3:GetObject', 's3:ListBucket'],
        Condition: {
          StringEquals: { 'AWS:SourceArn': `\${web:aws_cloudfront_distribution.${distributionId}.arn}` },
        },
      }),
    ]);
    const [, distribution] = distributionOf(environment);
    const origins = distribution.origin as Block[];
    const bucketOrigin = origins.find((o) => o.origin_id === 'console');
    expect(resolved(bucketOrigin?.domain_name, environment)).toBe(
      `\${web:aws_s3_bucket.${bucketId}.bucket_regional_domain_name}`,
    );
    const [oacId] = onlyResource(web(environment), 'aws_cloudfront_origin_access_control');
    expect(resolved(bucketOrigin?.origin_access_control_id, environment)).toBe(
      `\${web:aws_cloudfront_origin_access_control.${oacId}.id}`,
    );
  });

  it('sends /uploads* and /assets* to the public ALB, uncached, with every viewer header but Host', () => {
    const [, distribution] = distributionOf(environment);
    const behaviours = distribution.ordered_cache_behavior as Block[];
    const toAlb = behaviours.filter((b) => b.target_origin_id === 'public-alb').map((b) => b.path_pattern);
    expect(toAlb).toEqual(expect.arrayContaining(['/uploads', '/uploads/*', '/assets', '/assets/*']));
    expect(behaviours.every((b) => String(b.allowed_methods).includes('PATCH'))).toBe(true);
    const alb = (distribution.origin as Block[]).find((o) => o.origin_id === 'public-alb');
    const config = alb?.custom_origin_config as Block;
    if (environment === 'prod') {
      // The ALB's certificate name, over HTTPS only.
      expect(alb?.domain_name).toBe('api.example.com');
      expect(config.origin_protocol_policy).toBe('https-only');
    } else {
      expect(resolved(alb?.domain_name)).toMatch(/^\$\{platform:aws_lb\.[^.]+\.dns_name\}$/);
      expect(config.origin_protocol_policy).toBe('http-only');
    }
  });

  it('attaches the response headers policy built from apps/web/security-headers.ts', () => {
    const [, distribution] = distributionOf(environment);
    const [policyId, policy] = onlyResource(web(environment), 'aws_cloudfront_response_headers_policy');
    const behaviour = distribution.default_cache_behavior as Block;
    expect(resolved(behaviour.response_headers_policy_id, environment)).toBe(
      `\${web:aws_cloudfront_response_headers_policy.${policyId}.id}`,
    );
    const config = policy.security_headers_config as Block;
    const csp = (config.content_security_policy as Block).content_security_policy as string;
    const bucket = resourceNames(environment).assetsBucket;
    expect(csp).toBe(
      contentSecurityPolicy({
        storage: [`https://${bucket}.s3.us-east-1.amazonaws.com`, `https://${bucket}.s3.amazonaws.com`],
        identity: [
          'https://cognito-idp.us-east-1.amazonaws.com',
          `https://${environment === 'prod' ? 'stateless-stack' : 'stateless-stack-dev'}.auth.us-east-1.amazoncognito.com`,
        ],
      }),
    );
    expect(csp).toContain("frame-ancestors 'none'");
    expect(config.strict_transport_security).toMatchObject({ include_subdomains: true, preload: true });
    expect(config.frame_options).toMatchObject({ frame_option: 'DENY' });
  });

  it('serves the console under its own name with TLS 1.2+ when the stage has one', () => {
    const [, distribution] = distributionOf(environment);
    const certificate = distribution.viewer_certificate as Block;
    if (environment === 'prod') {
      expect(distribution.aliases).toEqual(['app.example.com']);
      expect(certificate.minimum_protocol_version).toBe('TLSv1.2_2021');
    } else {
      expect(certificate.cloudfront_default_certificate).toBe(true);
    }
    expect((distribution.default_cache_behavior as Block).viewer_protocol_policy).toBe('redirect-to-https');
    expect(String(distribution.web_acl_id)).toMatch(/aws_wafv2_web_acl/);
  });

  it("gives the console its sign-in: a PKCE code-flow client whose callback is the console's URL", () => {
    const [, client] = onlyResource(web(environment), 'aws_cognito_user_pool_client');
    expect(client).toMatchObject({ generate_secret: false, allowed_oauth_flows: ['code'] });
    const consoleUrl =
      environment === 'prod'
        ? 'https://app.example.com'
        : `https://\${web:aws_cloudfront_distribution.${distributionOf(environment)[0]}.domain_name}`;
    expect((client.callback_urls as string[]).map((u) => resolved(u, environment))).toEqual([
      `${consoleUrl}/`,
    ]);
    const config = resources(web(environment), 'aws_s3_object').find(([, o]) => o.key === 'config.json');
    const [poolId] = onlyResource(web(environment), 'aws_cognito_user_pool');
    expect(JSON.parse(resolved(config?.[1].content, environment))).toMatchObject({
      signIn: {
        kind: 'oidc',
        issuer: `https://cognito-idp.us-east-1.amazonaws.com/\${web:aws_cognito_user_pool.${poolId}.id}`,
      },
      // The upload service's limit: its MAX_UPLOAD_BYTES in this stage, or the default it reads.
      maxUploadBytes: Number(uploadSettings(environment).MAX_UPLOAD_BYTES ?? uploadRules.maxFileSize),
    });
    // Browsers upload to the assets bucket from the console's origin.
    const [, cors] = onlyResource(web(environment), 'aws_s3_bucket_cors_configuration');
    const [rule] = cors.cors_rule as [Block];
    expect((rule.allowed_origins as string[]).map((o) => resolved(o, environment))).toEqual([consoleUrl]);
    expect(rule.expose_headers).toContain('ETag');
  });

  it("makes the APIs accept the user pool's ID tokens: its JWKS, issuer and the console client as audience", () => {
    const [poolId] = onlyResource(web(environment), 'aws_cognito_user_pool');
    const [clientId] = onlyResource(web(environment), 'aws_cognito_user_pool_client');
    const [, fn] = onlyResource(stack('data-api', environment), 'aws_lambda_function');
    const variables = (fn.environment as { variables: Record<string, string> }).variables;
    const issuer = `https://cognito-idp.us-east-1.amazonaws.com/\${web:aws_cognito_user_pool.${poolId}.id}`;
    const fromDataApi = (value: string | undefined) => resolveRefs(String(value), 'data-api', environment);
    expect(fromDataApi(variables.AUTH_ISSUER)).toBe(issuer);
    expect(fromDataApi(variables.AUTH_JWKS_URL)).toBe(`${issuer}/.well-known/jwks.json`);
    expect(fromDataApi(variables.AUTH_AUDIENCE)).toBe(`\${web:aws_cognito_user_pool_client.${clientId}.id}`);
  });
});

describe("the console's viewer-request function (the public entry's rule for other paths)", () => {
  // CloudFront Functions are plain ES5.1+ JavaScript: run the deployed code itself.
  type Answer = { uri?: string; statusCode?: number; headers?: Block; body?: { data: string } };
  const handler = new Function(`${consoleRouting}; return handler;`)() as (event: Block) => Answer;
  const viewerRequest = (uri: string) =>
    handler({ context: { requestId: 'cf-req-1' }, request: { method: 'GET', uri, headers: {} } });

  it('serves the one page at / and every path with a file extension from the bucket as built', () => {
    expect(viewerRequest('/').uri).toBe('/index.html');
    for (const uri of ['/index.html', '/config.json', `/${hashedFilesDir}/index-abc123.js`, '/nope.js']) {
      expect(viewerRequest(uri)).toMatchObject({ uri });
    }
  });

  it("answers any other path with the services' JSON 404 carrying the request id, as the local entry does", () => {
    for (const uri of ['/nope', '/internal/assets', '/assets-list/x', `/${hashedFilesDir}/`, '/a.b/c']) {
      const answer = viewerRequest(uri);
      expect(answer.statusCode).toBe(404);
      expect(answer.headers).toMatchObject({ 'x-request-id': { value: 'cf-req-1' } });
      expect(JSON.parse(answer.body?.data ?? '')).toEqual({
        error: { code: 'NotFound', message: 'No route for this path', requestId: 'cf-req-1' },
      });
    }
  });

  it('is the function the distribution runs on viewer requests', () => {
    const [, fn] = onlyResource(web(), 'aws_cloudfront_function');
    expect(fn.code).toBe(consoleRouting);
    expect(fn.runtime).toBe('cloudfront-js-2.0');
  });
});
