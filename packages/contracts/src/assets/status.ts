import type { AssetStatus } from './schemas.ts';

/**
 * The legal status moves. DELETED is reached from any live status through the
 * public DELETE only, and nothing leaves it.
 */
export const statusTransitions: Readonly<Record<AssetStatus, readonly AssetStatus[]>> = {
  PENDING: ['UPLOADED', 'DELETED'],
  UPLOADED: ['PROCESSING', 'DELETED'],
  PROCESSING: ['READY', 'FAILED', 'DELETED'],
  READY: ['DELETED'],
  FAILED: ['DELETED'],
  DELETED: [],
};

export const canTransition = (from: AssetStatus, to: AssetStatus) => statusTransitions[from].includes(to);

/** The statuses from which `to` may be reached (for a conditional write). */
export const predecessorsOf = (to: AssetStatus): AssetStatus[] =>
  (Object.keys(statusTransitions) as AssetStatus[]).filter((from) => canTransition(from, to));
