/** Debian's chromium driven by playwright-core (no downloaded browsers on these machines). */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ARTIFACTS } from './build.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export const DESKTOP = { width: 1366, height: 768 };
export const TABLET = { width: 800, height: 1280 };

export async function newPage(
  browser: Browser,
  baseURL: string,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'zh-CN', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

/** Signs in through the login form and waits for the shell. */
export async function login(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-title').waitFor();
}

/** Signs in through the API (sets the session cookie in the context) and opens the app. */
export async function loginFast(page: Page, username: string, password: string, path = '/'): Promise<void> {
  const r = await page.request.post('/api/login', { data: { username, password } });
  if (r.status() !== 200) throw new Error(`login ${username}: ${r.status()} ${await r.text()}`);
  await page.goto(path);
  await page.getByTestId('app-title').waitFor();
}

/** Waits until the page's EventSource on /api/events is connected. */
export async function waitLive(page: Page): Promise<void> {
  await page.locator('[data-testid="live-status"][data-connected="true"]').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: false });
}
