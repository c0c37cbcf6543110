/**
 * Custody on the audit page (R25): the principal sees the signing key's fingerprint in groups of
 * four (as `gateway key show` prints it for the register), issues a checkpoint with a reason, sees
 * it listed and downloads its custody receipt (a PDF); an auditor reads but cannot issue. The
 * archive card beside it shows the queue of an archive that does not answer (checkpoints wait).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginFast, newPage, screenshot } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

describe('custody card on the audit page', () => {
  let rig: DashRig;
  beforeAll(async () => {
    const credentialsFile = join(await mkdtemp(join(tmpdir(), 'dash-archive-')), 'credentials.json');
    await writeFile(credentialsFile, JSON.stringify({ accessKeyId: 'k', secretAccessKey: 's' }));
    rig = await startDashRig({
      custody: { gatewayId: '执法网关-测试' },
      // Nothing listens on port 9: every checkpoint waits in the archive's queue.
      archive: { endpoint: 'http://127.0.0.1:9', bucket: 'originals', credentialsFile, retryMs: 60_000 },
    });
  }, 120_000);
  afterAll(() => rig?.stop());

  it('shows the fingerprint, issues a checkpoint and serves its receipt', async () => {
    const key = rig.gw.app.custody.publicKeyJson();
    const grouped = key.fingerprint.match(/.{4}/g)!.join(' ');
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users.principal, PASSWORD, '/audit');
      await textOf(page.getByTestId('custody-fingerprint')).toBe(grouped);
      await page.getByTestId('custody-issue').click();
      await page.getByTestId('custody-reason').fill('每周U盘见证');
      await page.locator('#custody-issue-submit').click();
      const mine = async () =>
        (await rig.gw.app.store.audit.recent(20)).find(
          (e) => e.type === 'checkpoint' && e.actor === rig.users.principal,
        );
      await expect.poll(mine, { timeout: 15_000 }).toBeTruthy();
      const entry = await mine();
      expect(entry!.details).toMatchObject({ reason: '每周U盘见证' });
      const cp = await rig.gw.app.custody.checkpoint(Number(entry!.details.treeSize));
      await textOf(page.getByTestId('custody-latest')).toContain(`${cp.treeSize} 条记录`);
      const receipt = page.getByTestId(`custody-receipt-${cp.treeSize}`);
      await receipt.waitFor();
      const href = await receipt.getAttribute('href');
      const res = await page.request.get(new URL(href!, rig.gw.url).toString());
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toBe('application/pdf');
      expect((await res.body()).subarray(0, 5).toString()).toBe('%PDF-');
      await screenshot(page, 'custody-card-principal');
    } finally {
      await context.close();
    }

    const waiting = await rig.gw.app.archive.status();
    expect(waiting.depth).toBeGreaterThan(0);
    const auditor = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(auditor.page, rig.users.auditor, PASSWORD, '/audit');
      await textOf(auditor.page.getByTestId('custody-fingerprint')).toBe(grouped);
      expect(await auditor.page.getByTestId('custody-issue').count()).toBe(0);
      await textOf(auditor.page.getByTestId('archive-depth')).toMatch(/^[1-9]\d* 项$/);
      await textOf(auditor.page.getByTestId('archive-card')).toContain('http://127.0.0.1:9/originals');
    } finally {
      await auditor.context.close();
    }
  });
});
