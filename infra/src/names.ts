import { type AppName, resourceNames } from '@stateless/topology';

/** Every app's function is `<stage>-<app>` (the worker's is also `resourceNames().workerFunction`). */
export const functionNameOf = (stage: string, app: AppName) => `${stage}-${app}`;

/** The queues infra creates, by name, so monitoring watches them without referencing their stacks. */
export function queueNames(stage: string) {
  const names = resourceNames(stage);
  return {
    uploadEvents: names.uploadEventsQueue,
    deadLetter: {
      /** Object Created events the upload service could not start a run for. */
      'upload-events': names.uploadEventsDeadLetterQueue,
      /** Failed asynchronous invocations of data-api: the sweep schedule. */
      'data-api-async': `${stage}-data-api-async-dlq`,
    },
  } as const;
}
