import Dashboard from '@uppy/dashboard';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { Api } from '../api.ts';
import type { Session } from '../session.ts';
import { createUploader, multipartThreshold } from '../uploader.ts';
import { assetsChanged } from './asset-list.tsx';

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** Uppy's Dashboard: drag and drop, progress per file, pause/resume/cancel; the plugin does the protocol. */
export function UploadPanel({
  session,
  api,
  report,
  maxUploadBytes,
}: {
  session: Session;
  api: Api;
  report: (error: unknown) => void;
  /** From the console's config: the upload service's limit. */
  maxUploadBytes: number;
}) {
  const target = useRef<HTMLDivElement>(null);
  const apiRef = useRef(api);
  apiRef.current = api;
  const tokenRef = useRef(session.token);
  tokenRef.current = session.token;
  const uppy = useMemo(
    () => createUploader(() => tokenRef.current, session.userId, maxUploadBytes),
    [session.userId, maxUploadBytes],
  );

  useEffect(() => {
    if (!target.current) return;
    uppy.use(Dashboard, {
      target: target.current,
      inline: true,
      height: 340,
      width: '100%',
      proudlyDisplayPoweredByUppy: false,
      note: `PNG, JPEG, WebP, GIF, AVIF, TIFF, PDF or text, up to ${mb(maxUploadBytes)} each. Files over ${mb(multipartThreshold)} upload in parts: after a reload, pick the file again and the upload resumes.`,
    });
    // Multipart uploads complete through the service; single uploads go straight to S3. Either way the
    // new asset is in the list at once, and its status moves on without a refresh.
    const changed = () => dispatchEvent(new Event(assetsChanged));
    // Uppy Dashboard 6.0.3 lists a single file as role=listitem in a container with no role=list
    // (axe: aria-required-parent, critical); the container gets the role it lacks.
    const lists = new MutationObserver(() => {
      for (const files of target.current?.querySelectorAll('.uppy-Dashboard-files:not([role])') ?? [])
        files.setAttribute('role', 'list');
    });
    lists.observe(target.current, { childList: true, subtree: true });
    // The files already put in the list while uploading (Uppy's file ids; one may be added again).
    const listed = new Set<string>();
    // A multipart upload the person cancels (or removes) is not wanted: its PENDING asset goes too,
    // rather than sitting in the list until the record expires. The key is `originals/<assetId>`.
    const discard = (file: {
      id: string;
      progress: { uploadComplete?: boolean };
      s3Multipart?: { key: string };
    }) => {
      listed.delete(file.id);
      const assetId = file.s3Multipart?.key.split('/')[1];
      if (file.progress.uploadComplete || !assetId) return;
      apiRef.current.remove(assetId).then(changed, report);
    };
    // Bytes flow only once the upload service has made the asset (when it signed the POST or started
    // the multipart upload): a file's first progress puts it in the list, PENDING, while it uploads.
    // Uppy's upload-start is too early for that, and the list, seeing nothing moving, would next
    // look at its idle refresh (15 s).
    const progressing = (file?: { id: string }) => {
      if (!file || listed.has(file.id)) return;
      listed.add(file.id);
      changed();
    };
    const succeeded = (file?: { id: string }) => {
      if (file) listed.delete(file.id);
      changed();
    };
    uppy.on('upload-success', succeeded);
    uppy.on('upload-progress', progressing);
    uppy.on('file-removed', discard);
    return () => {
      // Off first: destroying Uppy removes its files, which is no cancellation by the person.
      uppy.off('upload-success', succeeded);
      uppy.off('upload-progress', progressing);
      uppy.off('file-removed', discard);
      lists.disconnect();
      uppy.destroy();
    };
  }, [uppy]);

  return (
    <section class="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload</h2>
      <div ref={target} data-testid="uploader" />
    </section>
  );
}
