/**
 * Legal affairs and principal: interruption records and their written explanation (R19), clip
 * search and playback with every access logged (R24), the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { FfmpegClipSource } from '../../device-sim/recorder/ffmpeg-clip-source.js';
import { loginFast, newPage, screenshot, waitLive } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

describe('legal-affairs pages', () => {
  let rig: DashRig;
  beforeAll(async () => {
    rig = await startDashRig();
  }, 120_000);
  afterAll(() => rig?.stop());

  it('interruption explanation (R19): written, reviewed by legal affairs (never their own text), closed by the principal; new records appear live', async () => {
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
      // R28: an obstruction offers its referral: a disc request for public security, its recording named.
      const obstructed = await rig.gw.app.interruptions.open({
        source: 'recorder',
        device: 'BC7301',
        sessionId: 'S-7301-2',
        cause: 'obstruction',
        start: Date.now() - 60_000,
        officer,
      });
      await page.getByTestId(`refer-${obstructed.id}`).click();
      const dialog = page.locator('.ant-modal', { hasText: '阻挠执法移送材料' });
      await textOf(dialog).toContain('公安机关');
      expect(await dialog.getByTestId('export-purpose').inputValue()).toBe('阻挠执法移送公安机关处理');
      await dialog.getByRole('button', { name: /取\s*消/ }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await page.getByTestId(`refer-${rec.id}`).count()).toBe(0);
      // Written explanation.
      await page.getByTestId(`explain-${rec.id}`).click();
      await page
        .getByTestId('explain-text')
        .fill('电池老化导致电量提前耗尽，已更换备用电池后恢复记录，并口述中止原因。');
      await screenshot(page, 'legal-interruption-explain');
      await page.locator('#explain-submit').click();
      await expect.poll(async () => (await rig.gw.app.interruptions.get(rec.id))?.status).toBe('explained');
      await page.getByTestId(`explain-${rec.id}`).waitFor({ state: 'detached' });
      // Legal affairs wrote this text: their own review is refused (button disabled, and the API).
      await page.getByText('待审核', { exact: true }).click();
      expect(await page.getByTestId(`review-${rec.id}`).isDisabled()).toBe(true);
      // The officer who held the recorder writes it instead; legal affairs review in the page.
      await rig.gw.app.interruptions.explain(rec.id, {
        text: '电池老化导致电量提前耗尽，已更换备用电池后恢复记录，并口述中止原因。',
        author: rig.users.officer,
      });
      await page.reload();
      await page.getByText('待审核', { exact: true }).click();
      await page.getByTestId(`review-${rec.id}`).click();
      await expect.poll(async () => (await rig.gw.app.interruptions.get(rec.id))?.status).toBe('reviewed');
      await page.getByTestId(`review-${rec.id}`).waitFor({ state: 'detached' });
      // The principal closes it.
      const p2 = await newPage(rig.browser, rig.gw.url);
      try {
        await loginFast(p2.page, rig.users.principal, PASSWORD, '/interruptions');
        await p2.page.getByText('待关闭', { exact: true }).click();
        await p2.page.getByTestId(`close-${rec.id}`).click();
        await p2.page.locator('#close-confirm').click();
        await expect.poll(async () => (await rig.gw.app.interruptions.get(rec.id))?.status).toBe('closed');
      } finally {
        await p2.context.close();
      }
      const closed = await rig.gw.app.interruptions.get(rec.id);
      expect(closed?.explanation?.author).toBe(rig.users.officer);
      expect(closed?.review?.by).toBe(rig.users['legal-affairs']);
      expect(closed?.closure?.by).toBe(rig.users.principal);
      expect(closed?.history[0]?.author).toBe(rig.users['legal-affairs']);
    } finally {
      await context.close();
    }
  });

  it('clip search and playback in the browser, the view logged with who and why (R24), in the audit log', async () => {
    // A real H.264 MP4 recorded by a simulated recorder, docked over a PTY, verified into the store.
    await rig.gw.app.field.registry.register({ serial: 'BC7401' }, 'test');
    const source = new FfmpegClipSource({ maxSeconds: 2 });
    try {
      const { recorder } = await recorderWithClips({
        serial: 'BC7401',
        clipBytes: [0],
        clipSeconds: 2,
        officer: { id: 'O7401', name: '孙警官', certNo: 'ZF32074401' },
        clips: source,
      });
      await rig.dock('dock1', recorder);
      await expect
        .poll(async () => (await rig.gw.app.clips.search({ serial: 'BC7401', limit: 10 }))[0]?.state, {
          timeout: 30_000,
        })
        .toBe('verified');
      const [clip] = await rig.gw.app.clips.search({ serial: 'BC7401', limit: 10 });
      const { context, page } = await newPage(rig.browser, rig.gw.url);
      try {
        await loginFast(page, rig.users['legal-affairs'], PASSWORD, '/clips');
        await page.getByTestId('clips-serial').fill('BC7401');
        await page.getByTestId('clips-search').click();
        const row = page.locator('tr', { has: page.getByTestId(`play-${clip!.clipId}`) });
        await textOf(row).toContain('孙警官');
        await textOf(row).toContain('已校验入库');
        await screenshot(page, 'legal-clips');
        await page.getByTestId(`play-${clip!.clipId}`).click();
        // The dialog says where the original is: no archive here, so not archived yet.
        await textOf(page.getByTestId('clip-archive')).toBe('中心归档: 尚未归档');
        await page.getByTestId('access-reason').fill('复核案件 ZF-2026-0417 现场执法过程');
        await page.getByTestId('access-confirm').click();
        // The browser really decodes it: metadata loaded, a duration, a frame size.
        const video = page.getByTestId('clip-video');
        await expect
          .poll(() => video.evaluate((v: HTMLVideoElement) => (v.readyState >= 1 ? v.videoWidth : 0)), {
            timeout: 20_000,
          })
          .toBeGreaterThan(0);
        expect(await video.evaluate((v: HTMLVideoElement) => v.duration)).toBeGreaterThan(0.5);
        await screenshot(page, 'legal-clip-playback');
        const access = (await rig.gw.app.store.audit.bySubject(`clip:${clip!.clipId}`)).filter(
          (e) => e.type === 'clip-access',
        );
        expect(access.length).toBeGreaterThanOrEqual(1);
        expect(access[0]!.actor).toBe(rig.users['legal-affairs']);
        expect(access[0]!.details).toMatchObject({
          action: 'view',
          reason: '复核案件 ZF-2026-0417 现场执法过程',
        });
        // The audit page lists the access.
        await page.goto('/audit');
        await textOf(page.locator('.ant-table')).toContain('调阅音像记录');
        await textOf(page.locator('.ant-table')).toContain(`clip:${clip!.clipId}`);
        await screenshot(page, 'legal-audit');
      } finally {
        await context.close();
      }
    } finally {
      await source.close();
    }
  });
});
