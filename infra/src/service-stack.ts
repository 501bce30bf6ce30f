import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission/index.js';
import { LbTargetGroupAttachment } from '@cdktf/provider-aws/lib/lb-target-group-attachment/index.js';
import type { AppName } from '@stateless/topology';
import type { Construct } from 'constructs';
import { lambdaEnvironment } from './app-env.ts';
import { EnvironmentStack } from './environment-stack.ts';
import type { Environment } from './environments.ts';
import { LambdaApp } from './lambda-app.ts';
import { permissions } from './permissions.ts';
import type { PlatformStack } from './platform-stack.ts';
import { SecretVariable } from './secrets.ts';
import type { WorkflowStack } from './workflow-stack.ts';

/** Creates the app's secrets on demand: the env derivation asks for the ones its schema requires. */
export function secretsOf(stack: EnvironmentStack, app: AppName) {
  return (variable: string) =>
    new SecretVariable(stack, `secret-${variable}`, {
      name: `${stack.environment.stage}/${app}/${variable}`,
      recoveryWindowInDays: stack.environment.deletionProtection ? 30 : 0,
    }).value;
}

export type HttpApp = Exclude<AppName, 'workflow-worker'>;

/**
 * An HTTP app as a Lambda function behind the ALB target groups the platform
 * routes to it (one per listener it serves). Deployable on its own.
 */
export class ServiceStack extends EnvironmentStack {
  readonly service: LambdaApp;

  constructor(
    scope: Construct,
    app: HttpApp,
    environment: Environment,
    deps: { platform: PlatformStack; workflow: WorkflowStack },
  ) {
    super(scope, app, environment);
    const { platform, workflow } = deps;
    const targets = platform.targetsOf(app);
    if (targets.length === 0) throw new Error(`The route table sends no ALB traffic to ${app}`);
    const internalTarget = targets.find((t) => t.listener === 'internal');
    this.service = new LambdaApp(this, 'service', {
      functionName: `${environment.stage}-${app}`,
      settings: environment.lambdas[app],
      environment: lambdaEnvironment(app, {
        outputs: {
          ...platform.outputsByVariable,
          ...workflow.outputsByVariable,
          // The handler sends events from this target group to the internal listener's app.
          ...(internalTarget && { INTERNAL_TARGET_GROUP_ARN: () => internalTarget.targetGroup.arn }),
        },
        settings: environment.appSettings[app],
        secret: secretsOf(this, app),
      }),
      grants: permissions[app],
      arns: {
        ...platform.arns,
        // Only resolved if the app's grants name it, so data-api never depends on the workflow stack.
        get assetPipeline() {
          return workflow.stateMachine.arn;
        },
      },
      subnetIds: platform.privateSubnets.map((s) => s.id),
      securityGroupId: platform.appSecurityGroups[app].id,
      logRetentionDays: environment.logRetentionDays,
    });
    for (const { listener, targetGroup } of targets) {
      const permission = new LambdaPermission(this, `invoke-from-${listener}-alb`, {
        statementId: `alb-${listener}`,
        action: 'lambda:InvokeFunction',
        principal: 'elasticloadbalancing.amazonaws.com',
        functionName: this.service.function.functionName,
        sourceArn: targetGroup.arn,
      });
      new LbTargetGroupAttachment(this, `target-${listener}`, {
        targetGroupArn: targetGroup.arn,
        targetId: this.service.function.arn,
        dependsOn: [permission],
      });
    }
  }
}
