/**
 * The principal's landing page (R7, R26) in Chromium, zh: a seeded month of office history, the
 * breach counts and charts, alerts grouped with bulk acknowledge, and the report PDF downloaded
 * from the page's own link and rendered (page 1) with pdftoppm into test/artifacts.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHistory } from '../../gateway/compliance/seed.js';
import { parseConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import { loginFast, newPage, screenshot } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

const ARTIFACTS = resolve('test/artifacts');

describe('compliance summary page', () => {
  let rig: DashRig;
  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dash-summary-'));
    await seedHistory(parseConfig({ dataDir }), {
      seed: 7,
      days: 30,
      officers: 6,
      end: Date.now(),
      log: createLogger({ level: 'silent' }),
    });
    rig = await startDashRig({ dataDir });
  }, 120_000);
  afterAll(() => rig?.stop());

  it('is where the principal lands: breaches by kind, statistics, charts; the PDF downloads', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users.principal, PASSWORD, '/');
      await page.getByTestId('summary-page').waitFor();
      expect(new URL(page.url()).pathname).toBe('/summary');
      // The seeded month names breaches; the counts and the charts' canvases render.
      await textOf(page.getByTestId('breach-count-not-recorded')).toContain('未按规定记录');
      await page.locator('canvas').first().waitFor();
      await expect.poll(() => page.locator('canvas').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
      await textOf(page.locator('body')).toContain('按人员统计');
      await screenshot(page, 'summary');

      const href = await page.getByTestId('report-pdf').getAttribute('href');
      expect(href).toMatch(/^\/api\/compliance\/report\.pdf\?month=\d{4}-\d{2}$/);
      const res = await page.request.get(href!);
      expect(res.headers()['content-type']).toBe('application/pdf');
      await mkdir(ARTIFACTS, { recursive: true });
      const file = join(ARTIFACTS, 'dashboard-summary-report.pdf');
      await writeFile(file, await res.body());
      execFileSync('pdftoppm', [
        '-png',
        '-r',
        '70',
        '-f',
        '1',
        '-l',
        '1',
        file,
        join(ARTIFACTS, 'dashboard-summary-report'),
      ]);
      const text = execFileSync('pdftotext', ['-l', '1', file, '-']).toString();
      expect(text).toContain('执法全过程记录合规报告');
      const xlsx = await page.request.get((await page.getByTestId('report-xlsx').getAttribute('href'))!);
      expect(xlsx.status()).toBe(200);
      expect((await xlsx.body()).subarray(0, 2).toString()).toBe('PK');
    } finally {
      await context.close();
    }
  });

  it('groups open alerts by kind and acknowledges a group at once; the alert list is one click away', async () => {
    for (const n of [1, 2, 3]) {
      await rig.gw.app.alerts.raise({
        rule: 'clip-overdue',
        subject: `clip:demo-${n}`,
        severity: 'warning',
        message: `clip ${n} overdue`,
      });
    }
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users['legal-affairs'], PASSWORD, '/summary');
      const group = page.getByTestId('alert-group-clip-overdue');
      // The seeded month's overdue clips are in the same group, with the three raised here.
      const open = (await rig.gw.app.alerts.list({ active: true, rule: 'clip-overdue' })).filter(
        (a) => !a.ack,
      );
      expect(open.length).toBeGreaterThanOrEqual(3);
      await textOf(group).toContain(`未确认 ${open.length} 条`);
      await screenshot(page, 'summary-alerts');
      await page.getByTestId('ack-group-clip-overdue').click();
      await textOf(group).toContain('未确认 0 条');
      const acked = await rig.gw.app.alerts.list({ active: true, rule: 'clip-overdue' });
      expect(acked.every((a) => a.ack?.by === rig.users['legal-affairs'])).toBe(true);
      await page.getByTestId('alert-groups').getByText('查看全部告警').click();
      await page.waitForURL('**/alerts');
    } finally {
      await context.close();
    }
  });
});
