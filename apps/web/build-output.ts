/**
 * Where the build puts its content-hashed files (JS, CSS): cacheable forever, since a change
 * gives a new name. Not Vite's default `assets/`: the console shares its origin with the APIs,
 * and `/assets*` is the data API's route (the ALB rules, CloudFront's behaviours, HAProxy).
 */
export const hashedFilesDir = 'static';
