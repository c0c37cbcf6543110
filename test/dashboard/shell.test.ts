/**
 * The dashboard shell in chromium against the real gateway: sign-in, language switch (zh-CN by
 * default, English), and the navigation each role gets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../gateway/roles.js';
import { loginFast, newPage, screenshot } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

/** The pages each role must see in the navigation (REQUIREMENTS "Who uses it"). */
const EXPECTED_NAV: Record<Role, string[]> = {
  'equipment-manager': ['fleet', 'alerts', 'registry', 'cameras'],
  officer: ['dock', 'mine', 'exports', 'cases'],
  'hearing-staff': ['hearings', 'mine'],
  'legal-affairs': [
    'summary',
    'alerts',
    'interruptions',
    'overdue',
    'clips',
    'exports',
    'cases',
    'audit',
    'users',
  ],
  principal: ['summary', 'alerts', 'interruptions', 'overdue', 'clips', 'exports', 'cases', 'audit'],
  auditor: ['summary', 'clips', 'exports', 'cases', 'audit'],
  // Signs in to `gateway central`.
  provincial: ['province'],
};

describe('dashboard shell', () => {
  let rig: DashRig;
  beforeAll(async () => {
    rig = await startDashRig();
  }, 120_000);
  afterAll(() => rig?.stop());

  it('refuses a wrong password, then signs in and out', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await page.goto('/');
      await page.getByTestId('login-username').fill(rig.users['equipment-manager']);
      await page.getByTestId('login-password').fill('not-the-password');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('login-error').waitFor();
      await screenshot(page, 'login');
      await page.getByTestId('login-password').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await textOf(page.getByTestId('current-user')).toBe('equipment-manager-用户');
      // The session is an HttpOnly cookie: a reload stays signed in.
      await page.reload();
      await page.getByTestId('app-title').waitFor();
      await page.getByTestId('logout').click();
      await page.getByTestId('login-submit').waitFor();
      const me = await page.request.get('/api/me');
      expect(me.status()).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('switches language zh -> en -> zh, keeps the choice across reloads', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users['equipment-manager'], PASSWORD);
      await textOf(page.getByTestId('nav-fleet')).toBe('设备总览');
      await textOf(page.getByTestId('app-title')).toBe('执法记录边缘网关');
      await textOf(page.locator('.ant-table thead')).toContain('设备编号');
      await page.getByTestId('lang-switch').click();
      await textOf(page.getByTestId('nav-fleet')).toBe('Fleet');
      await textOf(page.getByTestId('app-title')).toBe('Enforcement Recording Edge Gateway');
      await textOf(page.locator('.ant-table thead')).toContain('Serial');
      await page.reload();
      await textOf(page.getByTestId('nav-fleet')).toBe('Fleet');
      await screenshot(page, 'fleet-en');
      await page.getByTestId('lang-switch').click();
      await textOf(page.getByTestId('nav-fleet')).toBe('设备总览');
      await textOf(page.locator('.ant-table thead')).toContain('设备编号');
    } finally {
      await context.close();
    }
  });

  // Every page of the role opens and loads with no failed API call and no script error; each page
  // is photographed once, by the first role that has it.
  const photographed = new Set<string>();
  // The provincial role's page is served by `gateway central`, not by this office gateway: it is
  // opened in Chromium against central in test/uplink/uplink.test.ts.
  for (const role of (Object.keys(EXPECTED_NAV) as Role[]).filter((r) => r !== 'provincial')) {
    it(`shows ${role} only its pages, each loading cleanly`, async () => {
      const { context, page } = await newPage(rig.browser, rig.gw.url);
      const failures: string[] = [];
      page.on('response', (r) => {
        if (r.url().includes('/api/') && r.status() >= 400) failures.push(`${r.status()} ${r.url()}`);
      });
      page.on('pageerror', (e) => failures.push(`pageerror ${e.message}`));
      try {
        await loginFast(page, rig.users[role], PASSWORD);
        await page.getByTestId(`role-${role}`).waitFor();
        const ids = await page
          .locator('[data-testid^="nav-"]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice(4)));
        expect(ids).toEqual(EXPECTED_NAV[role]);
        if (EXPECTED_NAV[role].length === 0) {
          // No page here for this role: it says so, and calls nothing it may not.
          await page.locator('.ant-result-403').waitFor();
          expect(failures).toEqual([]);
          return;
        }
        // The landing page is the role's first page, and every listed page opens.
        await page.waitForURL(`**/${EXPECTED_NAV[role][0]}`);
        for (const id of EXPECTED_NAV[role]) {
          await page.getByTestId(`nav-${id}`).click();
          await page.waitForURL(`**/${id}`);
          await page.locator('.ant-card').first().waitFor();
          await expect.poll(() => page.locator('.ant-spin-spinning').count()).toBe(0);
          if (!photographed.has(id)) {
            photographed.add(id);
            await screenshot(page, `${role}-${id}`);
          }
        }
        expect(failures).toEqual([]);
        // A page of another role falls back to this role's own first page.
        await page.goto(role === 'officer' ? '/fleet' : '/dock');
        await page.waitForURL(`**/${EXPECTED_NAV[role][0]}`);
      } finally {
        await context.close();
      }
    });
  }
});
