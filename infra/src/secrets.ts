import { DataAwsSecretsmanagerRandomPassword } from '@cdktn/provider-aws/lib/data-aws-secretsmanager-random-password/index.js';
import { DataAwsSecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/data-aws-secretsmanager-secret-version/index.js';
import { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret/index.js';
import { SecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/secretsmanager-secret-version/index.js';
import type { AppName } from '@stateless/topology';
import { Construct } from 'constructs';
import type { EnvironmentStack } from './environment-stack.ts';

/**
 * One Secrets Manager secret per secret variable, named `<stage>/<app>/<VARIABLE>`, or
 * `<stage>/shared/<VARIABLE>` for one several apps read (PlatformOutputs.sharedSecretArns).
 * Terraform seeds it once with a random value and never overwrites it; rotate it
 * with `aws secretsmanager put-secret-value` and redeploy the apps, which read the
 * current version at plan time.
 */
export class SecretVariable extends Construct {
  readonly secret: SecretsmanagerSecret;
  private readonly seeded: SecretsmanagerSecretVersion;
  private current?: string;

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
    this.seeded = new SecretsmanagerSecretVersion(this, 'seed-version', {
      secretId: this.secret.id,
      secretString: seed.randomPassword,
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
  }

  /**
   * A reference to the current value, for a Lambda environment in this stack. Read only when
   * asked for: a shared secret's own stack does not use its value, each reader's stack reads it.
   */
  get value(): string {
    this.current ??= new DataAwsSecretsmanagerSecretVersion(this, 'current', {
      secretId: this.secret.id,
      dependsOn: [this.seeded],
    }).secretString;
    return this.current;
  }
}

/**
 * Gives the app its secret variables on demand (the env derivation asks for the ones its schema
 * requires): a shared one read by its ARN in the app's own stack, as the Redis AUTH token is
 * (redisUrlIn), otherwise the app's own secret, created here.
 */
export function secretsOf(stack: EnvironmentStack, app: AppName, shared: Readonly<Record<string, string>>) {
  return (variable: string) => {
    const sharedArn = shared[variable];
    if (sharedArn !== undefined) {
      return new DataAwsSecretsmanagerSecretVersion(stack, `shared-secret-${variable}`, {
        secretId: sharedArn,
      }).secretString;
    }
    return new SecretVariable(stack, `secret-${variable}`, {
      name: `${stack.environment.stage}/${app}/${variable}`,
      recoveryWindowInDays: stack.environment.deletionProtection ? 30 : 0,
    }).value;
  };
}
