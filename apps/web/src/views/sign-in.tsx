import { useState } from 'preact/hooks';
import { tokenCommand } from '../commands.ts';
import type { SignInConfig } from '../console-config.ts';
import { devSignIn, type Session } from '../session.ts';

export function SignIn({
  config,
  onSignedIn,
  report,
}: {
  config: SignInConfig;
  onSignedIn: (session: Session) => void;
  report: (error: unknown) => void;
}) {
  const [userId, setUserId] = useState('demo-user');
  const [busy, setBusy] = useState(false);

  if (config.kind === 'oidc') {
    const go = async () => {
      setBusy(true);
      try {
        const { startSignIn } = await import('../oidc.ts');
        await startSignIn(config);
      } catch (error) {
        report(error);
        setBusy(false);
      }
    };
    return (
      <section class="card narrow" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in</h1>
        <p>You sign in with your organisation's account; you come back here afterwards.</p>
        <button type="button" disabled={busy} onClick={go}>
          Sign in
        </button>
      </section>
    );
  }

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      onSignedIn(await devSignIn(userId.trim()));
    } catch (error) {
      report(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p>
        Local stack: choose any user id. Each user sees only their own assets (the same token as{' '}
        <code>{tokenCommand}</code>).
      </p>
      <form onSubmit={submit}>
        <label for="user-id">User id</label>
        <input
          id="user-id"
          name="userId"
          autocomplete="username"
          required
          maxLength={64}
          value={userId}
          onInput={(e) => setUserId(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </section>
  );
}
