import { CloudwatchDashboard } from '@cdktn/provider-aws/lib/cloudwatch-dashboard/index.js';
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity/index.js';
import { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic/index.js';
import { SnsTopicSubscription } from '@cdktn/provider-aws/lib/sns-topic-subscription/index.js';
import { metricCatalogue, metricsNamespace, serviceDimension } from '@stateless/observability';
import { type AppName, apps, resourceNames } from '@stateless/topology';
import { Construct } from 'constructs';
import type { Environment } from '../environments.ts';
import { functionNameOf, queueNames } from '../names.ts';
import type { Cache } from './cache.ts';
import type { DataStores } from './data-stores.ts';
import type { LoadBalancers } from './load-balancers.ts';
import { type AlbListener, albListeners } from './network.ts';

/** One CloudWatch metric: namespace, name, dimensions. */
export interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Readonly<Record<string, string>>;
}

type Comparison = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold';

/** An alarm expression adding metrics that share a namespace and dimensions (id → metric name). */
const sumOf = (namespace: string, dimensions: Record<string, string>, names: Record<string, string>) => ({
  expression: Object.keys(names).join(' + '),
  refs: Object.fromEntries(
    Object.entries(names).map(([id, name]): [string, MetricRef] => [id, { namespace, name, dimensions }]),
  ),
});

/** An alarm that pages: what it watches, when it fires, and (in `runbook`) what to do first. */
export interface AlarmSpec {
  /** `<stage>-<name>` is the alarm's name; infra/README.md explains each one. */
  name: string;
  runbook: string;
  /** One metric and a statistic, or an expression over named metrics (all summed per period). */
  metric: { ref: MetricRef; stat: string } | { expression: string; refs: Record<string, MetricRef> };
  threshold: number;
  comparison: Comparison;
  /** Fires when `datapoints` of the last `periods` one-minute periods breach. */
  periods: number;
  datapoints: number;
}

const alb = (listener: AlbListener, balancers: LoadBalancers, name: string, targetGroup?: string) => ({
  namespace: 'AWS/ApplicationELB',
  name,
  dimensions: {
    LoadBalancer: balancers.loadBalancers[listener].arnSuffix,
    ...(targetGroup && { TargetGroup: targetGroup }),
  },
});
const lambda = (functionName: string, name: string): MetricRef => ({
  namespace: 'AWS/Lambda',
  name,
  dimensions: { FunctionName: functionName },
});
const app = (stage: string, service: AppName, name: string): MetricRef => ({
  namespace: metricsNamespace(stage),
  name,
  dimensions: { [serviceDimension]: service },
});

export interface MonitoringProps {
  environment: Environment;
  loadBalancers: LoadBalancers;
  dataStores: DataStores;
  cache: Cache;
}

/**
 * The stage's alarm topic, the alarms that page someone, and one dashboard. Functions,
 * the state machine and queues live in other stacks; they are watched by their fixed
 * names, so this stack depends on none of them.
 */
