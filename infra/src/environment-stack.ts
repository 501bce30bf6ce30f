import { join } from 'node:path';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider/index.js';
import { LocalBackend, S3Backend, TerraformStack } from 'cdktn';
import type { Construct } from 'constructs';
import { type Environment, infraDir } from './environments.ts';

export type StackName = 'platform' | 'workflow' | 'upload-service' | 'data-api' | 'web';

/** A stack of one environment: the AWS provider in its region, default tags, and per-stage state. */
export class EnvironmentStack extends TerraformStack {
  constructor(
    scope: Construct,
    name: StackName,
    readonly environment: Environment,
  ) {
    super(scope, name);
    new AwsProvider(this, 'aws', {
      region: environment.region,
      defaultTags: [{ tags: { ...environment.tags, stack: name } }],
    });
    const backend = environment.stateBackend;
    if (backend.kind === 's3') {
      const s3 = new S3Backend(this, {
        bucket: backend.bucket,
        key: `${environment.stage}/${name}.tfstate`,
        region: backend.region,
        encrypt: true,
      });
      s3.addOverride('use_lockfile', true);
    } else {
      // Stack names are the same in every stage, so state paths must not be.
      new LocalBackend(this, {
        path: join(infraDir, 'terraform-state', environment.stage, `${name}.tfstate`),
      });
    }
  }
}
