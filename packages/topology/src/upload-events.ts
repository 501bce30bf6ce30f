/**
 * The trigger, written once: S3 → EventBridge ("Object Created" under the originals
 * prefix) → SQS (with a dead-letter queue) → the upload service's function through an
 * SQS event source mapping. infra builds it in AWS; the local cloud's bootstrap builds
 * the same rule and queues in moto, and its event source mapping polls the same way.
 */
export const originalsPrefix = 'originals/';

export const uploadEvents = {
  /**
   * Longer than the function may run on one batch (AWS advises six times the function
   * timeout), so a message in work is never handed to a second poller.
   */
  visibilityTimeoutSeconds: 60,
  /** Deliveries before SQS moves an event to the dead-letter queue. */
  maxReceiveCount: 5,
  /** Kept 14 days (SQS's maximum) on the dead-letter queue, for inspection and redrive. */
  deadLetterRetentionSeconds: 14 * 24 * 3600,
  batchSize: 10,
  /** The function answers `{ batchItemFailures }`, so one bad event never retries its batch. */
  reportBatchItemFailures: true,
} as const;

/** The EventBridge pattern of the rule: objects created under the originals prefix of one bucket. */
export const objectCreatedPattern = (bucket: string) => ({
  source: ['aws.s3'],
  'detail-type': ['Object Created'],
  detail: {
    bucket: { name: [bucket] },
    object: { key: [{ prefix: originalsPrefix }] },
  },
});