export class Monitoring extends Construct {
  readonly topic: SnsTopic;
  readonly alarms: AlarmSpec[];
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { environment, loadBalancers, dataStores, cache } = props;
    const { stage, region } = environment;
    const names = resourceNames(stage);
    const account = new DataAwsCallerIdentity(this, 'account').accountId;
    const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${names.assetPipeline}`;
    const redisMembers = cache.memberClusterIds;
    const table = dataStores.table.name;

    this.topic = new SnsTopic(this, 'alarms', { name: `${stage}-alarms` });
    environment.alarmEmails.forEach((email, index) => {
      new SnsTopicSubscription(this, `alarms-email-${index}`, {
        topicArn: this.topic.arn,
        protocol: 'email',
        endpoint: email,
      });
    });

    this.alarms = [
      ...albListeners.flatMap((listener): AlarmSpec[] => [
        {
          name: `${listener}-alb-5xx-rate`,
          runbook: `More than 5% of ${listener} requests failed with 5xx for 5 minutes. Open the dashboard's ALB row: target 5xx points at one app (read its logs and Lambda errors), ELB 5xx at the load balancer (no healthy target, Lambda throttled or timing out).`,
          metric: {
            expression: '100 * (elb + target) / MAX([requests, 1])',
            refs: {
              elb: alb(listener, loadBalancers, 'HTTPCode_ELB_5XX_Count'),
              target: alb(listener, loadBalancers, 'HTTPCode_Target_5XX_Count'),
              requests: alb(listener, loadBalancers, 'RequestCount'),
            },
          },
          threshold: 5,
          comparison: 'GreaterThanThreshold',
          periods: 5,
          datapoints: 5,
        },
        {
          name: `${listener}-alb-p99-latency`,
          runbook: `p99 response time of the ${listener} ALB above 2 s for 5 minutes. Check Lambda duration p99 and concurrency per app, then DynamoDB throttles and Redis CPU.`,
          metric: { ref: alb(listener, loadBalancers, 'TargetResponseTime'), stat: 'p99' },
          threshold: 2,
          comparison: 'GreaterThanThreshold',
          periods: 5,
          datapoints: 5,
        },
      ]),
      ...apps.flatMap((service): AlarmSpec[] => [
        {
          name: `${service}-lambda-errors`,
          runbook: `${service} returned at least 5 function errors (crashes, timeouts) in 5 minutes. Read its log group /aws/lambda/${functionNameOf(stage, service)} for the stack trace; a deploy just before points at the code.`,
          metric: { ref: lambda(functionNameOf(stage, service), 'Errors'), stat: 'Sum' },
          threshold: 5,
          comparison: 'GreaterThanOrEqualToThreshold',
          periods: 5,
          datapoints: 1,
        },
        {
          name: `${service}-lambda-throttles`,
          runbook: `${service} invocations were throttled: the account or function concurrency limit is reached. Check concurrency on the dashboard; raise the account quota or find the caller that surged.`,
          metric: { ref: lambda(functionNameOf(stage, service), 'Throttles'), stat: 'Sum' },
          threshold: 1,
          comparison: 'GreaterThanOrEqualToThreshold',
          periods: 5,
          datapoints: 1,
        },
      ]),
      {
        name: 'pipeline-failed-executions',
        runbook:
          'An asset pipeline execution failed or timed out (a bad file ends FAILED through the catch path and does not count). Open the execution in the Step Functions console: the failed state and its error say which step and why.',
        metric: sumOf(
          'AWS/States',
          { StateMachineArn: stateMachineArn },
          { failed: 'ExecutionsFailed', timedOut: 'ExecutionsTimedOut' },
        ),
        threshold: 1,
        comparison: 'GreaterThanOrEqualToThreshold',
        periods: 5,
        datapoints: 1,
      },
      {
        name: 'assets-table-throttles',
        runbook:
          'DynamoDB throttled reads or writes on the assets table (on-demand: a burst beyond twice the previous peak, or a hot key). Check which operation on the dashboard; a hot owner partition shows as one user dominating the request logs.',
        metric: sumOf(
          'AWS/DynamoDB',
          { TableName: table },
          { reads: 'ReadThrottleEvents', writes: 'WriteThrottleEvents' },
        ),
        threshold: 1,
        comparison: 'GreaterThanOrEqualToThreshold',
        periods: 5,
        datapoints: 1,
      },
      ...redisMembers.flatMap((member): AlarmSpec[] => [
        {
          name: `redis-${member}-memory`,
          runbook: `Redis ${member} uses more than 80% of its memory. Evictions follow, and rate-limit counters can be evicted with cache entries: lower CACHE_TTL_SECONDS or move to a larger node type.`,
          metric: {
            ref: {
              namespace: 'AWS/ElastiCache',
              name: 'DatabaseMemoryUsagePercentage',
              dimensions: { CacheClusterId: member },
            },
            stat: 'Maximum',
          },
          threshold: 80,
          comparison: 'GreaterThanThreshold',
          periods: 5,
          datapoints: 5,
        },
        {
          name: `redis-${member}-evictions`,
          runbook: `Redis ${member} evicted keys: it is full. The cache degrades to DynamoDB reads; see the memory alarm for what to do.`,
          metric: {
            ref: { namespace: 'AWS/ElastiCache', name: 'Evictions', dimensions: { CacheClusterId: member } },
            stat: 'Sum',
          },
          threshold: 1,
          comparison: 'GreaterThanOrEqualToThreshold',
          periods: 5,
          datapoints: 1,
        },
      ]),
      {
        name: 'sweep-failures',
        runbook:
          "The deleted-assets sweep could not remove some S3 objects. It retries on its next run; if the alarm stays, read data-api's log for the S3 error (permissions, a bucket policy change).",
        metric: { ref: app(stage, 'data-api', 'SweepFailures'), stat: 'Sum' },
        threshold: 1,
        comparison: 'GreaterThanOrEqualToThreshold',
        periods: 15,
        datapoints: 1,
      },
      ...Object.entries(queueNames(stage).deadLetter).map(
        ([source, queue]): AlarmSpec => ({
          name: `${source}-dead-letters`,
          runbook: `Messages reached the dead-letter queue ${queue}: ${source === 'upload-events' ? 'an uploaded object was not started on the pipeline after every retry' : 'an asynchronous invocation of data-api (the sweep schedule) failed after its retries'}. Read one message, fix the cause, then redrive the queue (SQS console, "Start DLQ redrive").`,
          metric: {
            ref: {
              namespace: 'AWS/SQS',
              name: 'ApproximateNumberOfMessagesVisible',
              dimensions: { QueueName: queue },
            },
            stat: 'Maximum',
          },
          threshold: 1,
          comparison: 'GreaterThanOrEqualToThreshold',
          periods: 1,
          datapoints: 1,
        }),
      ),
    ];
    for (const spec of this.alarms)
      new CloudwatchMetricAlarm(this, `alarm-${spec.name}`, this.alarm(stage, spec));

    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: `${stage}-stateless`,
      dashboardBody: JSON.stringify(
        dashboardBody({
          stage,
          region,
          loadBalancers,
          table,
          redisMembers,
          stateMachineArn,
          alarmArns: this.alarms.map(
            (spec) => `arn:aws:cloudwatch:${region}:${account}:alarm:${stage}-${spec.name}`,
          ),
        }),
      ),
    });
  }

  private alarm(stage: string, spec: AlarmSpec): CloudwatchMetricAlarmConfig {
    const metricQuery = (id: string, ref: MetricRef, stat: string, returnData: boolean) => ({
      id,
      returnData,
      metric: {
        namespace: ref.namespace,
        metricName: ref.name,
        dimensions: { ...ref.dimensions },
        period: 60,
        stat,
      },
    });
    return {
      alarmName: `${stage}-${spec.name}`,
      alarmDescription: spec.runbook,
      comparisonOperator: spec.comparison,
      threshold: spec.threshold,
      evaluationPeriods: spec.periods,
      datapointsToAlarm: spec.datapoints,
      treatMissingData: 'notBreaching',
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
      metricQuery:
        'ref' in spec.metric
          ? [metricQuery('m', spec.metric.ref, spec.metric.stat, true)]
          : [
              ...Object.entries(spec.metric.refs).map(([id, ref]) => metricQuery(id, ref, 'Sum', false)),
              { id: 'e', expression: spec.metric.expression, label: spec.name, returnData: true },
            ],
    };
  }
}

