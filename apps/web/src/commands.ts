/**
 * Commands the console shows a person. The docs check (scripts/docs-check.ts) runs each one as it
 * runs the READMEs' commands, so the console cannot name a command that fails (it once showed
 * `pnpm token <userId>`, which pnpm refuses: `token` is one of its own commands).
 */
export const tokenCommand = 'pnpm --silent run token <userId>';

export const consoleCommands: readonly string[] = [tokenCommand];
