import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mintUserToken } from '@stateless/contracts';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import type { FileFixture } from './fixtures.ts';

export const stack = () => inject('stack');
export const consoleUrl = () => stack().console ?? `${stack().lb}/`;

/** Debian's chromium package (scripts/install.sh); Playwright's own browser downloads are unreachable. */
export const chromiumPath = '/usr/bin/chromium';

/** Headless, with a fresh temporary profile Playwright removes on close; no network of its own. */
export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

/** Screenshots go here (git-ignored); CI keeps the folder as an artifact. */
export const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts');
mkdirSync(artifacts, { recursive: true });
export const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

/** The console (the stack's public entry unless `url` says), on a page that records script errors and CSP violations. */
export async function openConsole(context: BrowserContext, url = consoleUrl()) {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // Only CSP refusals: moto answers a presigned POST without the bucket's CORS headers (real S3
  // sends them), so Chromium logs "Refused to get unsafe header etag" there, harmlessly.
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(message.text());
  });
  // File chooser interception on from the start: turned on only when a test starts waiting for a
  // chooser, Playwright 1.65 with chromium 156 missed about one chooser in four (the page had
  // clicked the input with user activation).
  page.on('filechooser', () => {});
  await page.goto(url);
  return { page, problems };
}

export async function signIn(page: Page, userId: string) {
  await page.getByLabel('User id').fill(userId);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Your assets', exact: true }).waitFor();
}

/** An asset's row in the list, by its file name. */
export const rowOf = (page: Page, filename: string) =>
  page.locator('li[data-asset-id]', { has: page.getByRole('link', { name: filename, exact: true }) });

export const statusOf = (page: Page, filename: string) =>
  rowOf(page, filename).locator('[data-status]').textContent({ timeout: 5_000 });

export const waitForStatus = (page: Page, filename: string, status: string, timeout = 60_000) =>
  expect.poll(() => statusOf(page, filename).catch(() => undefined), { timeout, interval: 250 }).toBe(status);

/** Adds files as a drop or the file picker would: their upload starts at once (autoProceed). */
export async function upload(page: Page, files: FileFixture[]) {
  // After an upload the Dashboard lists its files; "Add more" brings the picker back.
  const addMore = page.getByRole('button', { name: 'Add more' });
  if (await addMore.isVisible()) await addMore.click();
  await page.locator('[data-testid=uploader] input[type=file]').first().setInputFiles(files);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core run in the page (evaluated through the DevTools protocol, so the console's CSP does
 * not stand in its way): no serious or critical violation.
 */
export async function expectAccessible(page: Page, view: string) {
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const run = (window as { axe?: { run: () => Promise<{ violations: AxeViolation[] }> } }).axe?.run;
    const { violations } = (await run?.()) ?? { violations: [] };
    return violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      targets: nodes.map((n) => n.target.join(' ')),
    }));
  });
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking, `${view}: ${JSON.stringify(blocking, null, 2)}`).toEqual([]);
}

/** The accessible name of the focused element, roughly as a screen reader announces it. */
const focusedName = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return '';
    const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent : '';
    return (el.getAttribute('aria-label') || label || el.textContent || '').trim();
  });

/** Presses Tab (keyboard only: no clicks) until the focused element's name matches. */
export async function tabTo(page: Page, name: RegExp, maxPresses = 60) {
  const passed: string[] = [];
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press('Tab');
    const focused = await focusedName(page);
    if (name.test(focused)) return;
    passed.push(focused);
  }
  throw new Error(`Tab never reached ${name}; it went through: ${JSON.stringify(passed)}`);
}

export const userToken = (userId: string) => mintUserToken(inject('secrets').AUTH_JWT_SECRET, userId);

export const uniqueUser = (name: string) => `${name}-${Date.now().toString(36)}`;
