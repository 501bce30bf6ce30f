/** Every route may answer with the contracts error shape (registered once as the shared `ErrorBody`). */
export const errorResponses = {
  '4xx': { $ref: 'ErrorBody#' },
  '5xx': { $ref: 'ErrorBody#' },
} as const;

/** Error answers a route documents one by one (OpenAPI clients see why each happens). */
export const documentedErrors = (descriptions: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(descriptions).map(([status, description]) => [
      status,
      { $ref: 'ErrorBody#', description },
    ]),
  );
