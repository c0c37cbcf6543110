/**
 * Officer at the dock on a tablet: check-out with the readiness forecast, and the uploads at
 * shift end with each clip's 24 h deadline (R22), over real PTY dock links.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { loginFast, newPage, screenshot, TABLET, waitLive } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

describe('officer dock page', () => {
  let rig: DashRig;
  beforeAll(async () => {
    rig = await startDashRig();
  }, 120_000);
  afterAll(() => rig?.stop());

  it('officer at the dock (tablet): takes a recorder, it shows as assigned; at shift end uploads with deadlines', async () => {
    const officerUser = rig.users.officer;
    // Shift start: a charged recorder in dock 1.
    await rig.gw.app.field.registry.register({ serial: 'BC7101', model: 'DSJ-V9' }, 'test');
    const { recorder } = await recorderWithClips({ serial: 'BC7101', clipBytes: [], clipSeconds: 1 });
    const dock1 = await rig.dock('dock1', recorder);
    const { context, page } = await newPage(rig.browser, rig.gw.url, TABLET);
    try {
      await loginFast(page, officerUser, PASSWORD, '/dock');
      await waitLive(page);
      await page.getByTestId('take-BC7101').waitFor({ timeout: 30_000 });
      await expect.poll(() => page.getByTestId('take-BC7101').isEnabled()).toBe(true);
      await screenshot(page, 'officer-dock-tablet');
      // Take it: the big button fills most of the card's width on the tablet.
      const box = await page.getByTestId('take-BC7101').boundingBox();
      expect(box!.height).toBeGreaterThanOrEqual(48);
      await page.getByTestId('take-BC7101').click();
      expect(await page.getByTestId('take-officer-id').inputValue()).toBe(officerUser);
      await page.getByTestId('take-name').fill('赵警官');
      await page.getByTestId('take-cert').fill('ZF32070101');
      await screenshot(page, 'officer-take');
      await page.getByTestId('take-confirm').click();
      await textOf(page.getByTestId('assigned-BC7101')).toContain('赵警官');
      await textOf(page.getByTestId('assigned-BC7101')).toContain('ZF32070101');
      // PAIR went over the serial link: the recorder carries the officer; the assignment is kept.
      expect(recorder.officer).toEqual({ id: officerUser, name: '赵警官', certNo: 'ZF32070101' });
      expect(rig.gw.app.pairing.activeFor('BC7101')?.officer.certNo).toBe('ZF32070101');

      // The equipment manager's fleet table shows who has it.
      const mgr = await newPage(rig.browser, rig.gw.url);
      try {
        await loginFast(mgr.page, rig.users['equipment-manager'], PASSWORD, '/fleet');
        await textOf(mgr.page.getByTestId('holder-BC7101')).toContain('赵警官');
        await screenshot(mgr.page, 'manager-fleet-holder');
      } finally {
        await mgr.context.close();
      }

      // In the field the recorder is lost: the equipment manager reports it from its page (R21);
      // the assignment closes without a dock and the officer is free to take another one.
      await dock1.undock();
      await expect
        .poll(() => rig.gw.app.docks.list().find((s) => s.slot.endsWith('dock1'))?.state ?? 'empty', {
          timeout: 30_000,
        })
        .toBe('empty');
      const lost = await newPage(rig.browser, rig.gw.url);
      try {
        await loginFast(lost.page, rig.users['equipment-manager'], PASSWORD, '/recorders/BC7101');
        await lost.page.getByTestId('recorder-report-lost').click();
        await lost.page.getByTestId('recorder-lost-reason').fill('外勤途中遗失，已报告');
        // antd spaces two-character CJK button labels ("报 失").
        const confirm = lost.page.locator('.ant-modal').getByRole('button', { name: /报\s*失/ });
        await confirm.waitFor();
        // The screenshot after the modal's opening animation.
        await expect.poll(() => lost.page.locator('[class*="ant-zoom-"]').count()).toBe(0);
        await screenshot(lost.page, 'manager-recorder-report-lost');
        await confirm.click();
        await textOf(lost.page.locator('.ant-message')).toContain('已报失');
        await expect.poll(() => rig.gw.app.pairing.activeFor('BC7101')).toBeUndefined();
        // Once the assignment is closed the page no longer offers the action.
        await expect.poll(() => lost.page.getByTestId('recorder-report-lost').count()).toBe(0);
      } finally {
        await lost.context.close();
      }

      // Shift end: a recorder holding this officer's clips docks; the officer watches them upload.
      await rig.gw.app.field.registry.register({ serial: 'BC7102' }, 'test');
      const withClips = await recorderWithClips({
        serial: 'BC7102',
        clipBytes: [300_000, 200_000],
        clipSeconds: 30,
        officer: { id: officerUser, name: '赵警官', certNo: 'ZF32070101' },
      });
      await rig.dock('dock2', withClips.recorder);
      const uploads = page.locator('[data-testid^="upload-"]');
      await expect.poll(() => uploads.count(), { timeout: 30_000 }).toBe(2);
      // Each clip: its 24 h deadline, then verified at 100 %.
      await expect
        .poll(() => uploads.locator('.ant-progress-status-success').count(), { timeout: 30_000 })
        .toBe(2);
      await textOf(uploads.first()).toContain('已校验入库');
      await screenshot(page, 'officer-uploads');
      const clips = await rig.gw.app.clips.search({ officerId: officerUser, limit: 10 });
      expect(clips.map((c) => c.state).sort()).toEqual(['verified', 'verified']);
      // Each clip's R22 deadline (end + 24 h), shown in Shanghai time while the browser runs in UTC.
      for (const c of clips) {
        expect(c.deadline).toBe(c.end + 24 * 3_600_000);
        const shanghai = new Date(c.deadline + 8 * 3_600_000).toISOString();
        await textOf(page.getByTestId(`deadline-${c.clipId}`)).toContain(
          `${shanghai.slice(5, 10)} ${shanghai.slice(11, 16)}`,
        );
      }
    } finally {
      await context.close();
    }
  });
});
