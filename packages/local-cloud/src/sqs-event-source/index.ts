export { type SqsEventSource, type SqsEventSourceOptions, startSqsEventSource } from './mapping.ts';
export { failedRecords, type SqsEvent, type SqsRecord, toSqsRecord } from './records.ts';
