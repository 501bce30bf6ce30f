import { join, relative, resolve } from 'node:path';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider/index.js';
import { App, LocalBackend, S3Backend, TerraformStack } from 'cdktn';
import type { Construct } from 'constructs';
import { type Environment, infraDir } from './environments.ts';

export type StackName = 'platform' | 'workflow' | 'upload-service' | 'data-api' | 'web';

/**
 * A file of this checkout as the synthesized JSON of `scope`'s stack names it: relative to the
 * stack's directory (`<outdir>/stacks/<stack>`, the manifest's workingDirectory, where Terraform
 * runs and resolves relative paths). An absolute path would be the synthesizing machine's, so a
 * cdktf.out made in one checkout or CI job would not apply in another.
 */
export function fromStackDir(scope: Construct, path: string): string {
  const stackDir = resolve(App.of(scope).outdir, 'stacks', TerraformStack.of(scope).node.id);
  return relative(stackDir, path);
}

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
        path: fromStackDir(this, join(infraDir, 'terraform-state', environment.stage, `${name}.tfstate`)),
      });
    }
  }
}
