/**
 * The local cloud's Step Functions server restarted, as the load test's chaos scenario does:
 * what the stand-in keeps and what it loses, stated by a test rather than by a comment.
 */
import {
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createSfnClient } from '@stateless/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../src/cloud.ts';
import { type LambdaFunctionServer, startLambdaFunctionServer } from './fixtures/lambda-function.ts';

let cloud: LocalCloud;
let worker: LambdaFunctionServer;

beforeAll(async () => {
  // A worker whose steps take long enough that an execution is still running at the restart.
  worker = await startLambdaFunctionServer(async () => {
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    return { result: {} };
  });
  cloud = await startLocalCloud({ stage: `restart${Date.now().toString(36)}`, lambdaEndpoint: worker.url });
});
afterAll(async () => {
  await cloud?.stop();
  await worker?.close();
});

describe('the Step Functions server restarted', () => {
  it('comes back on its URL with the state machine, and without the executions that were running', async () => {
    const sfn = createSfnClient(
      { region: cloud.info.region },
      { credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: cloud.stepFunctions.url },
    );
    const { stateMachineArn } = cloud.info;
    const input = JSON.stringify({
      assetId: 'asset-1',
      bucket: cloud.info.names.assetsBucket,
      key: 'originals/asset-1',
    });
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'asset-1', input }));
      const before = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }));
      expect(before.executions?.map((e) => e.name)).toEqual(['asset-1']);

      await cloud.stepFunctions.stop();
      await expect(sfn.send(new ListExecutionsCommand({ stateMachineArn }))).rejects.toThrow();
      await cloud.stepFunctions.start();

      // Same URL and state machine: the apps' STATE_MACHINE_ARN and endpoint still hold.
      expect(cloud.stepFunctions.url).toBe(cloud.info.stepFunctionsEndpoint);
      const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
      expect(machine.stateMachineArn).toBe(stateMachineArn);
      // The running execution is gone (AWS would still be running it), so its name is free again.
      const after = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
      expect(after.executions).toEqual([]);
      const again = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'asset-1', input }));
      expect(again.executionArn).toMatch(/:asset-1$/);
    } finally {
      sfn.destroy();
    }
  });
});
