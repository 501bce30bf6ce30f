import { DataAwsSecretsmanagerRandomPassword } from '@cdktn/provider-aws/lib/data-aws-secretsmanager-random-password/index.js';
import { DataAwsSecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/data-aws-secretsmanager-secret-version/index.js';
import { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret/index.js';
import { SecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/secretsmanager-secret-version/index.js';
import type { AppName } from '@stateless/topology';
import { Construct } from 'constructs';
import type { EnvironmentStack } from './environment-stack.ts';

/**
 * One Secrets Manager secret per secret variable, named `<stage>/<app>/<VARIABLE>`.
 * Terraform seeds it once with a random value and never overwrites it; rotate it
 * with `aws secretsmanager put-secret-value` and redeploy the app, which reads the
 * current version at plan time.
 */
export class SecretVariable extends Construct {
  readonly secret: SecretsmanagerSecret;
  /** A reference to the current value, for the Lambda environment. */
  readonly value: string;

  constructor(scope: Construct, id: string, props: { name: string; recoveryWindowInDays: number }) {
    super(scope, id);
    this.secret = new SecretsmanagerSecret(this, 'secret', {
      name: props.name,
      recoveryWindowInDays: props.recoveryWindowInDays,
    });
    const seed = new DataAwsSecretsmanagerRandomPassword(this, 'seed', {
      passwordLength: 64,
      excludePunctuation: true,
    });
    const version = new SecretsmanagerSecretVersion(this, 'seed-version', {
      secretId: this.secret.id,
      secretString: seed.randomPassword,
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
    this.value = new DataAwsSecretsmanagerSecretVersion(this, 'current', {
      secretId: this.secret.id,
      dependsOn: [version],
    }).secretString;
  }
}

/** Creates the app's secrets on demand: the env derivation asks for the ones its schema requires. */
export function secretsOf(stack: EnvironmentStack, app: AppName) {
  return (variable: string) =>
    new SecretVariable(stack, `secret-${variable}`, {
      name: `${stack.environment.stage}/${app}/${variable}`,
      recoveryWindowInDays: stack.environment.deletionProtection ? 30 : 0,
    }).value;
}
