/**
 * The R26 report end to end: a month of office history seeded into the real stores (the demo's
 * seeder, with a few breaches of each kind, or none), the real gateway collecting it, the report
 * over HTTP as JSON, PDF (page 1 rendered with pdftoppm into test/artifacts) and XLSX, and the
 * monthly archive whose files' SHA-256 are in the audit log.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BREACH_KINDS } from '../../gateway/compliance/breaches.js';
import { seedHistory } from '../../gateway/compliance/seed.js';
import { parseConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const END = Date.UTC(2026, 10, 28, 4); // 2026-11-28 12:00 Beijing time
const MONTHS = ['2026-10', '2026-11'];
const ARTIFACTS = resolve('test/artifacts');

async function seeded(breaches: boolean): Promise<TestGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gw-compliance-'));
  await seedHistory(parseConfig({ dataDir }), {
    seed: 11,
    days: 30,
    officers: 6,
    end: END,
    breaches,
    log: createLogger({ level: 'silent' }),
  });
  return startGateway({ dataDir });
}

// biome-ignore lint/suspicious/noExplicitAny: report JSON in assertions
type Json = any;

describe('compliance report over a seeded month', () => {
  let gw: TestGateway;
  let clean: TestGateway;
  beforeAll(async () => {
    gw = await seeded(true);
    clean = await seeded(false);
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await clean?.stop();
  });

  it('finds each of the five breaches, naming who answers with the evidence', async () => {
    const legal = await gw.as('legal-affairs');
    const breaches: Json[] = [];
    for (const month of MONTHS) {
      const r = await legal.get(`/api/compliance/report?month=${month}`);
      expect(r.status).toBe(200);
      breaches.push(...r.body.breaches);
    }
    for (const kind of BREACH_KINDS)
      expect(breaches.filter((b) => b.kind === kind).length, kind).toBeGreaterThan(0);
    const rules = new Set(breaches.map((b) => b.rule));
    for (const rule of [
      'session-no-recording',
      'session-gap-unrecorded',
      'case-stage-unrecorded',
      'loss-fault-ignored',
      'upload-late',
      'upload-overdue',
      'interruption-unexplained',
      'integrity-failure',
      'quarantined-at-ingest',
      'export-unapproved',
      'access-unapproved',
    ]) {
      expect(rules, rule).toContain(rule);
    }
    for (const b of breaches) {
      expect(b.responsible.length).toBeGreaterThan(0);
      expect(b.responsible.every((p: Json) => p.name || p.id)).toBe(true);
    }
    // A clip named as evidence links to its ingest entry in the audit log.
    const late = breaches.find((b) => b.rule === 'upload-late');
    expect(late.evidence.auditSeqs.length).toBeGreaterThan(0);
    const entry = await gw.app.store.audit.get(late.evidence.auditSeqs[0]);
    expect(entry?.type).toBe('ingest');
    expect(entry?.subject).toBe(`clip:${late.evidence.clipIds[0]}`);
    const fault = breaches.find((b) => b.rule === 'loss-fault-ignored');
    expect(fault.responsible[0]).toMatchObject({ kind: 'custodian', id: 'equipmentmanager' });
  });

  it("shows the month's hearings on their cases' timelines, people by display name", async () => {
    // The demo's hearing-staff account (demo.ts), who started the seeded hearings.
    await gw.app.users.add({
      username: 'hearingstaff',
      displayName: '赵听证',
      roles: ['hearing-staff'],
      password: 'hearingstaff-password-1',
    });
    const legal = await gw.as('legal-affairs');
    const hearings: Json[] = [];
    let names: Record<string, string> = {};
    let officers: string[] = [];
    for (const c of (await legal.get('/api/cases')).body as Json[]) {
      const tl = await legal.get(`/api/cases/${encodeURIComponent(c.caseNo)}/timeline`);
      const found = tl.body.items.filter((i: Json) => i.kind === 'hearing');
      if (found.length === 0) continue;
      hearings.push(...found.map((h: Json) => ({ ...h, items: tl.body.items })));
      names = tl.body.names;
      officers = c.officers;
    }
    expect(hearings.length).toBeGreaterThanOrEqual(2);
    for (const h of hearings) {
      expect(h.startedBy).toBe('hearingstaff');
      expect(h.link.via).toBe('link');
      expect(h.segments).toBeGreaterThan(3);
      // The hearing page's summary counts every stored segment.
      const rec = await gw.app.hearings.get(h.hearingId);
      expect(rec.state).toBe('stopped');
      expect(rec.summary?.segments).toBe(h.segments);
      expect(rec.summary?.coverage).toBeCloseTo(h.coverage.ratio, 2);
    }
    // One lost its camera stream for minutes: the gap shows, with the staff member's explanation.
    const lossy = hearings.find((h) => h.coverage.ratio < 0.99);
    expect(lossy.coverage.ratio).toBeGreaterThan(0.85);
    expect(hearings.filter((h) => h !== lossy).every((h) => h.coverage.ratio > 0.99)).toBe(true);
    const int = lossy.items.find((i: Json) => i.kind === 'interruption' && i.sessionId === lossy.hearingId);
    expect(int).toMatchObject({ cause: 'stream-lost', explanation: { author: 'hearingstaff' } });
    // Accounts and officer ids come with the names the page shows instead.
    expect(names.hearingstaff).toBe('赵听证');
    expect(officers.length).toBeGreaterThan(0);
    for (const o of officers) expect(names[o], o).toMatch(/^\p{Script=Han}+$/u);
  });

  it('reports nothing for the same office without breaches', async () => {
    const legal = await clean.as('principal');
    for (const month of MONTHS) {
      const r = await legal.get(`/api/compliance/report?month=${month}`);
      expect(r.body.breaches).toEqual([]);
      expect(r.body.stats.totals.sessions).toBeGreaterThan(0);
    }
  });

  it('serves the summary, the PDF (page 1 looked at) and the XLSX', async () => {
    const principal = await gw.as('principal');
    const s = await principal.get('/api/compliance/summary?month=2026-11');
    expect(s.status).toBe(200);
    expect(s.body.stats.byOfficer.length).toBeGreaterThan(0);
    expect(s.body.counts['not-recorded']).toBeGreaterThan(0);
    const pdf = await fetch(`${gw.url}/api/compliance/report.pdf?month=2026-11`, {
      headers: { authorization: `Bearer ${principal.token}` },
    });
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(join(ARTIFACTS, 'compliance-report.pdf'), bytes);
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '70',
      '-f',
      '1',
      '-l',
      '1',
      join(ARTIFACTS, 'compliance-report.pdf'),
      join(ARTIFACTS, 'compliance-report'),
    ]);
    const text = execFileSync('pdftotext', [
      '-l',
      '1',
      join(ARTIFACTS, 'compliance-report.pdf'),
      '-',
    ]).toString();
    expect(text).toContain('执法全过程记录合规报告');
    expect(text).toContain('未按规定记录');
    const xlsx = await fetch(`${gw.url}/api/compliance/report.xlsx?month=2026-11`, {
      headers: { authorization: `Bearer ${principal.token}` },
    });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      '概况',
      '问题清单',
      '按人员',
      '按部门',
      '按事项类型',
      '按日',
      '中止原因',
    ]);
    expect(wb.getWorksheet('问题清单')!.rowCount).toBeGreaterThan(5);
  });

  it('archives a month once: files on disk, their SHA-256 in a compliance-report audit entry', async () => {
    const legal = await gw.as('legal-affairs');
    const a = await legal.post('/api/compliance/archive', { month: '2026-10' });
    expect(a.status).toBe(200);
    const again = await legal.post('/api/compliance/archive', { month: '2026-10' });
    expect(again.body.auditSeq).toBe(a.body.auditSeq);
    const entry = await gw.app.store.audit.get(a.body.auditSeq);
    expect(entry?.type).toBe('compliance-report');
    const files = entry?.details.files as { name: string; sha256: string }[];
    for (const f of files) {
      const bytes = await readFile(join(gw.dataDir, 'reports', f.name));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
    }
    const auditor = await gw.as('auditor');
    const pdf = await fetch(`${gw.url}/api/compliance/archive/2026-10/pdf`, {
      headers: { authorization: `Bearer ${auditor.token}` },
    });
    const got = createHash('sha256')
      .update(Buffer.from(await pdf.arrayBuffer()))
      .digest('hex');
    expect(got).toBe(files.find((f) => f.name.endsWith('.pdf'))!.sha256);
  });
});
