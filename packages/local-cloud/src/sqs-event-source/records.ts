import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';

/** One record of the event Lambda's SQS event source mapping hands a function. */
export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, SqsRecordAttribute>;
  md5OfMessageAttributes?: string;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsRecordAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

/** The system attributes Lambda passes on (the ones SQS returns for `All`, as in AWS's sample events). */
const passedAttributes = [
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SenderId',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageGroupId',
  'MessageDeduplicationId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
];

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function recordAttribute(value: MessageAttributeValue): SqsRecordAttribute {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
    dataType: value.DataType ?? 'String',
  };
}

/** A received message as the record Lambda builds from it (camelCase, binary values in base64). */
export function toSqsRecord(message: Message, queueArn: string, region: string): SqsRecord {
  const attributes = Object.fromEntries(
    passedAttributes.flatMap((name) => {
      const value = message.Attributes?.[name as keyof Message['Attributes']];
      return value === undefined ? [] : [[name, value]];
    }),
  );
  const messageAttributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, recordAttribute(value)]),
  );
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes,
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Which records of a batch failed, judged as Lambda judges the function's answer.
 * A function error fails the whole batch. With `ReportBatchItemFailures` the answer
 * `{ batchItemFailures: [{ itemIdentifier }] }` fails just those records; no answer, a
 * null or empty list is a full success; an answer Lambda cannot use (invalid JSON, a
 * missing, empty or unknown `itemIdentifier`) fails the whole batch. Without it the answer is ignored.
 */
export function failedRecords(
  records: readonly SqsRecord[],
  outcome: { functionError?: string | undefined; payloadText: string },
  reportBatchItemFailures: boolean,
): SqsRecord[] {
  if (outcome.functionError) return [...records];
  if (!reportBatchItemFailures || outcome.payloadText.trim() === '') return [];
  let answer: unknown;
  try {
    answer = JSON.parse(outcome.payloadText);
  } catch {
    return [...records];
  }
  if (typeof answer !== 'object' || answer === null) return [];
  const failures = (answer as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return [...records];
  const byId = new Map(records.map((record) => [record.messageId, record]));
  const failed = new Set<SqsRecord>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const record = typeof id === 'string' ? byId.get(id) : undefined;
    if (!record) return [...records];
    failed.add(record);
  }
  return [...failed];
}
