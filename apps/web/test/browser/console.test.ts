import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { thumbnailSizesOf, workflowWorkerEnv } from '@stateless/config';
import { type Asset, type AssetPage, mintUserToken } from '@stateless/contracts';
import { HaproxyRuntime } from '@stateless/local-cloud';
import type { Browser, BrowserContext, JSHandle, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { multipartThreshold } from '../../src/uploader.ts';
import {
  expectAccessible,
  launch,
  openConsole,
  rowOf,
  screenshot,
  signIn,
  stack,
  statusOf,
  tabTo,
  uniqueUser,
  upload,
  userToken,
  waitForStatus,
} from './browser.ts';
import { type FileFixture, jpegImage, largePngImage, pdfDocument, pngImage, textFile } from './fixtures.ts';
import { maxUploadBytes, rateLimitPerMinute } from './global-setup.ts';

let browser: Browser;
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const newContext = async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return context;
};

async function signedIn(userId: string) {
  const { page, problems } = await openConsole(await newContext());
  await signIn(page, userId);
  return { page, problems };
}

/** The user's assets as the API has them (the console's list shows the same). */
async function assetsOf(userId: string): Promise<Asset[]> {
  const response = await fetch(`${stack().lb}/assets?limit=50`, {
    headers: { authorization: `Bearer ${await userToken(userId)}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as AssetPage).items;
}

/**
 * Every value the Dashboard's progress bar shows from now on (a MutationObserver in the page:
 * uploads on localhost are quicker than any polling from here).
 */
const recordProgress = (page: Page) =>
  page.evaluate(() => {
    const seen: number[] = [];
    (window as { progressSeen?: number[] }).progressSeen = seen;
    new MutationObserver(() => {
      for (const bar of document.querySelectorAll('[data-testid=uploader] [role=progressbar]'))
        seen.push(Number(bar.getAttribute('aria-valuenow')));
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
const progressSeen = (page: Page) =>
  page.evaluate(() => (window as { progressSeen?: number[] }).progressSeen ?? []);

/** Drags a DataTransfer from outside the page onto the Dashboard and drops it. */
async function drop(page: Page, dataTransfer: JSHandle<DataTransfer>) {
  const dashboard = page.locator('[data-testid=uploader] .uppy-Dashboard');
  for (const type of ['dragenter', 'dragover', 'drop']) await dashboard.dispatchEvent(type, { dataTransfer });
}

/** Drags files from outside the page onto the Dashboard and drops them (a DataTransfer of Files). */
async function dropFiles(page: Page, files: FileFixture[]) {
  const dataTransfer = await page.evaluateHandle(
    (dropped) => {
      const transfer = new DataTransfer();
      for (const { name, mimeType, base64 } of dropped) {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], name, { type: mimeType }));
      }
      return transfer;
    },
    files.map(({ name, mimeType, buffer }) => ({ name, mimeType, base64: buffer.toString('base64') })),
  );
  await drop(page, dataTransfer);
}

/** The Dashboard's alert (its Informer) saying `text`. */
const alertIn = (page: Page, text: RegExp) =>
  page.locator('[data-testid=uploader]').getByRole('alert').filter({ hasText: text });

/** Every request to the upload service or to S3 from now on (none may precede a refusal). */
function uploadCalls(page: Page) {
  const calls: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/uploads') || url.origin === new URL(stack().aws).origin)
      calls.push(url.href);
  });
  return calls;
}

/**
 * A slow uplink (DevTools network emulation, 4 MiB/s unless told) so a test can act mid-upload;
 * counts the parts S3 has stored.
 */
async function slowUplink(page: Page, bytesPerSecond = 4 * 1024 * 1024) {
  const s3 = new URL(stack().aws).origin;
  let stored = 0;
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (response.request().method() === 'PUT' && url.origin === s3 && response.ok()) stored++;
  });
  const network = await page.context().newCDPSession(page);
  const uplink = (uploadThroughput: number) =>
    network.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput,
    });
  await network.send('Network.enable');
  await uplink(bytesPerSecond);
  return { partsStored: () => stored, release: () => uplink(-1) };
}

/**
 * What Golden Retriever has saved in the page's browser: its localStorage keys, its IndexedDB
 * database, and the Uppy ids (`console-<userId>`) it holds state for there. Never creates the
 * database by looking (an open that would create it is aborted).
 */
const savedUploads = (page: Page) =>
  page.evaluate(async () => {
    const keys = Object.keys(localStorage).filter((key) => key.startsWith('uppyState:'));
    const names = (await indexedDB.databases()).map((d) => d.name ?? '');
    const databases = names.filter((name) => name.startsWith('uppy'));
    const db = databases.includes('uppy-blobs')
      ? await new Promise<IDBDatabase | undefined>((resolve) => {
          const open = indexedDB.open('uppy-blobs');
          open.onupgradeneeded = () => open.transaction?.abort();
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => resolve(undefined);
        })
      : undefined;
    const records = db?.objectStoreNames.contains('metadata')
      ? await new Promise<string[]>((resolve) => {
          const all = db.transaction('metadata').objectStore('metadata').getAllKeys();
          all.onsuccess = () => resolve(all.result.map(String));
          all.onerror = () => resolve([]);
        })
      : [];
    db?.close();
    return { keys, databases, records };
  });

const sha256 = (buffer: Buffer) => createHash('sha256').update(buffer).digest('hex');

/** How many parts a multipart upload of the file has (5 MiB each). */
const partsOf = (file: FileFixture) => Math.ceil(file.buffer.length / (5 * 1024 * 1024));

/**
 * A multipart upload resumed where it stopped: the parts S3 had were not sent again, the others
 * were; the user's one asset holds the file's bytes.
 */
async function expectResumedWhole(userId: string, file: FileFixture, stored: number[], sentAfter: number[]) {
  expect(sentAfter.filter((part) => stored.includes(part))).toEqual([]);
  expect(new Set([...stored, ...sentAfter])).toEqual(
    new Set(Array.from({ length: partsOf(file) }, (_, i) => i + 1)),
  );
  const [asset, ...others] = await assetsOf(userId);
  expect(others).toEqual([]);
  expect({ size: asset?.size, sha256: asset?.sha256 }).toEqual({
    size: file.buffer.length,
    sha256: sha256(file.buffer),
  });
}

describe('the console in a real browser, through the public entry', () => {
  it('signs in, uploads a PNG, a JPEG, a PDF and a 20 MB image (multipart) with progress; each ends READY, images with a rendered thumbnail', async () => {
    const userId = uniqueUser('uploader');
    const { page: signInPage, problems } = await openConsole(await newContext());
    await expectAccessible(signInPage, 'sign-in');
    await screenshot(signInPage, 'sign-in');
    await signIn(signInPage, userId);
    const page = signInPage;
    expect(await page.getByTestId('user').textContent()).toBe(userId);
    await page.getByText('No assets yet').waitFor();
    await expectAccessible(page, 'empty list');

    const files = [
      await pngImage('gradient.png'),
      await jpegImage('photo.jpg'),
      pdfDocument('letter.pdf'),
      await largePngImage('large.png', 20),
    ];
    const large = files[3] as FileFixture;
    expect(large.buffer.length).toBeGreaterThan(Math.max(20 * 1024 * 1024, multipartThreshold));
    const protocol: string[] = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/uploads/')) protocol.push(`${request.method()} ${pathname}`);
    });
    await recordProgress(page);
    // Picked, they upload at once (autoProceed): nothing here presses an upload button.
    await page.locator('[data-testid=uploader] input[type=file]').first().setInputFiles(files);
    await expectAccessible(page, 'files uploading');
    await screenshot(page, 'files-uploading');

    for (const { name } of files) await waitForStatus(page, name, 'READY', 90_000);
    // Done is the status bar's Complete; on the way, progress moved through values between
    // nothing and done. (Its last value is not always 100: Uppy may switch to Complete without
    // a final progress update, as a CI run saw at 75 with the fourth file just finished.)
    await page.getByText('Complete', { exact: true }).waitFor();
    const progress = await progressSeen(page);
    expect(
      progress.some((p) => p > 0 && p < 100),
      `progress values ${progress}`,
    ).toBe(true);
    // The small files went as presigned POSTs, the large one through the multipart routes, in parts.
    const count = (pattern: RegExp) => protocol.filter((call) => pattern.test(call)).length;
    expect(count(/^GET \/uploads\/s3\/params$/), protocol.join('\n')).toBe(3);
    expect(count(/^POST \/uploads\/s3\/multipart$/)).toBe(1);
    expect(count(/^GET \/uploads\/s3\/multipart\/[^/]+\/\d+$/)).toBeGreaterThanOrEqual(4);
    expect(count(/^POST \/uploads\/s3\/multipart\/[^/]+\/complete$/)).toBe(1);

    const assets = await assetsOf(userId);
    for (const file of files) {
      const asset = assets.find((a) => a.filename === file.name);
      expect(asset, file.name).toBeDefined();
      // The bytes arrived whole (multipart parts in order), and the pipeline read them.
      expect({ name: file.name, size: asset?.size, sha256: asset?.sha256, status: asset?.status }).toEqual({
        name: file.name,
        size: file.buffer.length,
        sha256: sha256(file.buffer),
        status: 'READY',
      });
      const image = rowOf(page, file.name).getByTestId('thumbnail');
      if (file.mimeType === 'application/pdf') {
        // The worker makes thumbnails of images only (sharp's prebuilt binaries read no PDF).
        expect(asset?.thumbnails).toEqual([]);
        expect(await image.count()).toBe(0);
        continue;
      }
      // Rendered, not only present: the bytes came from S3 through a presigned link the CSP allows.
      const widths = asset?.thumbnails.map((t) => t.width) ?? [];
      expect(widths.length, file.name).toBeGreaterThan(0);
      await expect
        .poll(() => image.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)))
        .toBeGreaterThan(0);
      expect(widths).toContain(await image.evaluate((img: HTMLImageElement) => img.naturalWidth));
    }
    await expectAccessible(page, 'asset list');
    await screenshot(page, 'asset-list');
    expect(problems).toEqual([]);
  });

  it('explains a refused file type before anything is uploaded', async () => {
    const { page, problems } = await signedIn(uniqueUser('refused'));
    const calls = uploadCalls(page);
    await page
      .locator('[data-testid=uploader] input[type=file]')
      .first()
      .setInputFiles({ name: 'table.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n') });
    // One alert (a screen reader announces it once) that says what is accepted.
    const refusal = alertIn(page, /^You can only upload: /);
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/image\/png.*application\/pdf/);
    await expectAccessible(page, 'refused type');
    await screenshot(page, 'refused-type');
    // Nothing was added, so there is nothing to upload, and no request was made.
    expect(await page.getByRole('button', { name: /^Upload/ }).count()).toBe(0);
    expect(calls).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('explains a file over the size limit before anything is uploaded', async () => {
    const { page, problems } = await signedIn(uniqueUser('oversize'));
    const calls = uploadCalls(page);
    // A real file one byte over the limit, made in the page from one 1 MiB block repeated (a Blob
    // made of Blobs refers to them: no GiB is copied), dropped as a person drops a file.
    const dataTransfer = await page.evaluateHandle((limit) => {
      const block = new Blob([new Uint8Array(1024 * 1024)]);
      const blocks = Array.from({ length: Math.floor(limit / block.size) }, () => block);
      const rest = new Uint8Array((limit % block.size) + 1);
      const transfer = new DataTransfer();
      transfer.items.add(new File([...blocks, rest], 'huge.png', { type: 'image/png' }));
      return transfer;
    }, maxUploadBytes);
    expect(await dataTransfer.evaluate((t) => t.files[0]?.size)).toBe(maxUploadBytes + 1);
    await drop(page, dataTransfer);
    // The stack's MAX_UPLOAD_BYTES (the upload service's limit, from the console's config), not
    // the 1 GiB default, in one alert and in the panel's note.
    const refusal = alertIn(page, /exceeds maximum allowed size/);
    await refusal.waitFor();
    expect((await refusal.textContent())?.trim()).toBe('huge.png exceeds maximum allowed size of 48 MB');
    expect(await page.locator('[data-testid=uploader]').textContent()).toContain('up to 48 MB each');
    await expectAccessible(page, 'refused size');
    await screenshot(page, 'refused-size');
    expect(await page.getByRole('button', { name: /^Upload/ }).count()).toBe(0);
    expect(calls).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("shows a new asset's row PENDING while it uploads, then moving on to READY without a reload", async () => {
    const userId = uniqueUser('watcher');
    const { page, problems } = await signedIn(userId);
    // A few seconds of upload (one presigned POST on a slow uplink): long enough to be seen.
    const image = await largePngImage('sunrise.png', 3);
    expect(image.buffer.length).toBeLessThan(multipartThreshold);
    // Each status text the file's row shows from now on, with when, recorded in the page as it
    // changes (the record lives in the page's window: a reload would lose it).
    await page.evaluate((name) => {
      const seen: { status: string; at: number }[] = [];
      (window as { statusSeen?: typeof seen }).statusSeen = seen;
      new MutationObserver(() => {
        for (const row of document.querySelectorAll('li[data-asset-id]')) {
          if (row.querySelector('a.asset-name')?.textContent !== name) continue;
          const status = row.querySelector('[data-status]')?.textContent ?? '';
          if (status && seen.at(-1)?.status !== status) seen.push({ status, at: Date.now() });
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    }, image.name);
    const s3 = new URL(stack().aws).origin;
    // When the POST's answer arrived: the upload's end.
    const uploaded = page
      .waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).origin === s3, {
        timeout: 60_000,
      })
      .then(() => Date.now());
    const slow = await slowUplink(page, 1024 * 1024);
    await upload(page, [image]);
    await rowOf(page, image.name).waitFor();
    await screenshot(page, 'status-pending');
    const uploadedAt = await uploaded;
    await slow.release();
    await waitForStatus(page, image.name, 'READY');

    const seen =
      (await page.evaluate(() => (window as { statusSeen?: { status: string; at: number }[] }).statusSeen)) ??
      [];
    const path = seen.map((s) => s.status).join(' → ');
    // In the list while its bytes were still on the way, as PENDING; READY last.
    expect(seen[0]?.status, path).toBe('PENDING');
    expect(seen[0]?.at ?? Number.POSITIVE_INFINITY, path).toBeLessThan(uploadedAt);
    expect(seen.at(-1)?.status, path).toBe('READY');
    // Forward only, in the lifecycle's order.
    const lifecycle = ['PENDING', 'UPLOADED', 'PROCESSING', 'READY'];
    const ranks = seen.map((s) => lifecycle.indexOf(s.status));
    expect(
      ranks.every((rank, i) => rank >= 0 && rank > (ranks[i - 1] ?? -1)),
      path,
    ).toBe(true);
    expect(problems).toEqual([]);
  });

  it('downloads the original and each thumbnail from the detail view: the same bytes, WebP thumbnails of their sizes', async () => {
    const userId = uniqueUser('downloader');
    const { page, problems } = await signedIn(userId);
    // Landscape, larger than every thumbnail size: each thumbnail is as wide as its size says.
    const photo = await jpegImage('holiday.jpg', 1200, 900);
    await upload(page, [photo]);
    await waitForStatus(page, photo.name, 'READY');
    const [asset] = await assetsOf(userId);
    // The worker's default sizes (the stack sets none), e.g. small:160,medium:640.
    const sizes = thumbnailSizesOf(
      String(Reflect.get(workflowWorkerEnv.properties.THUMBNAIL_SIZES, 'default')),
    );
    expect(asset?.thumbnails.map((t) => ({ name: t.name, width: t.width }))).toEqual(
      sizes.map(({ name, maxDimension }) => ({ name, width: maxDimension })),
    );
    await page.getByRole('link', { name: photo.name, exact: true }).click();
    await page.getByTestId('metadata').waitFor();

    const download = async (button: string) => {
      const [file] = await Promise.all([
        page.waitForEvent('download', { timeout: 15_000 }),
        page.getByRole('button', { name: button, exact: true }).click(),
      ]);
      return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
    };
    const original = await download('Download original');
    expect(original.name).toBe(photo.name);
    expect(sha256(original.bytes)).toBe(sha256(photo.buffer));
    for (const { name, maxDimension } of sizes) {
      const thumbnail = asset?.thumbnails.find((t) => t.name === name);
      const file = await download(`Thumbnail ${name} (${thumbnail?.width} × ${thumbnail?.height})`);
      expect(file.name).toBe(`holiday-${name}.webp`);
      // RIFF <length> WEBP, and an image of the size's width.
      expect(file.bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
      expect(file.bytes.subarray(8, 12).toString('latin1')).toBe('WEBP');
      const { format, width } = await sharp(file.bytes).metadata();
      expect({ format, width, size: file.bytes.length }).toEqual({
        format: 'webp',
        width: maxDimension,
        size: thumbnail?.size,
      });
    }
    // Downloading leaves the console where it was.
    expect(new URL(page.url()).hash).toBe(`#/assets/${asset?.id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(photo.name);
    await screenshot(page, 'asset-downloads');
    expect(problems).toEqual([]);
  });

  it('uploads and edits with the keyboard alone; the detail view is accessible', async () => {
    const userId = uniqueUser('keyboard');
    const { page, problems } = await signedIn(userId);
    const notes = textFile('notes.txt', 'Uploaded with the keyboard alone.\n');
    await tabTo(page, /^browse files$/);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
    await chooser.setFiles(notes);
    await waitForStatus(page, notes.name, 'READY');

    await tabTo(page, /^notes\.txt$/);
    await page.keyboard.press('Enter');
    const metadata = page.getByTestId('metadata');
    await expect.poll(() => metadata.textContent()).toContain('text/plain');
    // The detail view takes the focus to its heading: keyboard and screen reader users start there.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('asset-title');
    expect(await metadata.textContent()).toContain(sha256(notes.buffer));
    await expectAccessible(page, 'asset detail');
    await screenshot(page, 'asset-detail');

    await tabTo(page, /^Title$/);
    await page.keyboard.type('Keyboard notes');
    await tabTo(page, /^Save$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('saved').textContent()).toMatch(/^Saved \(version \d+\)\.$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Keyboard notes');
    const [asset] = await assetsOf(userId);
    expect(asset?.title).toBe('Keyboard notes');
    expect(problems).toEqual([]);
  });

  it('shows an edit made elsewhere first as a conflict, with the newer version, and saves on purpose', async () => {
    const userId = uniqueUser('editor');
    const { page, problems } = await signedIn(userId);
    await upload(page, [textFile('draft.txt', 'first draft\n')]);
    await waitForStatus(page, 'draft.txt', 'READY');
    await page.getByRole('link', { name: 'draft.txt', exact: true }).click();
    await page.getByLabel('Title').waitFor();

    // The same person in another browser saves a title first.
    const { page: theirs } = await signedIn(userId);
    await theirs.getByRole('link', { name: 'draft.txt', exact: true }).click();
    await theirs.getByLabel('Title').fill('Their title');
    await theirs.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => theirs.getByTestId('saved').textContent()).toMatch(/^Saved/);
    const [after] = await assetsOf(userId);
    expect(after?.title).toBe('Their title');

    await page.getByLabel('Title').fill('My title');
    await page.getByRole('button', { name: 'Save' }).click();
    const conflict = page.getByTestId('conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain(
      `Not saved: this asset was changed elsewhere (it is now version ${after?.version})`,
    );
    expect(await page.getByTestId('conflict-title').textContent()).toBe('Their title');
    // Their save stands until this person decides: nothing was overwritten.
    expect((await assetsOf(userId))[0]?.title).toBe('Their title');
    await expectAccessible(page, 'edit conflict');
    await screenshot(page, 'edit-conflict');

    // Saving again, knowingly, replaces theirs (the draft is now based on their version).
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('saved').textContent()).toMatch(/^Saved/);
    expect(await conflict.count()).toBe(0);
    expect((await assetsOf(userId))[0]?.title).toBe('My title');
    expect(problems).toEqual([]);
  });

  it('takes two dropped files, and deletes one after a confirmation', async () => {
    const userId = uniqueUser('deleter');
    const { page, problems } = await signedIn(userId);
    await dropFiles(page, [textFile('keep.txt', 'keep me\n'), textFile('remove.txt', 'remove me\n')]);
    await waitForStatus(page, 'keep.txt', 'READY');
    await waitForStatus(page, 'remove.txt', 'READY');
    const removed = (await assetsOf(userId)).find((a) => a.filename === 'remove.txt');
    await page.getByRole('link', { name: 'remove.txt', exact: true }).click();
    await page.getByRole('button', { name: 'Delete this asset' }).click();
    await expectAccessible(page, 'delete confirmation');
    await page.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByRole('heading', { name: 'Your assets', exact: true }).waitFor();
    await rowOf(page, 'keep.txt').waitFor();
    expect(await rowOf(page, 'remove.txt').count()).toBe(0);
    const gone = await fetch(`${stack().lb}/assets/${removed?.id}`, {
      headers: { authorization: `Bearer ${await userToken(userId)}` },
    });
    expect(gone.status).toBe(404);
    expect((await assetsOf(userId)).map((a) => a.filename)).toEqual(['keep.txt']);
    expect(problems).toEqual([]);
  });

  it('resumes a multipart upload after a page reload: the parts S3 has are not sent again', async () => {
    const userId = uniqueUser('resumer');
    const { page, problems } = await signedIn(userId);
    // A file on disk, as a person picks it again after the reload (Golden Retriever keeps the
    // upload's state; the browser keeps no copy of a file over 10 MiB).
    const large = await largePngImage('resumable.png', 11);
    const path = join(await mkdtemp(join(tmpdir(), 'console-resume-')), large.name);
    await writeFile(path, large.buffer);
    const s3 = new URL(stack().aws).origin;
    type Phase = 'before reload' | 'after reload';
    let phase = 'before reload' as Phase;
    const calls: { phase: Phase; method: string; url: URL }[] = [];
    const partsStored: { phase: Phase; part: number }[] = [];
    page.on('request', (request) =>
      calls.push({ phase, method: request.method(), url: new URL(request.url()) }),
    );
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (response.request().method() === 'PUT' && url.origin === s3 && response.ok())
        partsStored.push({ phase, part: Number(url.searchParams.get('partNumber')) });
    });

    // A slow uplink, so the reload lands mid-upload.
    const slow = await slowUplink(page);
    await page.locator('[data-testid=uploader] input[type=file]').first().setInputFiles(path);
    await expect.poll(() => partsStored.length, { timeout: 60_000, interval: 50 }).toBeGreaterThan(0);
    await page.reload();
    phase = 'after reload';
    await slow.release();
    await page.getByText('We could not fully recover 1 file').waitFor();
    await screenshot(page, 'resume-after-reload');
    // Re-selected, as the restored session asks, and resumed.
    await page.getByRole('button', { name: 'Add more' }).click();
    await page.locator('[data-testid=uploader] input[type=file]').first().setInputFiles(path);
    await page.getByRole('button', { name: /^(Upload|Resume)/ }).click();
    await waitForStatus(page, large.name, 'READY', 90_000);

    // One multipart upload: created once, listed after the reload, the stored parts not sent again.
    const uploads = calls.filter((c) => c.url.pathname.startsWith('/uploads/'));
    const routes = uploads.map(
      (c) => `${c.phase}: ${c.method} ${c.url.pathname.replace(/[^/]{40,}/, ':id')}`,
    );
    expect(routes.filter((r) => r.endsWith('POST /uploads/s3/multipart'))).toEqual([
      'before reload: POST /uploads/s3/multipart',
    ]);
    expect(routes).toContain('after reload: GET /uploads/s3/multipart/:id');
    const uploadIds = new Set(
      uploads
        .filter((c) => c.url.pathname.startsWith('/uploads/s3/multipart/'))
        .map((c) => c.url.pathname.split('/')[4]),
    );
    expect(uploadIds.size).toBe(1);
    const storedBefore = partsStored.filter((p) => p.phase === 'before reload').map((p) => p.part);
    const sentAfter = calls
      .filter((c) => c.phase === 'after reload' && c.method === 'PUT' && c.url.origin === s3)
      .map((c) => Number(c.url.searchParams.get('partNumber')));
    expect(storedBefore.length).toBeGreaterThan(0);
    expect(sentAfter.length).toBeGreaterThan(0);
    await expectResumedWhole(userId, large, storedBefore, sentAfter);
    expect(problems).toEqual([]);
  });
  it("pauses a multipart upload with the Dashboard's button: no part is sent while paused; resumed, it ends READY", async () => {
    const userId = uniqueUser('pauser');
    const authorization = `Bearer ${await userToken(userId)}`;
    const { page, problems } = await signedIn(userId);
    const large = await largePngImage('paused.png', 11);
    const parts = partsOf(large);
    expect(parts).toBeGreaterThanOrEqual(3);
    const s3 = new URL(stack().aws).origin;
    const partsSent: { at: number; part: number }[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (request.method() === 'PUT' && url.origin === s3)
        partsSent.push({ at: Date.now(), part: Number(url.searchParams.get('partNumber')) });
    });
    const created = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/uploads/s3/multipart',
    );
    const slow = await slowUplink(page, 2 * 1024 * 1024);
    await upload(page, [large]);
    const { uploadId, key } = (await (await created).json()) as { uploadId: string; key: string };
    // The parts S3 holds, as Uppy lists them on resume (the upload service's ListParts).
    const stored = async () => {
      const response = await fetch(
        `${stack().lb}/uploads/s3/multipart/${encodeURIComponent(uploadId)}?${new URLSearchParams({ key })}`,
        { headers: { authorization } },
      );
      expect(response.status).toBe(200);
      return ((await response.json()) as { PartNumber: number }[])
        .map((p) => p.PartNumber)
        .sort((a, b) => a - b);
    };

    await expect.poll(() => slow.partsStored(), { timeout: 60_000, interval: 50 }).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByRole('button', { name: 'Resume', exact: true }).waitFor();
    const pausedAt = Date.now();
    const storedAtPause = await stored();
    expect(storedAtPause.length).toBeGreaterThan(0);
    expect(storedAtPause.length).toBeLessThan(parts);
    await expectAccessible(page, 'upload paused');
    await screenshot(page, 'upload-paused');
    // Paused: no part is sent and S3 stores nothing more. Nothing happening has no event to wait
    // for, so this watches a few seconds; running, Uppy sends the next part within milliseconds.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(partsSent.filter((p) => p.at >= pausedAt)).toEqual([]);
    expect(await stored()).toEqual(storedAtPause);
    await rowOf(page, large.name).waitFor();
    expect(await statusOf(page, large.name)).toBe('PENDING');

    await slow.release();
    const resumedAt = Date.now();
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await waitForStatus(page, large.name, 'READY', 90_000);
    const sentAfter = partsSent.filter((p) => p.at >= resumedAt).map((p) => p.part);
    await expectResumedWhole(userId, large, storedAtPause, sentAfter);
    expect(problems).toEqual([]);
  });

  it('a multipart upload goes on while the person opens another asset', async () => {
    const userId = uniqueUser('browser');
    const { page, problems } = await signedIn(userId);
    await upload(page, [textFile('readme.txt', 'read me\n')]);
    await waitForStatus(page, 'readme.txt', 'READY');
    const large = await largePngImage('background.png', 11);
    const deletes: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'DELETE') deletes.push(request.url());
    });
    const slow = await slowUplink(page);
    await upload(page, [large]);
    await expect.poll(() => slow.partsStored(), { timeout: 60_000, interval: 50 }).toBeGreaterThan(0);
    await page.getByRole('link', { name: 'readme.txt', exact: true }).click();
    await page.getByTestId('metadata').waitFor();
    await slow.release();
    await page.getByRole('link', { name: '← Your assets' }).click();
    await waitForStatus(page, large.name, 'READY', 90_000);
    const asset = (await assetsOf(userId)).find((a) => a.filename === large.name);
    expect(asset?.sha256).toBe(sha256(large.buffer));
    expect(deletes).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('cancelling a multipart upload aborts it in S3 and leaves no asset behind', async () => {
    const userId = uniqueUser('canceller');
    const { page, problems } = await signedIn(userId);
    const slow = await slowUplink(page);
    await upload(page, [await largePngImage('cancelled.png', 11)]);
    await expect.poll(() => slow.partsStored(), { timeout: 60_000, interval: 50 }).toBeGreaterThan(0);
    const [abort] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().method() === 'DELETE' && r.url().includes('/uploads/s3/multipart/'),
      ),
      page.getByRole('button', { name: 'Cancel', exact: true }).first().click(),
    ]);
    expect(abort.status()).toBeLessThan(300);
    await page.getByText('Drop files here or').waitFor();
    // The upload is gone from S3 (listing its parts answers 404), and so is its PENDING asset.
    const url = new URL(abort.url());
    const authorization = `Bearer ${await userToken(userId)}`;
    const listed = await fetch(`${stack().lb}${url.pathname}${url.search}`, { headers: { authorization } });
    expect(listed.status).toBe(404);
    await expect.poll(() => assetsOf(userId)).toEqual([]);
    await page.getByText('No assets yet').waitFor();
    await screenshot(page, 'upload-cancelled');
    expect(problems).toEqual([]);
  });
  it('shows a file that fails processing as FAILED with the reason, without a reload', async () => {
    const userId = uniqueUser('failing');
    const { page, problems } = await signedIn(userId);
    const png = (await pngImage('broken.png')).buffer;
    // A PNG cut short: the type sniffs as PNG, the image does not decode.
    await upload(page, [
      {
        name: 'broken.png',
        mimeType: 'image/png',
        buffer: Buffer.concat([png.subarray(0, 64), Buffer.alloc(2000, 7)]),
      },
    ]);
    await waitForStatus(page, 'broken.png', 'FAILED');
    const [asset] = await assetsOf(userId);
    expect(asset?.failureReason).toBeTruthy();
    expect(await rowOf(page, 'broken.png').textContent()).toContain(`Failed: ${asset?.failureReason}`);
    await expectAccessible(page, 'list with a failed asset');
    await page.getByRole('link', { name: 'broken.png', exact: true }).click();
    await page.getByText(`Processing failed: ${asset?.failureReason}`).waitFor();
    await screenshot(page, 'failed-asset');
    expect(problems).toEqual([]);
  });

  it('an expired session says so and leads back to sign-in; the page keeps its frame', async () => {
    const context = await newContext();
    const userId = uniqueUser('expired');
    // A session the console still believes in, with a token the API refuses as expired.
    const token = await mintUserToken(inject('secrets').AUTH_JWT_SECRET, userId, { ttl: '-1m' });
    await context.addInitScript(
      ([t, u]) =>
        sessionStorage.setItem(
          'console.session',
          JSON.stringify({ token: t, userId: u, expiresAt: Date.now() + 3_600_000 }),
        ),
      [token, userId] as const,
    );
    const { page, problems } = await openConsole(context);
    const problem = page.getByTestId('problem');
    await expect
      .poll(() => problem.textContent())
      .toContain('Your session has expired or is not valid. Sign in again.');
    expect(await page.getByRole('heading', { name: 'Your assets', exact: true }).isVisible()).toBe(true);
    await page.getByText('Your assets could not be loaded: the message above says why.').waitFor();
    await expectAccessible(page, 'expired session');
    await screenshot(page, 'expired-session');
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await signIn(page, userId);
    await page.getByText('No assets yet').waitFor();
    expect(await problem.count()).toBe(0);
    expect(problems).toEqual([]);
  });
  it('signing out forgets the uploads Uppy saved in this browser (Golden Retriever)', async () => {
    const userId = uniqueUser('leaver');
    const { page, problems } = await signedIn(userId);
    await page.getByText('No assets yet').waitFor();
    await page
      .locator('[data-testid=uploader] input[type=file]')
      .first()
      .setInputFiles([textFile('notes.txt', 'kept for a restore after a reload')]);
    // What a restore after a reload reads: this user's Uppy, its files.
    await expect.poll(() => savedUploads(page)).toMatchObject({ records: [`console-${userId}`] });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('User id').waitFor();
    await expect.poll(() => savedUploads(page)).toEqual({ keys: [], databases: [], records: [] });
    expect(problems).toEqual([]);
  });

  it('pages through assets with the cursor, older and back', async () => {
    const userId = uniqueUser('pager');
    const { page, problems } = await signedIn(userId);
    const names = Array.from({ length: 14 }, (_, i) => `page-${String(i).padStart(2, '0')}.txt`);
    await upload(
      page,
      names.map((name) => textFile(name, `${name}\n`)),
    );
    await expect
      .poll(async () => (await assetsOf(userId)).filter((a) => a.status === 'READY').length, {
        timeout: 60_000,
      })
      .toBe(14);
    const items = page.locator('li[data-asset-id]');
    const shown = () => items.locator('a.asset-name').allTextContents();
    await expect.poll(() => items.count()).toBe(12);
    const first = await shown();
    await page.getByRole('button', { name: 'Older' }).click();
    await expect.poll(() => items.count()).toBe(2);
    const second = await shown();
    expect([...first, ...second].sort()).toEqual(names);
    expect(await page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Newer' }).click();
    await expect.poll(shown).toEqual(first);
    expect(await page.getByRole('button', { name: 'Newer' }).isDisabled()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('a 429 says when to try again (Retry-After)', async () => {
    const userId = uniqueUser('hasty');
    const authorization = `Bearer ${await userToken(userId)}`;
    // Spend the user's budget for this minute, with enough of the minute left to look at.
    for (;;) {
      const retryAfter = await Promise.all(
        Array.from({ length: rateLimitPerMinute + 20 }, async () => {
          const response = await fetch(`${stack().lb}/assets?limit=1`, { headers: { authorization } });
          await response.body?.cancel();
          return Number(response.headers.get('retry-after') ?? 0);
        }),
      );
      const longest = Math.max(...retryAfter);
      expect(longest).toBeGreaterThan(0);
      if (longest >= 15) break;
      await new Promise((resolve) => setTimeout(resolve, (longest + 1) * 1000));
    }
    const { page, problems } = await signedIn(userId);
    const problem = page.getByTestId('problem');
    await expect
      .poll(() => problem.textContent().catch(() => ''))
      .toMatch(/^Too many requests\. Try again in \d+ s\./);
    const seconds = Number(/in (\d+) s/.exec((await problem.textContent()) ?? '')?.[1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    await expectAccessible(page, 'rate limited');
    await screenshot(page, 'rate-limited');
    expect(problems).toEqual([]);
  });

  // Last: it stops the data API for good.
  it('a service that is down shows a clear message, and the page keeps its frame', async () => {
    const { page, problems } = await signedIn(uniqueUser('outage'));
    await page.getByText('No assets yet').waitFor();
    // Every data API environment out of the load balancer (a killed one would be replaced by the
    // fleet at once): the entry answers 503, as an ALB whose targets all fail.
    const runtime = new HaproxyRuntime(stack().lbRuntime);
    const slots = (await runtime.stat()).filter(
      (row) => row.pxname.startsWith('data-api_') && !['FRONTEND', 'BACKEND'].includes(row.svname),
    );
    expect(slots.length).toBeGreaterThan(0);
    for (const slot of slots) await runtime.disable(slot.pxname, slot.svname);
    // The list asks again at its next refresh, or at once when the person opens something.
    await page.evaluate(() => {
      location.hash = '#/assets/not-here';
    });
    const problem = page.getByTestId('problem');
    await expect
      .poll(() => problem.textContent().catch(() => ''), { timeout: 30_000 })
      .toMatch(/The asset service (is unavailable right now \(HTTP 50\d\)|cannot be reached)/);
    await page.getByText('This asset could not be loaded: the message above says why.').waitFor();
    expect(await page.getByRole('link', { name: '← Your assets' }).isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: 'Assets console' }).isVisible()).toBe(true);
    await expectAccessible(page, 'service down');
    await screenshot(page, 'service-down');
    expect(problems).toEqual([]);
  });
});
