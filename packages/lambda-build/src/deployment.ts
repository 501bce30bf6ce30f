/** A Lambda instruction set, by the name Lambda gives it, and Node's (and npm's `cpu` field) for it. */
export const lambdaArchitectures = {
  arm64: { lambda: 'arm64', cpu: 'arm64' },
  x86_64: { lambda: 'x86_64', cpu: 'x64' },
} as const;

export type LambdaArchitecture = keyof typeof lambdaArchitectures;

/**
 * What every function is deployed on, and what `lambda-build` builds native packages for by
 * default: infra reads it too, so the zip's binaries and the function's architecture cannot
 * drift apart. Graviton (arm64) costs about 20% less per GB-second than x86_64.
 */
export const deployedArchitecture: LambdaArchitecture = 'arm64';

/** The architecture of the machine running this, for a package that must load here (tests). */
export function hostArchitecture(): LambdaArchitecture {
  const found = Object.entries(lambdaArchitectures).find(([, { cpu }]) => cpu === process.arch);
  if (!found) throw new Error(`no Lambda architecture runs ${process.arch} code`);
  return found[0] as LambdaArchitecture;
}

/** Where `lambda-build` writes an app's package (relative to the app), and the handler in it. */
export const lambdaPackage = {
  outDir: 'dist',
  zip: 'lambda.zip',
  /** `handler` exported from `lambda.mjs` at the zip's root. */
  handler: 'lambda.handler',
} as const;
