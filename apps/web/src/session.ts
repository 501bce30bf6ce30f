import { ApiError } from './api.ts';
import { type ConsoleConfig, devSignInPath } from './console-config.ts';

export interface Session {
  token: string;
  userId: string;
  /** Epoch ms; the console asks for a new sign-in when it has passed. */
  expiresAt: number;
}

// sessionStorage: the token dies with the tab and is never shared with other tabs or sent as a cookie.
const key = 'console.session';

export function savedSession(): Session | undefined {
  try {
    const session = JSON.parse(sessionStorage.getItem(key) ?? 'null') as Session | null;
    return session && session.expiresAt > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined) {
  if (session) sessionStorage.setItem(key, JSON.stringify(session));
  else sessionStorage.removeItem(key);
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok)
    throw new ApiError(response.status, 'ConfigMissing', 'The console configuration is missing');
  return (await response.json()) as ConsoleConfig;
}

/** `pnpm dev`: the local server mints a token for any user id. */
export async function devSignIn(userId: string): Promise<Session> {
  const response = await fetch(devSignInPath, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const body = (await response.json().catch(() => ({}))) as {
    token?: string;
    expiresIn?: number;
    error?: { code: string; message: string };
  };
  if (!response.ok || !body.token) {
    throw new ApiError(
      response.status,
      body.error?.code ?? 'SignInFailed',
      body.error?.message ?? 'Sign-in failed',
    );
  }
  return { token: body.token, userId, expiresAt: Date.now() + (body.expiresIn ?? 3600) * 1000 };
}
