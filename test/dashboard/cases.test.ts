/**
 * Cases in the browser (zh): the officer's "my recordings" (interruption to explain, sessions to
 * tag in bulk, clips with upload state and deadline), the case timeline (sessions and a real
 * hearing each one item, the interruption with its explanation, stage changes; printable), and
 * the case list import with its per-row error report. Screenshots in test/artifacts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCameras } from '../../device-sim/camera/index.js';
import { connectRecorder, type RecorderClient, register } from '../broker/mqtt-helpers.js';
import { waitFor } from '../helpers/wait.js';
import { loginFast, newPage, screenshot, waitLive } from './browser.js';
import { ARTIFACTS } from './build.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

const MIN = 60_000;
const H = 3_600_000;
const SHA = 'b'.repeat(64);
const CASE = '桂广罚〔2026〕58号';
const CAMERA_PW = 'cam-secret-58';

describe('cases, timeline and my recordings', () => {
  let rig: DashRig;
  let rec: RecorderClient;
  const officerCert = { name: '李明', certNo: 'ZF45010058' };

  beforeAll(async () => {
    rig = await startDashRig({
      cameras: {
        rooms: [{ id: 'RC', name: '第三听证室' }],
        segmentSeconds: 2,
        staleDataS: 3,
        resumeAlertS: 60,
        healthPollS: 600,
      },
    });
    const app = rig.gw.app;
    const legal = { username: rig.users['legal-affairs'], roles: ['legal-affairs' as const] };
    await app.cases.create(legal, {
      caseNo: CASE,
      type: 'penalty',
      title: '某某传媒公司未经批准擅自设立卫星地面接收设施案',
      unit: '执法支队',
      officers: [rig.users.officer],
      parties: ['某某传媒有限公司', '赵六'],
    });
    await app.cases.moveStage(legal, CASE, { stage: 'investigation', note: '立案，指派李明调查' });

    // Two field sessions this morning on a recorder checked out to the officer; the first has a
    // weather interruption (resumed), its clips are announced with the officer as the dock would.
    rec = await connectRecorder(rig.gw, 'BC5801', await register(rig.gw, 'BC5801'));
    const me = rig.users.officer;
    const t0 = Date.now() - 5 * H;
    const sessions = [
      { id: 'S-5801-1', at: t0, activity: 'inspection' as const, gap: true },
      { id: 'S-5801-2', at: t0 + 2 * H, activity: 'evidence-collection' as const, gap: false },
    ];
    for (const s of sessions) {
      await rec.event({
        type: 'session-started',
        sessionId: s.id,
        officerId: me,
        activity: s.activity,
        at: s.at,
      });
      await rec.event({ type: 'marker', sessionId: s.id, marker: 'notice-given', at: s.at + 1000 });
      await rec.event({ type: 'recording-started', sessionId: s.id, at: s.at + 1000 });
      const clips = [
        [s.at + 1000, s.at + 10 * MIN],
        [s.at + (s.gap ? 14 : 10) * MIN, s.at + 25 * MIN],
      ] as const;
      if (s.gap) {
        await rec.event({
          type: 'recording-stopped',
          sessionId: s.id,
          cause: 'weather',
          canContinue: true,
          at: s.at + 10 * MIN,
        });
        await rec.event({ type: 'recording-started', sessionId: s.id, at: s.at + 14 * MIN });
        await rec.event({
          type: 'marker',
          sessionId: s.id,
          marker: 'resume-statement',
          at: s.at + 14 * MIN + 5000,
        });
      }
      for (const [i, [start, end]] of clips.entries()) {
        await rec.event({
          type: 'segment-closed',
          sessionId: s.id,
          clipId: `${s.id}-c${i + 1}`,
          start,
          end,
          bytes: 48_000_000,
          sha256: SHA,
          at: end,
        });
      }
      await rec.event({ type: 'session-ended', sessionId: s.id, at: s.at + 25 * MIN + 1000 });
      await waitFor(async () => (await app.field.sessions.get('BC5801', s.id))?.endedAt, `session ${s.id}`);
      for (const [i, [start, end]] of clips.entries()) {
        await app.store.announce({
          clipId: `${s.id}-c${i + 1}`,
          source: { kind: 'recorder', id: 'BC5801' },
          sessionId: s.id,
          start,
          end,
          bytes: 48_000_000,
          sha256: SHA,
          officer: { id: me, ...officerCert },
          activity: s.activity,
        });
      }
    }
    // One clip from yesterday still on the recorder past its 24 h (overdue).
    await app.store.announce({
      clipId: 'S-5800-9-c1',
      source: { kind: 'recorder', id: 'BC5801' },
      sessionId: 'S-5800-9',
      start: Date.now() - 27 * H,
      end: Date.now() - 26 * H,
      bytes: 30_000_000,
      sha256: SHA,
      officer: { id: me, ...officerCert },
    });
  }, 120_000);

  afterAll(async () => {
    await rec?.end();
    await rig?.stop();
  });

  it("the officer's my-recordings: explains the interruption and tags both sessions in bulk", async () => {
    const app = rig.gw.app;
    const [int] = await app.interruptions.list({ device: 'BC5801' });
    expect(int?.heldBy).toBe(rig.users.officer);
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users.officer, PASSWORD, '/mine');
      await waitLive(page);
      await textOf(page.getByTestId('mine-explain')).toContain('恶劣天气');
      await textOf(page.getByTestId('mine-recordings')).toContain('未关联');
      await textOf(page.getByTestId('mine-clips')).toContain('已逾期');
      await screenshot(page, 'officer-my-recordings');

      await page.getByTestId(`mine-explain-${int!.id}`).click();
      await page
        .getByTestId('explain-text')
        .fill('暴雨，记录仪进水自动停止；擦干后恢复记录，并口述中止原因。');
      await page.locator('#explain-submit').click();
      await expect.poll(async () => (await app.interruptions.get(int!.id))?.status).toBe('explained');
      expect((await app.interruptions.get(int!.id))?.explanation?.author).toBe(rig.users.officer);

      for (const id of ['S-5801-1', 'S-5801-2']) {
        await page.getByTestId(`mine-select-rs:BC5801:${id}`).check();
      }
      await page.getByTestId('mine-tag').click();
      await page.locator('#tag-submit').click();
      await expect.poll(async () => (await app.cases.linksOf(CASE)).length).toBe(2);
      await textOf(page.getByTestId('mine-recordings')).not.toContain('未关联');
      await screenshot(page, 'officer-my-recordings-tagged');
    } finally {
      await context.close();
    }
  });

  it('a hearing started for the case is linked to it and shows as one item', async () => {
    const cams = await startCameras(1, { firstOctet: 62, common: { user: 'admin', password: CAMERA_PW } });
    try {
      const app = rig.gw.app;
      await app.cameras.add(
        {
          id: 'camC1',
          name: '听证主机位',
          xaddr: cams.cameras[0]!.xaddr,
          user: 'admin',
          password: CAMERA_PW,
          roomId: 'RC',
        },
        'test',
      );
      const h = await app.hearings.startSession(
        { roomId: 'RC', caseNo: CASE, activity: 'hearing' },
        rig.users['hearing-staff'],
      );
      await waitFor(
        async () => (await app.hearings.segments(h.id)).length >= 3,
        'hearing segments',
        60_000,
        200,
      );
      await app.hearings.stopSession(h.id, rig.users['hearing-staff']);
      const link = await waitFor(
        async () => (await app.cases.linksOf(CASE)).find((l) => l.target.kind === 'hearing'),
        'hearing link',
      );
      expect(link).toMatchObject({
        by: rig.users['hearing-staff'],
        stage: 'investigation',
        activity: 'hearing',
      });
    } finally {
      await cams.stop();
    }
  }, 120_000);

  it('the case timeline in order, one item per session, printable', async () => {
    const app = rig.gw.app;
    const legal = { username: rig.users['legal-affairs'], roles: ['legal-affairs' as const] };
    await app.cases.moveStage(legal, CASE, { stage: 'review-decision', note: '调查终结，提交审查' });
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users['legal-affairs'], PASSWORD, '/cases');
      await page.getByTestId('case-search').locator('input').fill('赵六');
      await page.getByTestId('case-search').locator('input').press('Enter');
      const key = (await app.cases.get(CASE))!.key;
      await page.getByTestId(`case-${key}`).click();
      const tl = page.getByTestId('case-timeline');
      await textOf(tl).toContain('调查终结');
      const kinds = await tl
        .locator('li')
        .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-testid')));
      // Two sessions and one hearing, each one item (not one per clip or segment).
      expect(kinds.filter((k) => k === 'tl-session')).toHaveLength(2);
      expect(kinds.filter((k) => k === 'tl-hearing')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'tl-interruption')).toHaveLength(1);
      // In time order: the first session, its interruption, the second session.
      const order = kinds.filter((k) => k !== 'tl-stage');
      expect(order.slice(0, 3)).toEqual(['tl-session', 'tl-interruption', 'tl-session']);
      await textOf(tl.getByTestId('tl-interruption')).toContain('暴雨');
      await textOf(tl.getByTestId('tl-hearing')).toContain('分段');
      await screenshot(page, 'case-timeline');
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-case-timeline-full.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('.ant-layout-sider').isVisible()).toBe(false);
      expect(await page.getByTestId('case-print').isVisible()).toBe(false);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-case-timeline-print.png'), fullPage: true });
      await page.pdf({ path: join(ARTIFACTS, 'dashboard-case-timeline.pdf') }).catch(() => {});
    } finally {
      await context.close();
    }
  });

  it('legal affairs import a case list and see the per-row error report', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users['legal-affairs'], PASSWORD, '/cases');
      await page.getByTestId('case-import').click();
      const csv = [
        '案件编号,案件类型,案件名称,承办单位,执法人员,当事人,阶段',
        `桂广许〔2026〕3号,行政许可,有线电视站设立审批,审批科,${rig.users.officer},某某县广电站,受理`,
        '桂广罚〔2026〕58号,行政处罚,重复,执法支队,,,',
        '桂广罚〔2026〕60号,罚没,类型错误,执法支队,,,',
      ].join('\n');
      await page
        .getByTestId('import-file')
        .setInputFiles({ name: 'cases.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.locator('#import-submit').click();
      await textOf(page.getByTestId('import-result')).toContain('导入 1 件，2 处错误');
      await textOf(page.locator('.ant-modal')).toContain('案号 桂广罚〔2026〕58号 已登记');
      await textOf(page.locator('.ant-modal')).toContain('无法识别的案件类型“罚没”');
      await screenshot(page, 'case-import');
    } finally {
      await context.close();
    }
  });
});
