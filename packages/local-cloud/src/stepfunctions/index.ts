export {
  type StepFunctionsServer,
  type StepFunctionsServerOptions,
  startStepFunctionsServer,
} from './server.ts';
