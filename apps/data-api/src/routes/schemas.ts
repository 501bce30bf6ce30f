/** Every route may answer with the contracts error shape (registered once as the shared `ErrorBody`). */
export const errorResponses = {
  '4xx': { $ref: 'ErrorBody#' },
  '5xx': { $ref: 'ErrorBody#' },
} as const;
