/** Start-up stops with this when the environment does not satisfy an app's schema. */
export class ConfigError extends Error {
  constructor(
    readonly problems: readonly { variable: string; message: string }[],
    options?: ErrorOptions,
  ) {
    super(
      `Invalid environment:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
      options,
    );
    this.name = 'ConfigError';
  }
}
