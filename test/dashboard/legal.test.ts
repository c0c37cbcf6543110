/**
 * Legal affairs and principal: interruption records and their written explanation (R19), clip
 * search and playback with every access logged (R24), the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginFast, newPage, screenshot, waitLive } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

describe('legal-affairs pages', () => {
  let rig: DashRig;
  beforeAll(async () => {
    rig = await startDashRig();
  }, 120_000);
  afterAll(() => rig?.stop());

  it('interruption explanation (R19): explain in writing, review and close; new records appear live', async () => {
    const officer = { id: 'O0301', name: '王磊', certNo: 'ZF320301' };
    const now = Date.now();
    const rec = await rig.gw.app.interruptions.open({
      source: 'recorder',
      device: 'BC7301',
      sessionId: 'S-7301-1',
      cause: 'battery',
      start: now - 20 * 60_000,
      canContinue: true,
      officer,
    });
    await rig.gw.app.interruptions.end(rec.id, { at: now - 5 * 60_000, resumed: true });
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users['legal-affairs'], PASSWORD, '/interruptions');
      await waitLive(page);
      const row = page.locator('tr', { has: page.getByTestId(`explain-${rec.id}`) });
      await textOf(row).toContain('电量耗尽');
      await textOf(row).toContain('王磊');
      await screenshot(page, 'legal-interruptions');
      // A new one, opened while the page is shown, appears without a reload.
      const live = await rig.gw.app.interruptions.open({
        source: 'camera',
        device: 'cam-h1',
        roomId: 'room-1',
        sessionId: 'H-1',
        cause: 'stream-lost',
        start: Date.now(),
      });
      await textOf(page.locator('tr', { has: page.getByTestId(`explain-${live.id}`) })).toContain(
        '录像信号中断',
      );
      // Written explanation.
      await page.getByTestId(`explain-${rec.id}`).click();
      await page
        .getByTestId('explain-text')
        .fill('电池老化导致电量提前耗尽，已更换备用电池后恢复记录，并口述中止原因。');
      await screenshot(page, 'legal-interruption-explain');
      await page.locator('#explain-submit').click();
      await expect.poll(async () => (await rig.gw.app.interruptions.get(rec.id))?.status).toBe('explained');
      await page.getByTestId(`explain-${rec.id}`).waitFor({ state: 'detached' });
      // Review: the "to review" tab, accept, closed.
      await page.getByText('待审核', { exact: true }).click();
      await page.getByTestId(`close-${rec.id}`).click();
      await page.locator('#close-confirm').click();
      await expect.poll(async () => (await rig.gw.app.interruptions.get(rec.id))?.status).toBe('closed');
      const closed = await rig.gw.app.interruptions.get(rec.id);
      expect(closed?.explanation?.text).toContain('电池老化');
      expect(closed?.explanation?.author).toBe(rig.users['legal-affairs']);
      expect(closed?.review?.by).toBe(rig.users['legal-affairs']);
      await page.getByTestId(`close-${rec.id}`).waitFor({ state: 'detached' });
    } finally {
      await context.close();
    }
  });
});
