import { uploadRules, uploadsBasePath } from '@stateless/contracts';
import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';
import GoldenRetriever from '@uppy/golden-retriever';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';

/** What the upload service accepts (contracts); Uppy explains a refusal before any byte is sent. */
export { uploadRules };

/** Files above this go through multipart (resumable after a dropped connection or a reload). */
export const multipartThreshold = 10 * 1024 * 1024;

export const uploadsPath = uploadsBasePath;

let authorize: (() => string | undefined) | undefined;

/**
 * `@uppy/aws-s3` 6.x's Companion client calls `fetch` with no way to add headers, so the
 * bearer token goes on its same-origin `/uploads/` requests here; nothing else is touched
 * (the presigned S3 requests are cross-origin and carry their signature).
 */
function authorizeUploadRequests(token: () => string | undefined) {
  if (authorize) {
    authorize = token;
    return;
  }
  authorize = token;
  const plainFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    const bearer = authorize?.();
    if (url.origin !== location.origin || !url.pathname.startsWith(`${uploadsPath}/`) || !bearer) {
      return plainFetch(input, init);
    }
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('authorization', `Bearer ${bearer}`);
    return plainFetch(input, { ...init, headers });
  };
}

export function createUploader(token: () => string | undefined, userId: string, maxFileSize: number) {
  authorizeUploadRequests(token);
  // One Uppy per user: Golden Retriever's saved state (files, multipart upload ids) is per id.
  return new Uppy({
    id: `console-${userId}`,
    restrictions: { ...uploadRules, maxFileSize },
    // A dropped or picked file starts uploading at once: no "Upload N files" step to miss.
    autoProceed: true,
  })
    .use(AwsS3, {
      companionEndpoint: uploadsPath,
      shouldUseMultipart: (file) => (file.size ?? 0) > multipartThreshold,
      limit: 4,
    })
    .use(GoldenRetriever, { serviceWorker: false });
}

export type Uploader = ReturnType<typeof createUploader>;

/**
 * Where Golden Retriever (6.0) keeps what it restores after a reload: one IndexedDB database for
 * every Uppy of this origin (small files' bytes; each Uppy's files, keyed by its id, so by user,
 * and their multipart upload ids), or `uppyState:<id>` in localStorage where IndexedDB is missing.
 * Its Service Worker store is off (`serviceWorker: false` above).
 */
const savedUploads = { database: 'uppy-blobs', keyPrefix: 'uppyState:' };

/**
 * Forgets every upload saved in this browser, as a sign-out must: the next person at it would find
 * the last one's user id, file names and upload ids. Called once the upload panel is gone (its Uppy
 * destroyed): deleting the database closes Golden Retriever's connections, so a save it still had
 * queued fails rather than writing the database again.
 */
export function forgetSavedUploads(): Promise<void> {
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(savedUploads.keyPrefix)) localStorage.removeItem(key);
  }
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(savedUploads.database);
    request.onsuccess = () => resolve();
    request.onerror = () => resolve();
  });
}
