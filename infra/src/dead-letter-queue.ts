import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue/index.js';
import { SqsQueuePolicy } from '@cdktn/provider-aws/lib/sqs-queue-policy/index.js';
import { Construct } from 'constructs';

/** Fourteen days, SQS's maximum: time to read a failed event, fix the cause and redrive. */
export const deadLetterRetentionSeconds = 14 * 24 * 3600;

/** A queue for what failed after its retries: encrypted (SQS-managed keys), kept 14 days. */
export class DeadLetterQueue extends Construct {
  readonly queue: SqsQueue;

  constructor(scope: Construct, id: string, props: { name: string }) {
    super(scope, id);
    this.queue = new SqsQueue(this, 'queue', {
      name: props.name,
      messageRetentionSeconds: deadLetterRetentionSeconds,
      sqsManagedSseEnabled: true,
    });
  }

  /** Lets these EventBridge rules drop events they cannot deliver here (their target's dead-letter config). */
  acceptFromRules(ruleArns: string[]) {
    return new SqsQueuePolicy(this, 'policy', {
      queueUrl: this.queue.url,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'UndeliverableRuleEvents',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: this.queue.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
          },
        ],
      }),
    });
  }
}
