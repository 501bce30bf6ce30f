import { DeleteObjectsCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.ts';

/** The assets bucket: presigned downloads and best-effort removal of a deleted asset's objects. */
export class ObjectStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly urlTtlSeconds: number,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** A short-lived GET URL (signed locally: no call to S3). */
  async downloadUrl(key: string, filename?: string) {
    const url = await getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(filename
          ? { ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(filename)}` }
          : {}),
      }),
      { expiresIn: this.urlTtlSeconds },
    );
    return { url, expiresAt: new Date(Date.now() + this.urlTtlSeconds * 1000).toISOString() };
  }

  /**
   * Deletes the objects (keys already gone count as deleted); never throws. A
   * failure is logged and counted and returns false: the tombstone keeps the
   * keys and its `cleanupPending` flag, so a repeated DELETE or the sweep
   * (`AssetsService.sweepDeleted`) retries.
   */
  async deleteAll(keys: string[], assetId: string): Promise<boolean> {
    if (keys.length === 0) return true;
    try {
      const { Errors = [] } = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (Errors.length > 0) throw new Error(Errors.map((e) => `${e.Key}: ${e.Code}`).join(', '));
      return true;
    } catch (error) {
      this.metrics.inc('s3DeleteErrors');
      this.log.warn(
        { event: 's3.delete_failed', assetId, err: error },
        'could not delete the objects of a deleted asset',
      );
      return false;
    }
  }
}
