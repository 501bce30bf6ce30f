/** Base of the errors this package throws; the SDK error, if any, is kept as `cause`. */
export class AwsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsError';
  }
}
