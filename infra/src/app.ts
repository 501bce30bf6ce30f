import type { App } from 'cdktn';
import { checkSharedSettings } from './app-env.ts';
import type { Environment } from './environments.ts';
import { PlatformStack } from './platform-stack.ts';
import { ServiceStack } from './service-stack.ts';
import { SweepDeletedSchedule } from './sweep-schedule.ts';
import { UploadTrigger } from './upload-trigger.ts';
import { WebStack } from './web-stack.ts';
import { WorkflowStack } from './workflow-stack.ts';

/**
 * The stacks of one environment. References flow platform → web (the user pool) →
 * data-api, and platform → workflow → upload-service (web → upload-service too);
 * each app stack deploys on its own.
 */
export function buildApp(app: App, environment: Environment) {
  checkSharedSettings(environment.appSettings);
  const platform = new PlatformStack(app, environment);
  const web = new WebStack(app, environment, {
    assetsBucketName: platform.assetsBucketName,
    publicEntry: platform.publicEntry,
    logBucket: platform.logs.bucket,
  });
  const workflow = new WorkflowStack(app, environment, platform);
  const uploadService = new ServiceStack(app, 'upload-service', environment, {
    platform,
    pipeline: workflow,
    identity: web.identity,
  });
  new UploadTrigger(uploadService, 'upload-trigger', {
    stage: environment.stage,
    bucketName: platform.assetsBucketName,
    function: uploadService.service.function,
    functionTimeoutSeconds: environment.lambdas['upload-service'].timeoutSeconds,
  });
  const dataApi = new ServiceStack(app, 'data-api', environment, {
    platform,
    identity: web.identity,
    asyncDeadLetterQueue: 'data-api-async',
  });
  new SweepDeletedSchedule(dataApi, 'sweep-deleted', {
    function: dataApi.service.function,
    every: environment.sweepDeletedEvery,
    ruleName: `${environment.stage}-data-api-sweep-deleted`,
    deadLetterQueue: dataApi.deadLetterQueue,
  });
  return { platform, workflow, uploadService, dataApi, web };
}
