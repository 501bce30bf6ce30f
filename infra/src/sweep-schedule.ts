import { CloudwatchEventRule } from '@cdktn/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktn/provider-aws/lib/cloudwatch-event-target/index.js';
import type { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function/index.js';
import { LambdaPermission } from '@cdktn/provider-aws/lib/lambda-permission/index.js';
import type { SweepDeletedEvent } from '@stateless/contracts';
import { Construct } from 'constructs';
import type { DeadLetterQueue } from './dead-letter-queue.ts';
import type { RateExpression } from './environments.ts';

/** What the schedule sends: the data-api handler's sweep event, with the route's default batch. */
const scheduledSweepEvent: SweepDeletedEvent = { task: 'sweep-deleted' };

export interface SweepDeletedScheduleProps {
  /** The data-api function. */
  function: LambdaFunction;
  every: RateExpression;
  ruleName: string;
  /** Where an event goes that EventBridge could not deliver (the function's own async failures go there too). */
  deadLetterQueue?: DeadLetterQueue;
}

/**
 * Invokes the data-api function with the sweep event on a fixed rate, so a deleted
 * asset's S3 objects whose cleanup failed are removed by the next run. Only this rule
 * may invoke the function for it (the permission names the rule).
 */
export class SweepDeletedSchedule extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: SweepDeletedScheduleProps) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: props.ruleName,
      description: 'Removes the S3 objects of deleted assets whose cleanup is pending',
      scheduleExpression: props.every,
    });
    const permission = new LambdaPermission(this, 'invoke', {
      statementId: 'sweep-deleted-schedule',
      action: 'lambda:InvokeFunction',
      principal: 'events.amazonaws.com',
      functionName: props.function.functionName,
      sourceArn: this.rule.arn,
    });
    new CloudwatchEventTarget(this, 'target', {
      rule: this.rule.name,
      targetId: 'data-api',
      arn: props.function.arn,
      input: JSON.stringify(scheduledSweepEvent),
      ...(props.deadLetterQueue && { deadLetterConfig: { arn: props.deadLetterQueue.queue.arn } }),
      dependsOn: [
        permission,
        ...(props.deadLetterQueue ? [props.deadLetterQueue.acceptFromRules([this.rule.arn])] : []),
      ],
    });
  }
}
