/**
 * The principal sees the integrity of the originals on the audit page (R25): the last sweep and an
 * altered original as an open critical failure, told live; they close it with a note, audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alterOnDisk, ingestClip } from '../integrity/helpers.js';
import { loginFast, newPage, screenshot, waitLive } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

describe('integrity on the audit page', () => {
  let rig: DashRig;
  beforeAll(async () => {
    rig = await startDashRig({ integrity: { sweepEveryH: 24 * 7, firstSweepAfterS: 0 } });
  }, 120_000);
  afterAll(() => rig?.stop());

  it('shows the sweep and an altered original until the principal resolves it', async () => {
    const clip = await ingestClip(rig.gw.app, 256 * 1024);
    await expect.poll(() => rig.gw.app.integrity.state().last, { timeout: 15_000 }).toBeTruthy();
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users.principal, PASSWORD, '/audit');
      await waitLive(page);
      await textOf(page.getByTestId('integrity-card')).toContain('上次全面校验');
      await page.getByTestId('integrity-none').waitFor();

      await alterOnDisk(rig.gw.app.store.layout.blobPath('blobs', clip.sha256), 9);
      await rig.gw.app.integrity.sweep();
      const item = page.getByTestId(`integrity-failure-clip:${clip.clipId}`);
      await textOf(item).toContain('原始记录被改动（已隔离）');
      await textOf(item).toContain('严重');
      await textOf(page.getByTestId('integrity-last-result')).toContain('发现问题');
      await screenshot(page, 'integrity-failure-open');

      await item.getByRole('button').click();
      await page.getByTestId('integrity-note').fill('已与证据光盘核对，原件另行封存，已报告。');
      await page.locator('#integrity-resolve-submit').click();
      await page.getByTestId('integrity-none').waitFor();
      await screenshot(page, 'integrity-failure-resolved');
      const last = (await rig.gw.app.store.audit.recent(3)).find((e) => e.type === 'integrity-failure');
      expect(last).toMatchObject({ actor: rig.users.principal, details: { event: 'resolved' } });
    } finally {
      await context.close();
    }
  });
});
