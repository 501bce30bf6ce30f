/** Base error of the local cloud; subclasses keep the underlying failure as `cause`. */
export class LocalCloudError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalCloudError';
  }
}

/** A system tool (redis-server, haproxy, python venv) is missing and could not be installed. */
export class MissingToolError extends LocalCloudError {
  constructor(tool: string, installHint: string, options?: ErrorOptions) {
    super(`${tool} is not installed. Install it with: ${installHint}`, options);
    this.name = 'MissingToolError';
  }
}

/** A child process exited or never became ready. */
export class ProcessError extends LocalCloudError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProcessError';
  }
}
