/**
 * The audit log API (R3, R24, R25): recent entries newest first with filters and paging, and the
 * chain verification that names an edited entry. Real gateway, real store on a temp dir.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let auditor: ApiClient;

beforeAll(async () => {
  gw = await startGateway();
  auditor = await gw.as('auditor');
  const audit = gw.app.store.audit;
  for (let i = 1; i <= 30; i++) {
    await audit.append({
      type: i % 3 === 0 ? 'clip-access' : 'time-sync',
      actor: i % 2 === 0 ? 'u-even' : 'u-odd',
      subject: i % 5 === 0 ? 'clip:C5' : `recorder:R${i}`,
      details: { i, reason: '测试' },
    });
  }
});

afterAll(async () => {
  await gw?.stop();
});

describe('GET /api/audit', () => {
  it('lists the newest entries first', async () => {
    const r = await auditor.get('/api/audit?limit=5');
    expect(r.status).toBe(200);
    expect(r.body.map((e: { details: { i: number } }) => e.details.i)).toEqual([30, 29, 28, 27, 26]);
    const e = r.body[0];
    expect(Object.keys(e).sort()).toEqual([
      'actor',
      'at',
      'details',
      'hash',
      'prevHash',
      'seq',
      'subject',
      'type',
    ]);
    expect(r.body[1].hash).toBe(e.prevHash);
  });

  it('pages back with before, and filters by subject, type and actor', async () => {
    const first = await auditor.get('/api/audit?limit=10');
    const next = await auditor.get(`/api/audit?limit=10&before=${first.body.at(-1).seq}`);
    expect(next.body[0].seq).toBe(first.body.at(-1).seq - 1);
    expect(next.body).toHaveLength(10);
    const clip = await auditor.get('/api/audit?subject=clip:C5');
    expect(clip.body.map((e: { details: { i: number } }) => e.details.i)).toEqual([30, 25, 20, 15, 10, 5]);
    const access = await auditor.get('/api/audit?type=clip-access&actor=u-even&limit=3');
    expect(access.body.map((e: { details: { i: number } }) => e.details.i)).toEqual([30, 24, 18]);
    expect((await auditor.get('/api/audit?type=nonsense')).status).toBe(400);
    expect((await auditor.get('/api/audit?limit=0')).status).toBe(400);
  });
});

describe('POST /api/audit/verify', () => {
  it('reports a sound store and chain, and records that it ran', async () => {
    const r = await auditor.post('/api/audit/verify');
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    expect(r.body.audit.ok).toBe(true);
    expect(r.body.summary.auditEntries).toBeGreaterThanOrEqual(30);
    const last = (await auditor.get('/api/audit?limit=1')).body[0];
    expect(last).toMatchObject({ type: 'verify', actor: auditor.username, details: { ok: true } });
  });

  it('names an entry edited in the log file', async () => {
    const file = gw.app.store.layout.auditFile;
    const lines = (await readFile(file, 'utf8')).split('\n');
    const i = lines.findIndex((l) => l.includes('"i":7,'));
    expect(i).toBeGreaterThanOrEqual(0);
    const seq = JSON.parse(lines[i]!).seq as number;
    lines[i] = lines[i]!.replace('"actor":"u-odd"', '"actor":"someone"');
    await writeFile(file, lines.join('\n'));
    const r = await (await gw.as('legal-affairs')).post('/api/audit/verify');
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(false);
    expect(r.body.audit.modified.map((m: { seq: number }) => m.seq)).toContain(seq);
  });
});
