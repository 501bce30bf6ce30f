import { CloudwatchEventRule } from '@cdktn/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktn/provider-aws/lib/cloudwatch-event-target/index.js';
import { LambdaEventSourceMapping } from '@cdktn/provider-aws/lib/lambda-event-source-mapping/index.js';
import type { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function/index.js';
import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue/index.js';
import { SqsQueuePolicy } from '@cdktn/provider-aws/lib/sqs-queue-policy/index.js';
import { objectCreatedPattern, resourceNames, uploadEvents } from '@stateless/topology';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.ts';

export interface UploadTriggerProps {
  stage: string;
  bucketName: string;
  /** The upload-service function, which starts the run named after the upload. */
  function: LambdaFunction;
  functionTimeoutSeconds: number;
}

/**
 * An object landing under originals/ starts the pipeline whether or not the client calls
 * back: the bucket's EventBridge events → a rule (Object Created, this bucket, originals
 * prefix) → an SQS queue (dead-letter queue after `maxReceiveCount` deliveries) → an event
 * source mapping to the upload-service function, which reports failed items one by one.
 * The shape is topology's `uploadEvents`, which the local cloud builds the same way.
 */
export class UploadTrigger extends Construct {
  readonly rule: CloudwatchEventRule;
  readonly queue: SqsQueue;
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: UploadTriggerProps) {
    super(scope, id);
    if (uploadEvents.visibilityTimeoutSeconds < props.functionTimeoutSeconds) {
      throw new Error(
        `The upload events queue's visibility timeout (${uploadEvents.visibilityTimeoutSeconds} s) must be at least the upload-service timeout (${props.functionTimeoutSeconds} s)`,
      );
    }
    const names = resourceNames(props.stage);
    this.deadLetters = new DeadLetterQueue(this, 'dead-letters', { name: names.uploadEventsDeadLetterQueue });
    this.queue = new SqsQueue(this, 'queue', {
      name: names.uploadEventsQueue,
      visibilityTimeoutSeconds: uploadEvents.visibilityTimeoutSeconds,
      sqsManagedSseEnabled: true,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetters.queue.arn,
        maxReceiveCount: uploadEvents.maxReceiveCount,
      }),
    });
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: names.uploadEventsRule,
      description: 'Object Created under originals/ in the assets bucket: start its pipeline run',
      eventPattern: JSON.stringify(objectCreatedPattern(props.bucketName)),
    });
    const queuePolicy = new SqsQueuePolicy(this, 'queue-policy', {
      queueUrl: this.queue.url,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ObjectCreatedEvents',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: this.queue.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': this.rule.arn } },
          },
        ],
      }),
    });
    const deadLetterPolicy = this.deadLetters.acceptFromRules([this.rule.arn]);
    new CloudwatchEventTarget(this, 'target', {
      rule: this.rule.name,
      targetId: 'upload-events',
      arn: this.queue.arn,
      // EventBridge retries a failed delivery for a day, then drops it here rather than losing it.
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
      deadLetterConfig: { arn: this.deadLetters.queue.arn },
      dependsOn: [queuePolicy, deadLetterPolicy],
    });
    new LambdaEventSourceMapping(this, 'to-function', {
      eventSourceArn: this.queue.arn,
      functionName: props.function.arn,
      batchSize: uploadEvents.batchSize,
      functionResponseTypes: uploadEvents.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
    });
  }
}
