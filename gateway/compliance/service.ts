/**
 * ComplianceService: the R26 report and the R7 statistics for a month, served precomputed. The
 * current month's summary is recomputed in the background every `refreshS` (the summary page reads
 * the last result and never waits for a scan); other months are computed on first request and
 * kept. After a month ends its report is archived once: PDF, XLSX and JSON files under
 * `<dataDir>/reports/` and a `compliance-report` audit entry carrying each file's SHA-256.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComplianceConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import type { AuditLog } from '../store/audit-log.js';
import { BREACH_KINDS, type Breach, type BreachKind, detectBreaches } from './breaches.js';
import type { FactSource } from './collect.js';
import { type Completeness, checkAll } from './completeness.js';
import type { ComplianceFacts, ComplianceRules } from './facts.js';
import { monthOf, monthPeriod, type Period, previousMonth } from './period.js';
import { computeStats, type Stats } from './stats.js';

export interface ComplianceReport {
  period: Period;
  generatedAt: string;
  rules: ComplianceRules;
  counts: Record<BreachKind, number>;
  breaches: Breach[];
  /** Sessions checked for completeness and the ones with findings (bounded). */
  completeness: {
    checked: number;
    withFindings: number;
    sessions: (Completeness & { officer: string | null })[];
  };
  stats: Stats;
  /** How long collecting and checking took, ms. */
  tookMs: number;
}

export interface Summary {
  period: Period;
  generatedAt: string;
  counts: Record<BreachKind, number>;
  stats: Stats;
}

export interface ArchivedReport {
  month: string;
  files: { name: string; sha256: string; bytes: number }[];
  auditSeq: number;
  at: string;
}

export interface ComplianceServiceOptions {
  source: FactSource;
  config: ComplianceConfig;
  gapToleranceS: number;
  dir: string;
  audit: () => AuditLog;
  log: Logger;
  displayName: (username: string) => Promise<string | null>;
  render: { pdf: (r: ComplianceReport) => Promise<Buffer>; xlsx: (r: ComplianceReport) => Promise<Buffer> };
  now?: () => number;
}

const MAX_SESSIONS_LISTED = 500;
const FIRST_TICK_MS = 2000;

export class ComplianceService implements Service {
  readonly name = 'compliance';
  readonly #o: ComplianceServiceOptions;
  readonly #now: () => number;
  readonly rules: ComplianceRules;
  readonly #reports = new Map<string, { at: number; report: Promise<ComplianceReport> }>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  /** Every report build and archive under way: stop() waits for them before the stores close. */
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(o: ComplianceServiceOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.rules = {
      gapToleranceS: o.gapToleranceS,
      explainWithinH: o.config.explainWithinH,
      faultIgnoredH: o.config.faultIgnoredH,
      maintenanceEveryDays: o.config.maintenanceEveryDays,
      stagesNeedingRecording: o.config.stagesNeedingRecording,
    };
  }

