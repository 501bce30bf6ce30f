export { conventionsPlugin } from './conventions-plugin.ts';
export { errorsPlugin, toPublicError } from './errors-plugin.ts';
export { healthPlugin, type ReadinessCheck } from './health-plugin.ts';
export { FunctionError, type InvokeHandler, lambdaInvokePlugin } from './lambda-invoke.ts';
export { type OpenApiDocs, openApiDocs } from './openapi-plugin.ts';
export { requestIdOf, serviceOptions } from './options.ts';
export { type Listening, runServers } from './run.ts';
export { validatorCompiler } from './validation.ts';
