import { dataApiEnv, uploadServiceEnv, variablesOf, workflowWorkerEnv } from '@stateless/config';
import type { AppName } from '@stateless/topology';

/** Each app's env schema, from @stateless/config: the variables infra must provide. */
export const envSchemas = {
  'data-api': dataApiEnv,
  'upload-service': uploadServiceEnv,
  'workflow-worker': workflowWorkerEnv,
} as const satisfies Record<AppName, Parameters<typeof variablesOf>[0]>;

/** A variable whose name says it is a secret never takes a plain value from infra config. */
export const isSecretVariable = (name: string) => /SECRET/.test(name);

/**
 * Secret variables several apps read, so one secret per stage (the platform's) instead of one
 * per app: SERVICE_TOKEN_SECRET, which the data API verifies service tokens with and the apps
 * that call its internal routes mint theirs with.
 */
export const sharedSecretVariables: readonly string[] = ['SERVICE_TOKEN_SECRET'];

/** Set by the Lambda runtime itself; a function may not define these (reserved keys). */
export const runtimeProvidedVariables: ReadonlySet<string> = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION']);

export interface EnvironmentSources {
  /**
   * Values other stacks produce, keyed by variable name (table name, Redis URL, ...).
   * Lazy, so a stack only references (and depends on) what its app reads.
   */
  outputs: Readonly<Record<string, () => string>>;
  /** Plain values from the environment config (`appSettings`). */
  settings: Readonly<Record<string, string>>;
  /** A reference to the secret's value (Secrets Manager), created on demand. */
  secret: (variable: string) => string;
}

/**
 * The Lambda environment of `app`, derived from its env schema: every required
 * variable gets a value (stack output, or a Secrets Manager reference when the
 * name matches /SECRET/); optional ones only when the environment config sets
 * them. A required variable nobody provides fails synthesis, naming it.
 */
export function lambdaEnvironment(app: AppName, sources: EnvironmentSources): Record<string, string> {
  const variables = variablesOf(envSchemas[app]);
  const known = new Set(variables.map((v) => v.name));
  for (const name of Object.keys(sources.settings)) {
    if (!known.has(name))
      throw new Error(`appSettings of ${app} sets ${name}, which its env schema does not read`);
    if (isSecretVariable(name))
      throw new Error(`appSettings of ${app} sets the secret ${name} in plain text`);
    if (runtimeProvidedVariables.has(name))
      throw new Error(`${name} is set by the Lambda runtime, not by config`);
  }
  const environment: Record<string, string> = {};
  for (const { name, required } of variables) {
    if (runtimeProvidedVariables.has(name)) continue;
    if (isSecretVariable(name)) {
      if (required) environment[name] = sources.secret(name);
      continue;
    }
    const value = sources.outputs[name]?.() ?? sources.settings[name];
    if (value !== undefined) environment[name] = value;
    else if (required) {
      throw new Error(
        `${app} requires ${name}, but infra provides no value: map it to a stack output (outputsByVariable in infra/src/platform-stack.ts or workflow-stack.ts) or set it in appSettings (infra/src/environments.ts)`,
      );
    }
  }
  return environment;
}

/**
 * A plain variable that several apps read means one thing for the stage, so every app that
 * reads it gets the same setting (MAX_UPLOAD_BYTES: the upload service signs uploads up to it,
 * the worker fails an object over it). Throws naming the variable and the apps that disagree.
 */
export function checkSharedSettings(
  appSettings: Readonly<Record<AppName, Readonly<Record<string, string>>>>,
) {
  const readers = new Map<string, AppName[]>();
  for (const app of Object.keys(envSchemas) as AppName[]) {
    for (const { name } of variablesOf(envSchemas[app]))
      readers.set(name, [...(readers.get(name) ?? []), app]);
  }
  for (const [name, apps] of readers) {
    const values = new Set(apps.map((app) => appSettings[app][name]));
    if (apps.length > 1 && values.size > 1) {
      const given = apps.map((app) => `${app}: ${appSettings[app][name] ?? '(default)'}`).join(', ');
      throw new Error(
        `${name} is read by ${apps.join(', ')}; set it to one value for all of them in appSettings (${given})`,
      );
    }
  }
}
