import Type from 'typebox';

export const port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65535, default: fallback });
export const url = () => Type.String({ pattern: '^(https?|rediss?)://.+' });
export const flag = (fallback: boolean) => Type.Boolean({ default: fallback });
export const name = () => Type.String({ minLength: 1 });

/** Variables every app reads. */
export const common = {
  AWS_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  HOST: Type.String({ default: '0.0.0.0' }),
  /** moto and other stand-ins only speak path-style S3 URLs. */
  S3_FORCE_PATH_STYLE: flag(false),
  /** The CloudWatch namespace of the app's EMF metrics; infra sets the stage's (@stateless/observability). */
  METRICS_NAMESPACE: Type.String({ minLength: 1, default: 'StatelessStack/local' }),
};
