/**
 * Continuous verification (R25): the scheduled, throttled sweep reuses the store's verify; each
 * failure (altered, missing, writable original) is a critical alert to the principal and legal
 * affairs, listed by the API until someone resolves it, and an `integrity-failure` entry; a
 * failing on-demand verify raises the same. The last sweep's time and result are in the API.
 */
import { chmod, mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClipRecord } from '../../gateway/store/index.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { alterOnDisk, ingestClip } from './helpers.js';

const MB_PER_S = 8;
let gw: TestGateway;
let legal: ApiClient;
let principal: ApiClient;
let auditor: ApiClient;
let clips: ClipRecord[];

beforeAll(async () => {
  // The first sweep runs at once after start; the next an hour after it.
  gw = await startGateway({ integrity: { sweepEveryH: 1, firstSweepAfterS: 0, sweepMbPerS: MB_PER_S } });
  legal = await gw.as('legal-affairs');
  principal = await gw.as('principal');
  auditor = await gw.as('auditor');
  clips = [];
  for (let i = 0; i < 4; i++) clips.push(await ingestClip(gw.app, 4 * 1024 * 1024));
});
afterAll(async () => {
  await gw?.stop();
});

const blobOf = (c: ClipRecord) => gw.app.store.layout.blobPath('blobs', c.sha256);
const failureEntries = async () => {
  const out = [];
  for await (const e of gw.app.store.audit.range(1, gw.app.store.audit.head.seq)) {
    if (e.type === 'integrity-failure') out.push(e);
  }
  return out;
};
type Failure = { id: string; subject: string; severity: string; details: { kind: string } };
const openFailures = async (): Promise<Failure[]> => (await principal.get('/api/integrity')).body.failures;

describe('scheduled sweep', () => {
  it('runs after start, at no more than its read rate, and shows its result', async () => {
    const s = await waitFor(async () => {
      const r = await auditor.get('/api/integrity');
      return r.body.sweep.last ? r.body.sweep : undefined;
    }, 'first sweep finished');
    expect(s.last).toMatchObject({ trigger: 'schedule', ok: true, failures: 0 });
    expect(s.last.summary.blobsChecked).toBeGreaterThanOrEqual(0);
    expect(s.everyH).toBe(1);
    expect(Date.parse(s.nextAt) - Date.parse(s.last.finishedAt)).toBe(3_600_000);
    // Throttled: a sweep over the 16 MB of clips reads at most MB_PER_S on average.
    const r = await gw.app.integrity.sweep();
    expect(r.summary.blobsChecked).toBe(4);
    expect(r.hashMbPerS).toBeLessThanOrEqual(MB_PER_S * 1.1);
    expect(r.hashMbPerS).toBeGreaterThan(0);
  });

  it('raises altered, missing and writable originals as critical alerts with audit entries', async () => {
    const [altered, missing, writable] = clips as [ClipRecord, ClipRecord, ClipRecord];
    await alterOnDisk(blobOf(altered), 100);
    await unlink(blobOf(missing));
    await chmod(blobOf(writable), 0o644);

    const report = await gw.app.integrity.sweep();
    expect(report.ok).toBe(false);
    const open = await openFailures();
    const bySubject = Object.fromEntries(open.map((f) => [f.subject, f]));
    expect(bySubject[`clip:${altered.clipId}`]?.details.kind).toBe('altered');
    expect(bySubject[`clip:${missing.clipId}`]?.details.kind).toBe('missing');
    const w = open.find((f) => f.details.kind === 'writable');
    expect(w?.subject).toContain(writable.sha256);
    for (const f of open) expect(f.severity).toBe('critical');

    expect((await gw.app.store.index.get(altered.clipId))?.state).toBe('quarantined');
    // Write-protected again; the entry keeps the mode it was found with.
    expect((await stat(blobOf(writable))).mode & 0o777).toBe(0o400);
    const entries = await failureEntries();
    expect(entries.map((e) => e.details.kind).sort()).toEqual(['altered', 'missing', 'writable']);
    expect(entries.find((e) => e.details.kind === 'writable')?.details.mode).toBe('644');

    const last = (await legal.get('/api/integrity')).body.sweep.last;
    expect(last).toMatchObject({ trigger: 'schedule', ok: false, failures: 3 });

    // Seen on the alerts page too, told to the principal and legal affairs.
    const alerts = (await principal.get('/api/alerts?active=true&rule=integrity-failure')).body;
    expect(alerts.length).toBe(3);
    expect(alerts[0].notify).toEqual(expect.arrayContaining(['principal', 'legal-affairs']));
  });

  it('keeps a failure open across sweeps without repeating its entry, until resolved with a note', async () => {
    const missing = clips[1]!;
    const before = (await failureEntries()).length;
    await gw.app.integrity.sweep();
    expect((await failureEntries()).length).toBe(before);
    const open = await openFailures();
    const f = open.find((x) => x.subject === `clip:${missing.clipId}`)!;
    expect(f).toBeDefined();

    expect((await auditor.post(`/api/integrity/failures/${f.id}/resolve`, { note: 'x' })).status).toBe(403);
    expect((await legal.post(`/api/integrity/failures/${f.id}/resolve`, { note: ' ' })).status).toBe(400);
    const done = await legal.post(`/api/integrity/failures/${f.id}/resolve`, {
      note: '原件已从光盘 D-17 核对，报局长',
    });
    expect(done.status).toBe(200);
    expect(done.body.active).toBe(false);
    expect((await openFailures()).some((x) => x.id === f.id)).toBe(false);
    const resolved = (await failureEntries()).at(-1)!;
    expect(resolved).toMatchObject({ actor: legal.username, subject: f.subject });
    expect(resolved.details).toMatchObject({ event: 'resolved', note: '原件已从光盘 D-17 核对，报局长' });

    // The blob is still missing: an on-demand verify that fails raises it again.
    const v = await principal.post('/api/audit/verify');
    expect(v.status).toBe(200);
    expect(v.body.ok).toBe(false);
    const again = await waitFor(
      async () => (await openFailures()).find((x) => x.subject === `clip:${missing.clipId}`),
      'failure raised again by verify',
    );
    expect(again.id).not.toBe(f.id);
    expect((await legal.get('/api/integrity')).body.sweep.last).toMatchObject({
      trigger: 'manual',
      actor: principal.username,
      ok: false,
    });
  });
});

describe('sweep schedule across restarts', () => {
  it('keeps the last result and waits a full interval after it, not only the delay after start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-sweep-restart-'));
    const config = { dataDir: dir, integrity: { sweepEveryH: 2, firstSweepAfterS: 0 } };
    let g = await startGateway(config);
    try {
      const first = await waitFor(() => g.app.integrity.state().last, 'first sweep');
      await g.stop();
      g = await startGateway(config);
      const s = g.app.integrity.state();
      expect(s.last).toEqual(first);
      expect(Date.parse(s.nextAt!)).toBe(Date.parse(first.finishedAt) + 2 * 3_600_000);
    } finally {
      await g.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