type MetricLine = (string | { stat?: string; label?: string; expression?: string; id?: string })[];
const line = (ref: MetricRef, options: { stat?: string; label?: string } = {}): MetricLine => [
  ref.namespace,
  ref.name,
  ...Object.entries(ref.dimensions).flat(),
  options,
];

interface DashboardInputs {
  stage: string;
  region: string;
  loadBalancers: LoadBalancers;
  table: string;
  redisMembers: string[];
  stateMachineArn: string;
  alarmArns: string[];
}

/** One row per concern, top to bottom in the order an incident is read: traffic, compute, data, pipeline, app. */
function dashboardBody(inputs: DashboardInputs) {
  const { stage, region, loadBalancers } = inputs;
  const widgets: object[] = [];
  let y = 0;
  const row = (title: string, panels: { title: string; metrics: MetricLine[]; stat?: string }[]) => {
    widgets.push({ type: 'text', x: 0, y, width: 24, height: 1, properties: { markdown: `## ${title}` } });
    y += 1;
    const width = Math.max(6, Math.floor(24 / panels.length));
    panels.forEach((panel, index) => {
      widgets.push({
        type: 'metric',
        x: (index * width) % 24,
        y: y + Math.floor((index * width) / 24) * 6,
        width,
        height: 6,
        properties: {
          title: panel.title,
          region,
          metrics: panel.metrics,
          stat: panel.stat ?? 'Sum',
          period: 60,
          view: 'timeSeries',
        },
      });
    });
    y += Math.ceil((panels.length * width) / 24) * 6;
  };

  widgets.push({
    type: 'alarm',
    x: 0,
    y,
    width: 24,
    height: 3,
    properties: { title: 'Alarms', alarms: inputs.alarmArns },
  });
  y += 3;

  row(
    'Load balancers',
    albListeners.flatMap((listener) => {
      const targets = loadBalancers.targets.filter((t) => t.listener === listener);
      return [
        { title: `${listener}: requests`, metrics: [line(alb(listener, loadBalancers, 'RequestCount'))] },
        {
          title: `${listener}: latency p50 / p99 (s)`,
          metrics: [
            line(alb(listener, loadBalancers, 'TargetResponseTime'), { stat: 'p50', label: 'p50' }),
            line(alb(listener, loadBalancers, 'TargetResponseTime'), { stat: 'p99', label: 'p99' }),
          ],
        },
        {
          title: `${listener}: 5xx per target`,
          metrics: [
            line(alb(listener, loadBalancers, 'HTTPCode_ELB_5XX_Count'), { label: 'load balancer' }),
            ...targets.map((t) =>
              line(alb(listener, loadBalancers, 'HTTPCode_Target_5XX_Count', t.targetGroup.arnSuffix), {
                label: t.app,
              }),
            ),
          ],
        },
      ];
    }),
  );

  const perApp = (name: string, stat: string) =>
    apps.map((service) => line(lambda(functionNameOf(stage, service), name), { stat, label: service }));
  row('Lambda functions', [
    { title: 'Invocations', metrics: perApp('Invocations', 'Sum') },
    { title: 'Errors', metrics: perApp('Errors', 'Sum') },
    { title: 'Throttles', metrics: perApp('Throttles', 'Sum') },
    { title: 'Duration p99 (ms)', metrics: perApp('Duration', 'p99'), stat: 'p99' },
    { title: 'Concurrency', metrics: perApp('ConcurrentExecutions', 'Maximum'), stat: 'Maximum' },
  ]);

  const tableMetric = (name: string) => ({
    namespace: 'AWS/DynamoDB',
    name,
    dimensions: { TableName: inputs.table },
  });
  const redisPanel = (title: string, name: string, stat: string) => ({
    title,
    stat,
    metrics: inputs.redisMembers.map((member) =>
      line(
        { namespace: 'AWS/ElastiCache', name, dimensions: { CacheClusterId: member } },
        { stat, label: member },
      ),
    ),
  });
  row('Data stores', [
    {
      title: 'DynamoDB consumed capacity',
      metrics: [
        line(tableMetric('ConsumedReadCapacityUnits')),
        line(tableMetric('ConsumedWriteCapacityUnits')),
      ],
    },
    {
      title: 'DynamoDB throttles',
      metrics: [line(tableMetric('ReadThrottleEvents')), line(tableMetric('WriteThrottleEvents'))],
    },
    redisPanel('Redis engine CPU %', 'EngineCPUUtilization', 'Maximum'),
    redisPanel('Redis memory %', 'DatabaseMemoryUsagePercentage', 'Maximum'),
    redisPanel('Redis evictions', 'Evictions', 'Sum'),
    redisPanel('Redis connections', 'CurrConnections', 'Maximum'),
  ]);

  const states = (name: string) => ({
    namespace: 'AWS/States',
    name,
    dimensions: { StateMachineArn: inputs.stateMachineArn },
  });
  row('Asset pipeline', [
    {
      title: 'Executions',
      metrics: ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'].map(
        (name) => line(states(name)),
      ),
    },
    {
      title: 'Execution time p50 / p99 (ms)',
      metrics: [
        line(states('ExecutionTime'), { stat: 'p50', label: 'p50' }),
        line(states('ExecutionTime'), { stat: 'p99', label: 'p99' }),
      ],
    },
    {
      title: 'Dead-letter queues',
      stat: 'Maximum',
      metrics: Object.values(queueNames(stage).deadLetter).map((queue) =>
        line(
          {
            namespace: 'AWS/SQS',
            name: 'ApproximateNumberOfMessagesVisible',
            dimensions: { QueueName: queue },
          },
          { stat: 'Maximum', label: queue },
        ),
      ),
    },
  ]);

  row(
    'Application metrics',
    apps.map((service) => ({
      title: service,
      metrics: Object.entries(metricCatalogue[service]).map(([name, definition]) => {
        const dimensions = Object.keys('dimensions' in definition ? definition.dimensions : {});
        if (dimensions.length === 0) return line(app(stage, service, name), { label: name });
        // Open dimension values (failure reasons): every series CloudWatch has, summed per step and reason.
        const schema = [metricsNamespace(stage), serviceDimension, ...dimensions]
          .map((d) => `"${d}"`)
          .join(',');
        return [
          {
            expression: `SEARCH('{${schema}} MetricName="${name}" ${serviceDimension}="${service}"', '${definition.unit === 'Milliseconds' ? 'p99' : 'Sum'}', 60)`,
            id: `${name.toLowerCase()}`,
            label: name,
          },
        ];
      }),
    })),
  );
  return { widgets };
}