  async start(): Promise<void> {
    this.#running = true;
    // In the background: start-up never waits for a month's scan.
    this.#timer = setInterval(() => void this.#tick(), this.#o.config.refreshS * 1000);
    this.#timer.unref();
    setTimeout(() => void this.#tick(), FIRST_TICK_MS).unref();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#timer);
    // A build started during the wait (a request in flight) is waited for too.
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inflight.add(p);
    const done = () => this.#inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /** The month's report, from the cache when fresh enough (the current month: `refreshS`). */
  report(month: string, opts: { fresh?: boolean } = {}): Promise<ComplianceReport> {
    const cached = this.#reports.get(month);
    const current = month === monthOf(this.#now());
    const maxAge = current ? this.#o.config.refreshS * 1000 : Number.POSITIVE_INFINITY;
    if (cached && !opts.fresh && this.#now() - cached.at < maxAge) return cached.report;
    const report = this.#track(this.#build(monthPeriod(month)));
    // A stale one keeps being served to the summary until the new one is ready.
    report.then(
      () => this.#reports.set(month, { at: this.#now(), report }),
      (err: unknown) => this.#o.log.error({ err, month }, 'compliance report failed'),
    );
    if (!cached) this.#reports.set(month, { at: this.#now(), report });
    return report;
  }

  /** The summary page's data: the last computed report of the month, never waiting when one exists. */
  async summary(month: string): Promise<Summary> {
    const cached = this.#reports.get(month);
    const r = await (cached ? cached.report : this.report(month));
    if (
      cached &&
      month === monthOf(this.#now()) &&
      this.#now() - cached.at > this.#o.config.refreshS * 1000
    ) {
      void this.report(month).catch(() => {});
    }
    return { period: r.period, generatedAt: r.generatedAt, counts: r.counts, stats: r.stats };
  }

  /** Computes the report over facts given directly (bench, tests). */
  reportFrom(facts: ComplianceFacts, period: Period): ComplianceReport {
    const t0 = performance.now();
    const checks = checkAll(facts, this.rules);
    const breaches = detectBreaches(facts, this.rules, checks);
    const counts = Object.fromEntries(BREACH_KINDS.map((k) => [k, 0])) as Record<BreachKind, number>;
    for (const b of breaches) counts[b.kind]++;
    let checked = 0;
    let withFindings = 0;
    const sessions: ComplianceReport['completeness']['sessions'] = [];
    for (const s of facts.sessions) {
      if (s.end === null || s.end < period.from || s.end >= period.to) continue;
      checked++;
      const c = checks.get(s.id)!;
      if (c.findings.length === 0) continue;
      withFindings++;
      if (sessions.length < MAX_SESSIONS_LISTED) sessions.push({ ...c, officer: s.officer?.name ?? null });
    }
    return {
      period,
      generatedAt: new Date(this.#now()).toISOString(),
      rules: this.rules,
      counts,
      breaches,
      completeness: { checked, withFindings, sessions },
      stats: computeStats(facts, this.rules, checks),
      tookMs: Math.round(performance.now() - t0),
    };
  }

  /** Archives a month's report once: files + a `compliance-report` audit entry with their SHA-256. */
  async archive(
    month: string,
    actor = 'gateway',
    opts: { skipEmpty?: boolean } = {},
  ): Promise<ArchivedReport | null> {
    const existing = (await this.archived()).find((a) => a.month === month);
    if (existing) return existing;
    if (monthPeriod(month).to > this.#now()) {
      throw new GatewayError('CONFLICT', `month ${month} has not ended yet`);
    }
    const r = await this.report(month, { fresh: true });
    // The schedule archives months the gateway has something to say about (not the one before install).
    if (opts.skipEmpty && r.stats.totals.sessions === 0 && r.breaches.length === 0) return null;
    await mkdir(this.#o.dir, { recursive: true });
    const json = Buffer.from(`${JSON.stringify(r, null, 1)}\n`);
    const outputs: [string, Buffer][] = [
      [`compliance-${month}.pdf`, await this.#o.render.pdf(r)],
      [`compliance-${month}.xlsx`, await this.#o.render.xlsx(r)],
      [`compliance-${month}.json`, json],
    ];
    const files = [];
    for (const [name, bytes] of outputs) {
      await writeFile(join(this.#o.dir, name), bytes, { mode: 0o600 });
      files.push({ name, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
    }
    const entry = await this.#o.audit().append({
      type: 'compliance-report',
      actor,
      subject: `report:${month}`,
      details: { month, files, counts: r.counts, generatedAt: r.generatedAt },
    });
    const rec: ArchivedReport = { month, files, auditSeq: entry.seq, at: entry.at };
    await writeFile(join(this.#o.dir, `compliance-${month}.record.json`), `${JSON.stringify(rec)}\n`, {
      mode: 0o600,
    });
    this.#o.log.info({ month, auditSeq: entry.seq }, 'monthly compliance report archived');
    return rec;
  }

  async archived(): Promise<ArchivedReport[]> {
    const names = await readdir(this.#o.dir).catch(() => [] as string[]);
    const out: ArchivedReport[] = [];
    for (const n of names
      .filter((x) => x.endsWith('.record.json'))
      .sort()
      .reverse()) {
      out.push(JSON.parse(await readFile(join(this.#o.dir, n), 'utf8')) as ArchivedReport);
    }
    return out;
  }

  /** An archived file's bytes (name as listed). */
  async archivedFile(month: string, ext: 'pdf' | 'xlsx' | 'json'): Promise<Buffer> {
    const rec = (await this.archived()).find((a) => a.month === month);
    if (!rec) throw new GatewayError('NOT_FOUND', `no archived report for ${month}`);
    return readFile(join(this.#o.dir, `compliance-${month}.${ext}`));
  }

  async #build(period: Period): Promise<ComplianceReport> {
    const t0 = performance.now();
    const facts = await this.#o.source.collect(period.from, period.to, this.#now());
    const r = this.reportFrom(facts, period);
    await this.#names(r.breaches);
    await this.#ingestSeqs(r.breaches);
    r.tookMs = Math.round(performance.now() - t0);
    return r;
  }

  /** Users named only by account get their display names. */
  async #names(breaches: Breach[]): Promise<void> {
    const cache = new Map<string, string | null>();
    for (const b of breaches) {
      for (const p of b.responsible) {
        if (p.name !== null || p.id === null) continue;
        if (!cache.has(p.id)) cache.set(p.id, await this.#o.displayName(p.id).catch(() => null));
        p.name = cache.get(p.id) ?? p.id;
      }
    }
  }

  /** A clip named as evidence links to its `ingest` entry in the audit log (bounded). */
  async #ingestSeqs(breaches: Breach[]): Promise<void> {
    let budget = 2000;
    for (const b of breaches) {
      for (const id of b.evidence.clipIds) {
        if (budget-- <= 0) return;
        const e = (await this.#o.audit().bySubject(`clip:${id}`, { limit: 4 })).find(
          (x) => x.type === 'ingest',
        );
        if (e && !b.evidence.auditSeqs.includes(e.seq)) b.evidence.auditSeqs.push(e.seq);
      }
    }
  }

  #tick(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return this.#track(this.#refresh());
  }

  async #refresh(): Promise<void> {
    const month = monthOf(this.#now());
    try {
      await this.report(month, { fresh: true });
      if (this.#o.config.monthlyReport)
        await this.archive(previousMonth(month), 'gateway', { skipEmpty: true });
    } catch (err) {
      this.#o.log.error({ err }, 'compliance refresh failed');
    }
  }
}
