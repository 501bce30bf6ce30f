// First: the engine needs Promise.withResolvers, which Node 20 lacks.
import './polyfills.ts';

export {
  type StepFunctionsServer,
  type StepFunctionsServerOptions,
  startStepFunctionsServer,
} from './server.ts';
