/**
 * Every AWS permission each workload gets, written once: the stacks build IAM
 * policies from these lists and the tests assert the synthesized policies equal
 * them. Resources are symbolic; each stack maps them to the ARNs it knows.
 */
export type ResourceRef =
  | 'assetsTable'
  | 'assetsTableIndexes'
  | 'assetsBucket'
  | 'assetsBucketObjects'
  /** `originals/*`: where uploads land (topology's originalsPrefix). */
  | 'assetsOriginals'
  | 'assetPipeline'
  | 'workerFunction'
  | 'uploadEventsQueue'
  | 'deadLetterQueue'
  | 'logGroup'
  /** The `*` resources AWS requires: these APIs cannot be scoped. */
  | 'anyNetworkInterface'
  | 'anyTrace'
  | 'anyLogDelivery';

export interface Grant {
  actions: readonly string[];
  resources: readonly ResourceRef[];
}

export type Workload = 'data-api' | 'upload-service' | 'workflow-worker' | 'asset-pipeline';

/** What the application code calls. Nothing here may be a wildcard action or a `*` resource. */
export const permissions = {
  'data-api': [
    {
      // No DeleteItem: deletes are tombstones (UpdateItem), and records expire through TTL.
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      // Indexes: byOwner (lists) and byCleanup (the deleted-assets sweep); `index/*`.
      resources: ['assetsTable', 'assetsTableIndexes'],
    },
    // GetObject(Version) also signs the presigned download links, which name the uploaded version.
    // Deleting an asset deletes every version of its keys (the bucket is versioned), listed first.
    {
      actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: ['assetsBucketObjects'],
    },
    { actions: ['s3:ListBucketVersions'], resources: ['assetsBucket'] },
  ],
  'upload-service': [
    {
      // PutObject covers CreateMultipartUpload/UploadPart/CompleteMultipartUpload and presigned PUTs.
      // Only under originals/: the service builds every key there, and nothing else is its to sign.
      actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: ['assetsOriginals'],
    },
    // The Object Created handler deletes a version written after the asset's (a replayed form).
    { actions: ['s3:DeleteObjectVersion'], resources: ['assetsOriginals'] },
    // HeadBucket, the /readyz check.
    { actions: ['s3:ListBucket'], resources: ['assetsBucket'] },
    // DescribeStateMachine is the /readyz check.
    { actions: ['states:StartExecution', 'states:DescribeStateMachine'], resources: ['assetPipeline'] },
    // The SQS event source mapping polls with the function's role (Object Created events).
    {
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      resources: ['uploadEventsQueue'],
    },
  ],
  'workflow-worker': [
    // Read the original (by its uploaded version), write derivatives.
    { actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], resources: ['assetsBucketObjects'] },
    // HeadBucket, the /readyz check.
    { actions: ['s3:ListBucket'], resources: ['assetsBucket'] },
  ],
  'asset-pipeline': [{ actions: ['lambda:InvokeFunction'], resources: ['workerFunction'] }],
} as const satisfies Record<Workload, readonly Grant[]>;

/** X-Ray trace segments; AWS allows no resource but `*`. */
const tracing: Grant = {
  actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  resources: ['anyTrace'],
};

/**
 * What the Lambda service needs to run any function in a VPC, ship its logs and traces.
 * Granted in a separate policy from the app's own. EC2 network-interface and X-Ray calls
 * cannot be scoped to resources (AWS requires `*`).
 */
export const lambdaRuntimePermissions = [
  { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: ['logGroup'] },
  tracing,
  {
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['anyNetworkInterface'],
  },
] as const satisfies readonly Grant[];

/** A function invoked asynchronously sends what fails after Lambda's retries to its dead-letter queue. */
export const lambdaDeadLetterPermissions = [
  { actions: ['sqs:SendMessage'], resources: ['deadLetterQueue'] },
] as const satisfies readonly Grant[];

/**
 * The state machine's own logging (CloudWatch Logs vended delivery) and tracing. Log
 * delivery APIs take no resource but `*` (AWS's documented policy for Step Functions).
 */
export const stateMachineRuntimePermissions = [
  {
    actions: [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ],
    resources: ['anyLogDelivery'],
  },
  { ...tracing, actions: [...tracing.actions, 'xray:GetSamplingRules', 'xray:GetSamplingTargets'] },
] as const satisfies readonly Grant[];

/** The symbolic resources that stand for `*`, and so the only ones a policy may list as `*`. */
export const anyResource = { anyNetworkInterface: '*', anyTrace: '*', anyLogDelivery: '*' } as const;

const sid = (action: string) =>
  action
    .split(/[:]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** An IAM policy document (JSON) for `grants`, resolving each symbolic resource through `arns`. */
export function policyDocument(
  grants: readonly Grant[],
  arns: Partial<Record<ResourceRef, string | readonly string[] | undefined>>,
): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: grants.map((grant, index) => ({
      Sid: `${sid(grant.actions[0] ?? 'Grant')}${index}`,
      Effect: 'Allow',
      Action: [...grant.actions],
      Resource: grant.resources.flatMap((ref) => {
        const arn = arns[ref];
        if (arn === undefined) throw new Error(`No ARN for ${ref} in this stack`);
        return typeof arn === 'string' ? [arn] : [...arn];
      }),
    })),
  });
}
