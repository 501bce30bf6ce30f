import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadEnv, webConsoleEnv } from '@stateless/config';
import { mintUserToken } from '@stateless/contracts';
import { defineConfig, type Plugin } from 'vite';
import { hashedFilesDir } from './build-output.ts';
import { initialJsBudget } from './scripts/budget.ts';
import { securityHeaders } from './security-headers.ts';
import { type ConsoleConfig, devSignInPath } from './src/console-config.ts';

const env = loadEnv(webConsoleEnv);
const origins = { storage: env.AWS_ENDPOINT_URL ? [new URL(env.AWS_ENDPOINT_URL).origin] : [], identity: [] };

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

const readBody = async (req: IncomingMessage, limit = 4096) => {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error('too large');
  }
  return body;
};

/**
 * The local stand-in for what the bucket and the identity provider give the console in AWS:
 * `/config.json` and a sign-in that takes any user id (the dev token mechanism of `pnpm --silent run token`).
 */
function localSignIn(): Plugin {
  const config: ConsoleConfig = { signIn: { kind: 'dev' }, maxUploadBytes: env.MAX_UPLOAD_BYTES };
  const userId = /^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$/;
  const handle = async (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = req.url?.split('?')[0];
    if (path === '/config.json') return json(res, 200, config);
    if (path !== devSignInPath) return next();
    const secret = env.AUTH_JWT_SECRET;
    if (!secret) return json(res, 404, { error: { code: 'NotFound', message: 'Dev sign-in is off' } });
    if (req.method !== 'POST')
      return json(res, 405, { error: { code: 'MethodNotAllowed', message: 'POST' } });
    let requested: unknown;
    try {
      requested = (JSON.parse(await readBody(req)) as { userId?: unknown }).userId;
    } catch {
      requested = undefined;
    }
    if (typeof requested !== 'string' || !userId.test(requested)) {
      return json(res, 400, {
        error: {
          code: 'ValidationError',
          message: 'A user id is 1-64 letters, digits or . _ - @, starting with a letter or digit',
        },
      });
    }
    const ttlSeconds = 3600;
    const token = await mintUserToken(secret, requested, { ttl: ttlSeconds });
    return json(res, 200, { token, userId: requested, expiresIn: ttlSeconds });
  };
  return { name: 'local-sign-in', configurePreviewServer: (server) => void server.middlewares.use(handle) };
}

export default defineConfig({
  plugins: [localSignIn(), initialJsBudget({ limitKb: 250 })],
  // The console is one page at `/` (its views are in the URL's fragment): no SPA fallback, so a
  // path that is no built file is a 404, as from the bucket behind CloudFront. No public folder:
  // what the build writes is all it serves.
  appType: 'mpa',
  publicDir: false,
  // What `pnpm dev` and the tests put behind the public entry: the built files. No CORS (Vite's
  // default answers any localhost origin): the console is same-origin with the APIs.
  preview: { headers: securityHeaders(origins), strictPort: true, cors: false },
  build: { target: 'es2022', sourcemap: true, reportCompressedSize: false, assetsDir: hashedFilesDir },
});
