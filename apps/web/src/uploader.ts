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
    autoProceed: false,
  })
    .use(AwsS3, {
      companionEndpoint: uploadsPath,
      shouldUseMultipart: (file) => (file.size ?? 0) > multipartThreshold,
      limit: 4,
    })
    .use(GoldenRetriever, { serviceWorker: false });
}

export type Uploader = ReturnType<typeof createUploader>;
