export interface Problem {
  message: string;
  tone: 'error' | 'info';
  /** Set when the session is over: the banner offers to sign in again. */
  signInAgain?: () => void;
}

export function Banner({ problem, onDismiss }: { problem: Problem | undefined; onDismiss: () => void }) {
  // The live region stays in the page so screen readers announce a problem when it appears.
  return (
    <div role="alert" aria-live="assertive" class="banner-slot">
      {problem && (
        <div class={`banner banner-${problem.tone}`} data-testid="problem">
          <p>{problem.message}</p>
          {problem.signInAgain ? (
            <button type="button" onClick={problem.signInAgain}>
              Sign in again
            </button>
          ) : (
            <button type="button" class="link" onClick={onDismiss}>
              Dismiss
            </button>
          )}
        </div>
      )}
    </div>
  );
}
