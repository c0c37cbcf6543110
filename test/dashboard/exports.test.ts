/**
 * Evidence discs from the dashboard (R23, R24, R25), in Chromium against a real gateway: legal
 * affairs select clips and request an export for a court, the principal approves it in the queue,
 * the gateway builds the disc, legal affairs download the image and record the hand-over. The
 * downloaded image is read back with xorriso and the disc's own verifiers pass it: verify.mjs in
 * Node and verify.html opened from the extracted folder. Integrity alerts stay in view.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginFast, newPage, screenshot, waitLive } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

const run = promisify(execFile);

/** Before a screenshot: no table still fading out of its loading state (antd animates 0.3 s). */
async function settled(page: Page): Promise<void> {
  await page.locator('.ant-spin-blur, .ant-spin-spinning').first().waitFor({ state: 'detached' });
  await page.waitForTimeout(400);
}
const CASE = 'ZF-2026-0523';

describe('evidence exports in the dashboard', () => {
  let rig: DashRig;
  let work: string;
  beforeAll(async () => {
    rig = await startDashRig();
    work = await mkdtemp(join(tmpdir(), 'dash-exports-'));
    const t0 = Date.now() - 2 * 3_600_000;
    for (const [i, clipId] of ['BC8801-0001', 'BC8801-0002'].entries()) {
      const bytes = createHash('sha512')
        .update(clipId)
        .digest()
        .toString('hex')
        .repeat(4000 * (i + 1));
      const path = join(work, `${clipId}.src`);
      // `ftyp` at offset 4: the disc names it .mp4.
      await writeFile(path, Buffer.concat([Buffer.from('\0\0\0\x18ftypisom'), Buffer.from(bytes)]));
      await rig.gw.app.store.ingestFile(path, {
        clipId,
        source: { kind: 'recorder', id: 'BC8801' },
        sessionId: 'S-8801-1',
        officer: { id: 'O8801', name: '赵执法', certNo: 'ZF32088801' },
        caseNo: CASE,
        activity: 'inspection',
        start: t0 + i * 600_000,
        end: t0 + i * 600_000 + 540_000,
      });
    }
    // A recording of the signed-up officer's own session (officers export only their own, R24).
    const own = join(work, 'own.src');
    await writeFile(own, Buffer.concat([Buffer.from('\0\0\0\x18ftypisom'), Buffer.alloc(50_000, 7)]));
    await rig.gw.app.store.ingestFile(own, {
      clipId: 'BC8802-0001',
      source: { kind: 'recorder', id: 'BC8802' },
      sessionId: 'S-8802-1',
      officer: { id: rig.users.officer, name: '钱执法', certNo: 'ZF32088802' },
      caseNo: 'ZF-2026-0601',
      activity: 'evidence-collection',
      start: t0,
      end: t0 + 300_000,
    });
  }, 120_000);
  afterAll(async () => {
    await rig?.stop();
    if (work) {
      await run('chmod', ['-R', 'u+rwX', work]).catch(() => {});
      await rm(work, { recursive: true, force: true });
    }
  });

  it('legal affairs request, the principal approves, the disc is built and downloaded, and it verifies', async () => {
    const legal = await newPage(rig.browser, rig.gw.url);
    const chief = await newPage(rig.browser, rig.gw.url);
    try {
      // Legal affairs: select the case's clips on the clips page, request an export.
      const page = legal.page;
      await loginFast(page, rig.users['legal-affairs'], PASSWORD, '/clips');
      await page.getByTestId('clips-case').fill(CASE);
      await page.getByTestId('clips-search').click();
      for (const id of ['BC8801-0001', 'BC8801-0002']) {
        await page
          .locator('tr', { has: page.getByTestId(`play-${id}`) })
          .locator('.ant-checkbox-input')
          .check();
      }
      await textOf(page.getByTestId('export-request')).toContain('申请导出（2）');
      await page.getByTestId('export-request').click();
      expect(await page.getByTestId('export-case').inputValue()).toBe(CASE);
      await page.getByTestId('export-purpose').fill('移送人民法院作为行政诉讼证据');
      await page.getByTestId('export-recipient-name').fill('某市中级人民法院');
      await page.getByTestId('export-outside').check();
      await page.getByTestId('export-outside-by').fill('某市中级人民法院 刘法官');
      await page.getByTestId('export-outside-basis').fill('调取证据通知书（2026）某中法调 31 号');
      await screenshot(page, 'exports-request');
      await page.locator('#export-request-submit').click();
      await page.waitForURL('**/exports');
      const row = page.locator('[data-testid^="export-row-"]').first();
      await row.waitFor();
      const id = (await row.getAttribute('data-testid'))!.slice('export-row-'.length);
      await page.locator(`[data-testid="export-state-${id}"][data-state="requested"]`).waitFor();
      await textOf(row).toContain('待审批');
      await textOf(row).toContain('外部机关调取');
      await settled(page);
      await screenshot(page, 'exports-requested');
      const requested = await rig.gw.app.exports.get(id, {
        username: rig.users.principal,
        displayName: 'principal-用户',
        roles: ['principal'],
      });
      expect(requested).toMatchObject({
        caseNo: CASE,
        recipient: { kind: 'court', name: '某市中级人民法院' },
        outsideRequest: { requestedBy: '某市中级人民法院 刘法官' },
        clipIds: ['BC8801-0001', 'BC8801-0002'],
      });
      // Legal affairs cannot approve: no approval queue, no approve button.
      expect(await page.getByTestId('approval-queue').count()).toBe(0);
      expect(await page.getByTestId(`approve-${id}`).count()).toBe(0);

      // The principal: the queue, approve with a note.
      const p = chief.page;
      await loginFast(p, rig.users.principal, PASSWORD, '/exports');
      await waitLive(p);
      const queued = p.getByTestId('approval-queue').getByTestId(`export-row-${id}`);
      await textOf(queued).toContain('某市中级人民法院');
      await settled(p);
      await screenshot(p, 'exports-approval-queue');
      await p.getByTestId(`approve-${id}`).click();
      await p.getByTestId('export-dialog-text').fill('同意按调取通知书移送。');
      await screenshot(p, 'exports-approve');
      await p.locator('#export-dialog-ok').click();
      await p.locator(`[data-testid="export-state-${id}"][data-state="ready"]`).waitFor({ timeout: 60_000 });
      await textOf(p.getByTestId('approval-queue')).toContain('没有待审批的导出申请');
      await settled(p);
      await screenshot(p, 'exports-ready-principal');

      // Legal affairs see it ready (live) and download the image.
      await page
        .locator(`[data-testid="export-state-${id}"][data-state="ready"]`)
        .waitFor({ timeout: 30_000 });
      const view = await rig.gw.app.exports.get(id, {
        username: rig.users.principal,
        displayName: 'principal-用户',
        roles: ['principal'],
      });
      // The details: the decision and the image's size and SHA-256.
      await page.getByTestId(`export-row-${id}`).locator('.ant-table-row-expand-icon').click();
      const details = page.locator('.ant-table-expanded-row');
      await details.waitFor({ state: 'visible' });
      await textOf(details).toContain(view.image!.sha256);
      await textOf(details).toContain('同意按调取通知书移送。');
      await settled(page);
      await screenshot(page, 'exports-ready');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId(`download-${id}`).click(),
      ]);
      const iso = join(work, 'disc.iso');
      await download.saveAs(iso);
      expect(download.suggestedFilename()).toBe(view.image!.name);
      const bytes = await readFile(iso);
      expect(bytes.length).toBe(view.image!.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(view.image!.sha256);
      const downloads = (await rig.gw.app.store.audit.bySubject(`export:${id}`)).filter(
        (e) => e.type === 'export-download',
      );
      expect(downloads.map((e) => e.actor)).toEqual([rig.users['legal-affairs']]);

      // Hand-over to the court's clerk, recorded.
      await page.getByTestId(`handover-${id}`).click();
      await page.getByTestId('handover-to').fill('某市中级人民法院 立案庭 陈书记员');
      await page.locator('#export-dialog-ok').click();
      await expect
        .poll(async () =>
          (await rig.gw.app.store.audit.bySubject(`export:${id}`)).some((e) => e.type === 'export-handover'),
        )
        .toBe(true);

      // The disc, read back with a foreign tool, passes its own verifiers against the key on paper.
      const disc = join(work, 'disc');
      await run('xorriso', ['-indev', iso, '-osirrox', 'on', '-extract', '/', disc]);
      await run('chmod', ['-R', 'u+rwX', disc]);
      const fingerprint = rig.gw.app.custody.publicKeyJson().fingerprint;
      const mjs = await run(process.execPath, [
        join(disc, 'verify.mjs'),
        '--json',
        '--expect-key',
        fingerprint,
      ]);
      const report = JSON.parse(mjs.stdout);
      expect(report.findings).toEqual([]);
      expect(report).toMatchObject({ ok: true, key: { fingerprint, matches: true } });
      expect(report.counts).toMatchObject({ files: 2, filesOk: 2 });
      expect(report.counts.proven).toBe(report.counts.auditLines);

      const html = await rig.browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
      try {
        const vp = await html.newPage();
        await vp.goto(pathToFileURL(join(disc, 'verify.html')).href);
        await vp.locator('#expect-key').fill(fingerprint);
        await vp.locator('#disc-input').setInputFiles(disc);
        await vp
          .locator('#result[data-state="pass"], #result[data-state="fail"]')
          .waitFor({ timeout: 30_000 });
        expect(await vp.locator('#findings li').allTextContents()).toEqual([]);
        expect(await vp.locator('#result').getAttribute('data-state')).toBe('pass');
        await screenshot(vp, 'exports-disc-verify-html');
      } finally {
        await html.close();
      }
      // Tampering with the extracted disc is caught (the same disc, one clip altered).
      const clip = join(disc, 'clips', (await readdir(join(disc, 'clips')))[0]!);
      const altered = await readFile(clip);
      altered[100] = altered[100]! ^ 1;
      await chmod(clip, 0o600);
      await writeFile(clip, altered);
      expect((await stat(clip)).size).toBe(altered.length);
      const bad = await run(process.execPath, [join(disc, 'verify.mjs'), '--json']).catch((e) => e);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['hash-mismatch']);
    } finally {
      await legal.context.close();
      await chief.context.close();
    }
  });

  it('a principal cannot approve their own request, refuses another with a reason; integrity alerts stay in view', async () => {
    await rig.gw.app.users.add({
      username: 'ui-both',
      displayName: '兼任负责人',
      roles: ['legal-affairs', 'principal'],
      password: PASSWORD,
    });
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, 'ui-both', PASSWORD, '/exports');
      const r = await page.request.post('/api/exports', {
        data: {
          clipIds: ['BC8801-0001'],
          caseNo: CASE,
          purpose: '报送上级机关备案',
          recipient: { kind: 'superior', name: '省广播电视局' },
          sensitivity: 'confidential',
        },
      });
      expect(r.status()).toBe(200);
      const { id } = (await r.json()) as { id: string };
      const queued = page.getByTestId('approval-queue').getByTestId(`export-row-${id}`);
      await textOf(queued).toContain('省广播电视局');
      await page.getByTestId(`own-${id}`).waitFor();
      expect(await page.getByTestId(`approve-${id}`).count()).toBe(0);

      // Someone else's request: refused with a reason, which the list keeps.
      const other = await rig.gw.app.exports.request(
        {
          clipIds: ['BC8801-0002'],
          sessionIds: [],
          hearingIds: [],
          interruptionIds: [],
          caseNo: CASE,
          purpose: '媒体采访需要',
          recipient: { kind: 'other', name: '某报社' },
          sensitivity: 'normal',
        },
        { username: rig.users['legal-affairs'], displayName: 'legal-affairs-用户', roles: ['legal-affairs'] },
      );
      await page.getByTestId(`refuse-${other.id}`).click();
      expect(await page.locator('#export-dialog-ok').isDisabled()).toBe(true);
      await page.getByTestId('export-dialog-text').fill('不属于第二十四条规定的调取主体，不予提供。');
      await page.locator('#export-dialog-ok').click();
      await page.locator(`[data-testid="export-state-${other.id}"][data-state="refused"]`).waitFor();
      expect(
        await rig.gw.app.exports.get(other.id, {
          username: 'ui-both',
          displayName: '',
          roles: ['principal'],
        }),
      ).toMatchObject({
        state: 'refused',
        reason: '不属于第二十四条规定的调取主体，不予提供。',
        decidedBy: { username: 'ui-both' },
      });

      await rig.gw.app.alerts.raise({
        rule: 'audit-log-integrity',
        subject: 'audit.jsonl',
        severity: 'critical',
        message: 'audit log is not consistent with checkpoint 12',
        notify: ['principal', 'legal-affairs'],
      });
      await textOf(page.getByTestId('integrity-banner')).toContain('审计日志完整性校验失败');
      await textOf(page.getByTestId('integrity-banner')).toContain('完整性告警：1 项未处理');
      await settled(page);
      await screenshot(page, 'exports-own-request-integrity');
    } finally {
      await context.close();
    }
  });

  it('an officer requests a disc of a recording of their own session', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users.officer, PASSWORD, '/exports');
      await page.getByTestId('own-clip-BC8802-0001').locator('.ant-checkbox-input').check();
      await page.getByTestId('export-request').click();
      expect(await page.getByTestId('export-case').inputValue()).toBe('ZF-2026-0601');
      await page.getByTestId('export-purpose').fill('报送纪检监察机关核查');
      await page.getByTestId('export-recipient-kind').click();
      await page.locator('.ant-select-item-option', { hasText: '纪检监察机关' }).click();
      await page.getByTestId('export-recipient-name').fill('驻局纪检监察组');
      await page.locator('#export-request-submit').click();
      const row = page.locator('[data-testid^="export-row-"]').first();
      await textOf(row).toContain('驻局纪检监察组');
      await textOf(row).toContain('待审批');
      expect(await page.getByTestId('approval-queue').count()).toBe(0);
      await settled(page);
      await screenshot(page, 'exports-officer');
      const id = (await row.getAttribute('data-testid'))!.slice('export-row-'.length);
      const view = await rig.gw.app.exports.get(id, {
        username: rig.users.principal,
        displayName: 'principal-用户',
        roles: ['principal'],
      });
      expect(view).toMatchObject({
        requestedBy: { username: rig.users.officer },
        recipient: { kind: 'discipline', name: '驻局纪检监察组' },
        clipIds: ['BC8802-0001'],
      });
    } finally {
      await context.close();
    }
  });
});
