import Type from 'typebox';
import { serviceAuth } from '../auth.ts';
import { common, name, port, url } from '../fields.ts';
import { uploadLimit } from '../uploads.ts';

const thumbnailSize = '[a-z0-9][a-z0-9-]{0,31}:[1-9][0-9]{0,3}';

export const workflowWorkerEnv = Type.Object({
  ...common,
  PORT: port(3200),
  ASSETS_BUCKET: name(),
  DATA_API_INTERNAL_URL: url(),
  // The worker mints its service token for the data API's internal routes.
  ...serviceAuth,
  /** `name:longest-side` pairs, e.g. `small:160,medium:640`. */
  THUMBNAIL_SIZES: Type.String({
    pattern: `^${thumbnailSize}(,${thumbnailSize}){0,9}$`,
    default: 'small:160,medium:640',
  }),
  /** Images declaring more pixels are refused before decoding (decompression bombs). */
  MAX_INPUT_PIXELS: Type.Integer({ minimum: 1, default: 120_000_000 }),
  /** The longest one image operation may take. */
  IMAGE_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 300, default: 30 }),
  ...uploadLimit,
});

/** THUMBNAIL_SIZES as the pipeline's thumbnail sizes. */
export const thumbnailSizesOf = (value: string) =>
  value.split(',').map((pair) => {
    const [sizeName = '', maxDimension = ''] = pair.split(':');
    return { name: sizeName, maxDimension: Number(maxDimension) };
  });
