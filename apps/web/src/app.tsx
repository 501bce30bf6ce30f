import { Component, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, createApi, explain } from './api.ts';
import type { ConsoleConfig } from './console-config.ts';
import { loadConfig, type Session, savedSession, saveSession } from './session.ts';
import { forgetSavedUploads } from './uploader.ts';
import { AssetDetail } from './views/asset-detail.tsx';
import { AssetList } from './views/asset-list.tsx';
import { Banner, type Problem } from './views/banner.tsx';
import { SignIn } from './views/sign-in.tsx';
import { UploadPanel } from './views/upload-panel.tsx';

/** `#/assets/<id>` is the detail view; anything else the list. */
const routeOf = (hash: string) => {
  const match = /^#\/assets\/([A-Za-z0-9_-]{1,64})$/.exec(hash);
  return match?.[1] ? { view: 'detail' as const, id: match[1] } : { view: 'list' as const };
};

function useRoute() {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Whatever breaks in a view, the page keeps its frame and says what happened. */
class Contained extends Component<{ children: ComponentChildren }, { error?: Error }> {
  override state: { error?: Error } = {};
  override componentDidCatch(error: Error) {
    this.setState({ error });
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div class="banner banner-error" role="alert">
        <p>This view hit an error: {this.state.error.message}</p>
        <button type="button" onClick={() => location.reload()}>
          Reload the console
        </button>
      </div>
    );
  }
}

export function App() {
  const [config, setConfig] = useState<ConsoleConfig>();
  const [session, setSession] = useState<Session | undefined>(savedSession);
  const [problem, setProblem] = useState<Problem>();
  const route = useRoute();

  useEffect(() => {
    loadConfig()
      .then(async (loaded) => {
        setConfig(loaded);
        if (loaded.signIn.kind !== 'oidc') return;
        const { completeSignIn } = await import('./oidc.ts');
        const signedIn = await completeSignIn(loaded.signIn);
        if (signedIn) signIn(signedIn);
      })
      .catch((error: unknown) => setProblem({ message: explain(error), tone: 'error' }));
  }, []);

  const signIn = useCallback((next: Session) => {
    saveSession(next);
    setSession(next);
    setProblem(undefined);
  }, []);
  const signOut = useCallback(() => {
    saveSession(undefined);
    setSession(undefined);
  }, []);
  // Signing out (not an expired session) also forgets the uploads Uppy saved in this browser: in an
  // effect, so after the upload panel and its Uppy are gone.
  const [signOuts, setSignOuts] = useState(0);
  useEffect(() => {
    if (signOuts > 0) void forgetSavedUploads();
  }, [signOuts]);

  const token = session?.token;
  const api = useMemo(() => createApi(() => token), [token]);

  /** Every view reports failures here: one banner, and an expired session leads back to sign-in. */
  const report = useCallback(
    (error: unknown) => {
      if (error === undefined) return setProblem(undefined);
      const expired = error instanceof ApiError && error.kind === 'expired';
      setProblem({ message: explain(error), tone: 'error', ...(expired ? { signInAgain: signOut } : {}) });
    },
    [signOut],
  );

  return (
    <div class="layout">
      <header class="top">
        <a class="brand" href="#/">
          Assets console
        </a>
        {session && (
          <div class="who">
            <span>
              Signed in as <strong data-testid="user">{session.userId}</strong>
            </span>
            <button
              type="button"
              class="link"
              onClick={() => {
                signOut();
                setSignOuts((n) => n + 1);
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main">
        <Banner problem={problem} onDismiss={() => setProblem(undefined)} />
        <Contained>
          {!config ? (
            <p aria-live="polite">Loading…</p>
          ) : !session ? (
            <SignIn config={config.signIn} onSignedIn={signIn} report={report} />
          ) : (
            <>
              {route.view === 'detail' ? (
                <AssetDetail key={route.id} api={api} id={route.id} report={report} />
              ) : (
                <h1 class="sr-only">Upload and browse your assets</h1>
              )}
              {/* Mounted in every view: uploads go on while the person looks at an asset. */}
              <div hidden={route.view !== 'list'}>
                <UploadPanel
                  session={session}
                  api={api}
                  report={report}
                  maxUploadBytes={config.maxUploadBytes}
                />
              </div>
              {route.view === 'list' && <AssetList api={api} report={report} />}
            </>
          )}
        </Contained>
      </main>
    </div>
  );
}
