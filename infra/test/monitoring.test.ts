import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricCatalogue, metricsNamespace, serviceDimension } from '@stateless/observability';
import { type AppName, apps } from '@stateless/topology';
import { describe, expect, it } from 'vitest';
import { infraDir } from '../src/environments.ts';
import { type Block, onlyResource, resources, stack } from './synth.ts';

type Line = (string | Block)[];
interface Widget {
  type: string;
  properties: { metrics?: Line[]; alarms?: string[]; title?: string };
}

const platform = () => stack('platform');
const dashboard = () => {
  const [, board] = onlyResource(platform(), 'aws_cloudwatch_dashboard');
  return JSON.parse(String(board.dashboard_body)) as { widgets: Widget[] };
};
const alarms = () => resources(platform(), 'aws_cloudwatch_metric_alarm').map(([, alarm]) => alarm);
const namespace = metricsNamespace('dev');

/** Every app metric (service, name) a dashboard line or SEARCH expression reads. */
function dashboardAppMetrics(): string[] {
  return dashboard().widgets.flatMap((w) =>
    (w.properties.metrics ?? []).flatMap((line): string[] => {
      const [first, name, ...rest] = line;
      if (first === namespace) {
        const service = rest[rest.indexOf(serviceDimension) + 1];
        return [`${service}/${name}`];
      }
      const expression = typeof first === 'object' ? String(first.expression ?? '') : '';
      const search = /^SEARCH\('\{"([^"]+)".*\} MetricName="([^"]+)" service="([^"]+)"/.exec(expression);
      return search?.[1] === namespace ? [`${search[3]}/${search[2]}`] : [];
    }),
  );
}

const catalogueMetrics = () =>
  apps.flatMap((service: AppName) =>
    Object.keys(metricCatalogue[service]).map((name) => `${service}/${name}`),
  );

describe('the dashboard and alarms against the metrics the code emits', () => {
  it('charts every catalogue metric of every app, and no app metric outside it', () => {
    const charted = dashboardAppMetrics();
    expect([...new Set(charted)].sort()).toEqual(catalogueMetrics().sort());
  });

  it('alarms only on app metrics the catalogue has (with the service dimension)', () => {
    const queried = alarms().flatMap((alarm) =>
      (alarm.metric_query as Block[]).flatMap((query) => {
        const metric = query.metric as Block | undefined;
        if (!metric || metric.namespace !== namespace) return [];
        const dimensions = metric.dimensions as Record<string, string>;
        return [`${dimensions[serviceDimension]}/${metric.metric_name}`];
      }),
    );
    expect(queried.length).toBeGreaterThan(0);
    expect(queried.filter((m) => !catalogueMetrics().includes(m))).toEqual([]);
  });

  it('charts ALB, Lambda, DynamoDB, Redis and Step Functions metrics the issue lists', () => {
    const names = new Set(
      dashboard().widgets.flatMap((w) => (w.properties.metrics ?? []).map((line) => `${line[0]}/${line[1]}`)),
    );
    for (const metric of [
      'AWS/ApplicationELB/RequestCount',
      'AWS/ApplicationELB/TargetResponseTime',
      'AWS/ApplicationELB/HTTPCode_Target_5XX_Count',
      'AWS/Lambda/Invocations',
      'AWS/Lambda/Errors',
      'AWS/Lambda/Throttles',
      'AWS/Lambda/Duration',
      'AWS/Lambda/ConcurrentExecutions',
      'AWS/DynamoDB/ConsumedReadCapacityUnits',
      'AWS/DynamoDB/WriteThrottleEvents',
      'AWS/ElastiCache/EngineCPUUtilization',
      'AWS/ElastiCache/DatabaseMemoryUsagePercentage',
      'AWS/ElastiCache/Evictions',
      'AWS/ElastiCache/CurrConnections',
      'AWS/States/ExecutionsStarted',
      'AWS/States/ExecutionsFailed',
      'AWS/States/ExecutionsTimedOut',
      'AWS/States/ExecutionTime',
    ]) {
      expect(names, metric).toContain(metric);
    }
  });

  it('sends every alarm to the stage topic, says what to do first, and is explained in infra/README.md', () => {
    const [topicId] = onlyResource(platform(), 'aws_sns_topic');
    const readme = readFileSync(join(infraDir, 'README.md'), 'utf8');
    for (const alarm of alarms()) {
      expect(alarm.alarm_actions, String(alarm.alarm_name)).toEqual([`\${aws_sns_topic.${topicId}.arn}`]);
      expect(String(alarm.alarm_description).length, String(alarm.alarm_name)).toBeGreaterThan(40);
      // The README names alarms without the stage, with placeholders for per-listener/app/member ones.
      const generic = String(alarm.alarm_name)
        .replace(/^dev-/, '')
        .replace(/^(public|internal)-/, '<listener>-')
        .replace(new RegExp(`^(${apps.join('|')})-lambda-`), '<app>-lambda-')
        .replace(/^redis-.+-(memory|evictions)$/, 'redis-<member>-$1');
      expect(readme, String(alarm.alarm_name)).toContain(`\`${generic}\``);
    }
  });
});
