/**
 * What the dashboard says when something fails, in the reader's language: a gateway that cannot be
 * reached (not the browser's "Failed to fetch"), an explanation over the gateway's limit (the limit
 * and the count, not "please enter"), at 1366×768 and 1024×768.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginFast, newPage, screenshot } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

const SMALL = { width: 1024, height: 768 };

describe('dashboard messages', () => {
  let rig: DashRig;
  beforeAll(async () => {
    rig = await startDashRig();
  }, 120_000);
  afterAll(() => rig?.stop());

  it('a gateway that cannot be reached is said so in zh and en, never "Failed to fetch"', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url, SMALL);
    try {
      await loginFast(page, rig.users['equipment-manager'], PASSWORD);
      // The fleet list's request fails at the network level, as with the gateway stopped.
      await page.route('**/api/recorders*', (r) => r.abort('connectionrefused'));
      await page.reload();
      await page.getByText('无法连接网关', { exact: false }).first().waitFor();
      expect(await page.locator('body').textContent()).not.toContain('Failed to fetch');
      await screenshot(page, 'messages-network-zh-1024');
      await page.getByTestId('lang-switch').click();
      await page.getByText('Cannot reach the gateway', { exact: false }).first().waitFor();
      expect(await page.locator('body').textContent()).not.toContain('Failed to fetch');
      await screenshot(page, 'messages-network-en-1024');
    } finally {
      await context.close();
    }
  });

  it('the live indicator says it is disconnected when the live stream is down, not 实时', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await page.route('**/api/events', (r) => r.abort('connectionrefused'));
      await loginFast(page, rig.users['equipment-manager'], PASSWORD);
      const badge = page.locator('[data-testid="live-status"][data-connected="false"]');
      await textOf(badge).toBe('连接中断');
      await screenshot(page, 'messages-live-lost-zh-1366');
      await page.unroute('**/api/events');
      await page.reload();
      await textOf(page.locator('[data-testid="live-status"][data-connected="true"]')).toBe('实时');
    } finally {
      await context.close();
    }
  });

  it('a 10,000-character explanation is refused with the limit and the count (R19)', async () => {
    const now = Date.now();
    const rec = await rig.gw.app.interruptions.open({
      source: 'recorder',
      device: 'BC7401',
      sessionId: 'S-7401-1',
      cause: 'battery',
      start: now - 20 * 60_000,
      canContinue: true,
      officer: { id: 'O0401', name: '李娜', certNo: 'ZF320401' },
    });
    await rig.gw.app.interruptions.end(rec.id, { at: now - 5 * 60_000, resumed: true });
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users['legal-affairs'], PASSWORD, '/interruptions');
      await page.getByTestId(`explain-${rec.id}`).click();
      await page.getByTestId('explain-text').fill('说'.repeat(10_000));
      await page.locator('#explain-submit').click();
      const error = page.locator('.ant-form-item-explain-error');
      await textOf(error).toContain('最多 4000 字，当前 10000 字');
      expect(await error.textContent()).not.toContain('请输入');
      await screenshot(page, 'messages-explain-limit-zh-1366');
      expect((await rig.gw.app.interruptions.get(rec.id))?.status).toBe('open');
    } finally {
      await context.close();
    }
  });
});
