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
  | 'assetPipeline'
  | 'workerFunction'
  | 'logGroup'
  | 'anyNetworkInterface';

export interface Grant {
  actions: readonly string[];
  resources: readonly ResourceRef[];
}

export type Workload = 'data-api' | 'upload-service' | 'workflow-worker' | 'asset-pipeline';

/** What the application code calls. Nothing here may be a wildcard action or a `*` resource. */
export const permissions = {
  'data-api': [
    {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      // Indexes: byOwner (lists) and byCleanup (the deleted-assets sweep); `index/*`.
      resources: ['assetsTable', 'assetsTableIndexes'],
    },
    // GetObject also signs the presigned download links.
    { actions: ['s3:GetObject', 's3:DeleteObject'], resources: ['assetsBucketObjects'] },
  ],
  'upload-service': [
    {
      // PutObject covers CreateMultipartUpload/UploadPart/CompleteMultipartUpload and presigned PUTs.
      actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: ['assetsBucketObjects'],
    },
    // HeadBucket, the /readyz check.
    { actions: ['s3:ListBucket'], resources: ['assetsBucket'] },
    // DescribeStateMachine is the /readyz check.
    { actions: ['states:StartExecution', 'states:DescribeStateMachine'], resources: ['assetPipeline'] },
  ],
  'workflow-worker': [
    // Read the original, write derivatives.
    { actions: ['s3:GetObject', 's3:PutObject'], resources: ['assetsBucketObjects'] },
    // HeadBucket, the /readyz check.
    { actions: ['s3:ListBucket'], resources: ['assetsBucket'] },
  ],
  'asset-pipeline': [{ actions: ['lambda:InvokeFunction'], resources: ['workerFunction'] }],
} as const satisfies Record<Workload, readonly Grant[]>;

/**
 * What the Lambda service needs to run any function in a VPC and ship its logs.
 * Granted in a separate policy from the app's own. EC2 network-interface calls
 * cannot be scoped to resources (AWS requires `*`); this is the only `*`.
 */
export const lambdaRuntimePermissions = [
  { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: ['logGroup'] },
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

const sid = (action: string) =>
  action
    .split(/[:]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** An IAM policy document (JSON) for `grants`, resolving each symbolic resource through `arns`. */
export function policyDocument(
  grants: readonly Grant[],
  arns: Partial<Record<ResourceRef, string | readonly string[]>>,
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
