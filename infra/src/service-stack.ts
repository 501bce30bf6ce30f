import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity/index.js';
import { LambdaPermission } from '@cdktn/provider-aws/lib/lambda-permission/index.js';
import { LbTargetGroupAttachment } from '@cdktn/provider-aws/lib/lb-target-group-attachment/index.js';
import type { AppName } from '@stateless/topology';
import type { Construct } from 'constructs';
import { lambdaEnvironment } from './app-env.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { EnvironmentStack } from './environment-stack.ts';
import type { Environment } from './environments.ts';
import { LambdaApp } from './lambda-app.ts';
import { functionNameOf, queueNames } from './names.ts';
import { permissions } from './permissions.ts';
import type { PlatformOutputs } from './platform-stack.ts';
import { secretsOf } from './secrets.ts';
import type { IdentityOutputs } from './web-stack.ts';
import type { PipelineOutputs } from './workflow-stack.ts';

export type HttpApp = Exclude<AppName, 'workflow-worker'>;

export interface ServiceStackInputs {
  platform: PlatformOutputs;
  /** Only for an app that starts pipeline runs; data-api never depends on the workflow stack. */
  pipeline?: PipelineOutputs;
  /** Whose tokens the app accepts (the web stack's user pool); only variables its schema reads are set. */
  identity?: IdentityOutputs;
  /** The app is also invoked asynchronously (a schedule): give it a dead-letter queue. */
  asyncDeadLetterQueue?: keyof ReturnType<typeof queueNames>['deadLetter'];
}

/**
 * An HTTP app as a Lambda function behind the ALB target groups the platform
 * routes to it (one per listener it serves). Deployable on its own.
 */
export class ServiceStack extends EnvironmentStack {
  readonly service: LambdaApp;
  readonly deadLetterQueue?: DeadLetterQueue;

  constructor(scope: Construct, app: HttpApp, environment: Environment, inputs: ServiceStackInputs) {
    super(scope, app, environment);
    const { platform, pipeline, identity } = inputs;
    const targets = platform.targetsOf(app);
    if (targets.length === 0) throw new Error(`The route table sends no ALB traffic to ${app}`);
    const internalTarget = targets.find((t) => t.listener === 'internal');
    if (inputs.asyncDeadLetterQueue) {
      this.deadLetterQueue = new DeadLetterQueue(this, 'async-dead-letters', {
        name: queueNames(environment.stage).deadLetter[inputs.asyncDeadLetterQueue],
      });
    }
    let queueArn: string | undefined;
    const uploadEventsQueueArn = () => {
      queueArn ??= `arn:aws:sqs:${environment.region}:${new DataAwsCallerIdentity(this, 'account').accountId}:${queueNames(environment.stage).uploadEvents}`;
      return queueArn;
    };
    this.service = new LambdaApp(this, 'service', {
      functionName: functionNameOf(environment.stage, app),
      settings: environment.lambdas[app],
      environment: lambdaEnvironment(app, {
        outputs: {
          ...platform.variablesFor(this),
          ...(pipeline && { STATE_MACHINE_ARN: () => pipeline.stateMachineArn }),
          ...(identity && {
            AUTH_JWKS_URL: () => identity.jwksUrl,
            AUTH_ISSUER: () => identity.issuer,
            // Cognito ID tokens carry the app client's id as their audience.
            AUTH_AUDIENCE: () => identity.clientId,
          }),
          // The handler sends events from this target group to the internal listener's app.
          ...(internalTarget && { INTERNAL_TARGET_GROUP_ARN: () => internalTarget.targetGroupArn }),
        },
        settings: environment.appSettings[app],
        secret: secretsOf(this, app, platform.sharedSecretArns),
      }),
      grants: permissions[app],
      arns: {
        ...platform.arns,
        // Resolved only if the app's grants name them.
        get assetPipeline() {
          if (!pipeline) throw new Error(`${app} was given no pipeline`);
          return pipeline.stateMachineArn;
        },
        // The queue (UploadTrigger) is built after the function; its ARN follows from its name.
        get uploadEventsQueue() {
          return uploadEventsQueueArn();
        },
      },
      subnetIds: platform.privateSubnetIds,
      securityGroupId: platform.securityGroupIdOf(app),
      logRetentionDays: environment.logRetentionDays,
      deadLetterQueueArn: this.deadLetterQueue?.queue.arn,
    });
    for (const { listener, targetGroupArn } of targets) {
      const permission = new LambdaPermission(this, `invoke-from-${listener}-alb`, {
        statementId: `alb-${listener}`,
        action: 'lambda:InvokeFunction',
        principal: 'elasticloadbalancing.amazonaws.com',
        functionName: this.service.function.functionName,
        sourceArn: targetGroupArn,
      });
      new LbTargetGroupAttachment(this, `target-${listener}`, {
        targetGroupArn,
        targetId: this.service.function.arn,
        dependsOn: [permission],
      });
    }
  }
}
