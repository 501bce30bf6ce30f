import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
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

  /**
   * A short-lived GET URL (signed locally: no call to S3). With `versionId`, the URL serves that
   * version of the key, whatever was written to the key since (the bucket is versioned).
   */
  async downloadUrl(key: string, filename?: string, versionId?: string) {
    const url = await getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(versionId ? { VersionId: versionId } : {}),
        ...(filename
          ? { ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(filename)}` }
          : {}),
      }),
      { expiresIn: this.urlTtlSeconds },
    );
    return { url, expiresAt: new Date(Date.now() + this.urlTtlSeconds * 1000).toISOString() };
  }

  /** Every version and delete marker of `key` (the bucket is versioned). */
  private async versionsOf(key: string): Promise<ObjectIdentifier[]> {
    const found: ObjectIdentifier[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, ...markers }),
      );
      for (const entry of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        // The prefix `originals/a1` also lists `originals/a10`.
        if (entry.Key === key) found.push({ Key: key, VersionId: entry.VersionId });
      }
      if (!page.IsTruncated) return found;
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
  }

  /**
   * Deletes every version of the objects (keys already gone count as deleted), so nothing of
   * them stays readable, not even by version id; never throws. A
   * failure is logged and counted and returns false: the tombstone keeps the
   * keys and its `cleanupPending` flag, so a repeated DELETE or the sweep
   * (`AssetsService.sweepDeleted`) retries.
   */
  async deleteAll(keys: string[], assetId: string): Promise<boolean> {
    if (keys.length === 0) return true;
    try {
      const versions = (await Promise.all(keys.map((key) => this.versionsOf(key)))).flat();
      // DeleteObjects takes at most 1000 objects a request.
      for (let start = 0; start < versions.length; start += 1000) {
        const { Errors = [] } = await this.s3.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: versions.slice(start, start + 1000), Quiet: true },
          }),
        );
        if (Errors.length > 0) throw new Error(Errors.map((e) => `${e.Key}: ${e.Code}`).join(', '));
      }
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
