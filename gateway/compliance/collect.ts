/**
 * Reads one period's facts out of the gateway's stores (sessions, hearings, the clip digest,
 * interruptions, the registry, fault alerts, the maintenance log, the audit log, exports, cases).
 * Clips come from the clip digest (compact rows per session and day), never record by record.
 * The audit log is read incrementally: the entries the R26 checks need are kept from one report to
 * the next and only new entries are read each time.
 */
import type { Activity, Officer } from '../../protocol/common.js';
import type { AlertService } from '../alerts/service.js';
import type { ExportRepo } from '../exports/repo.js';
import type { MaintenanceLog } from '../fleet/maintenance.js';
import type { RecorderRegistry } from '../fleet/registry.js';
import type { HearingService } from '../hearings/service.js';
import type { InterruptionService } from '../interruptions/service.js';
import type { SessionTracker } from '../interruptions/sessions.js';
import type { AuditLog } from '../store/audit-log.js';
import { addParts, type ClipDigest } from './clip-digest.js';
import {
  type AuditFact,
  type CaseStageFact,
  type ComplianceFacts,
  DAY,
  emptyFacts,
  type Requirement,
} from './facts.js';
import { dayKey } from './stats.js';

/** The case registry as the checks see it (wired to the case registry in app.ts). */
export interface CaseStageSource {
  stages(from: number, to: number): Promise<CaseStageFact[]>;
}

export interface FactSource {
  collect(from: number, to: number, now: number): Promise<ComplianceFacts>;
}

export interface GatewayFactDeps {
  sessions: SessionTracker;
  hearings: HearingService;
  digest: ClipDigest;
  interruptions: InterruptionService;
  registry: RecorderRegistry;
  alerts: AlertService;
  maintenance: MaintenanceLog;
  audit: () => AuditLog;
  exports: ExportRepo;
  recordingList: Partial<Record<Activity, 'continuous' | 'as-needed'>>;
  displayName: (username: string) => Promise<string | null>;
  cases?: CaseStageSource;
}

const AUDIT_TYPES = new Set([
  'integrity-failure',
  'quarantine',
  'export-approval',
  'export-download',
  'export-handover',
]);
const FAULT_RULE = 'recorder-fault';
/** Sessions can run over the period's edges: look this far before it for their clips and records. */
const LOOKBACK_MS = 2 * DAY;

export class GatewayFactSource implements FactSource {
  readonly #d: GatewayFactDeps;
  readonly #audit: AuditFact[] = [];
  #auditSeen = 0;

  constructor(deps: GatewayFactDeps) {
    this.#d = deps;
  }

  async collect(from: number, to: number, now: number): Promise<ComplianceFacts> {
    const f = emptyFacts(from, to, now);
    const d = this.#d;
    const lo = from - LOOKBACK_MS;
    const requirement = (a: Activity | null): Requirement =>
      a ? (d.recordingList[a] ?? 'unlisted') : 'unknown';
    const devices = await d.registry.list();
    const unitOf = new Map(devices.map((r) => [r.serial, r.unit ?? null]));
    for (const r of devices) {
      f.devices.push({
        serial: r.serial,
        unit: r.unit ?? null,
        custodian: r.custodian ?? null,
        registeredAt: Date.parse(r.registeredAt),
      });
    }
    // By start day (a session is one shift: a day before the lookback reaches any still running).
    for (const s of await d.sessions.startedIn(lo - DAY, to)) {
      const start = s.startedAt ?? s.firstSegmentStart;
      if (start === null || start >= to || (s.endedAt ?? now) < lo) continue;
      f.sessions.push({
        id: s.sessionId,
        kind: 'recorder',
        device: s.serial,
        officer: s.officer,
        unit: unitOf.get(s.serial) ?? null,
        activity: s.activity,
        caseNo: s.caseNo,
        requirement: requirement(s.activity),
        start,
        end: s.endedAt,
        noticeGiven: s.noticeGiven,
        statements: s.statements,
      });
    }
    const staff = new Map<string, Officer>();
    // Newest first and at most 500 (the hearing list's bound): a month's hearings of one office.
    for (const h of await d.hearings.list({ limit: 500 })) {
      if (h.startedAt >= to || (h.stoppedAt ?? now) < lo) continue;
      let who = staff.get(h.startedBy);
      if (!who) {
        who = { id: h.startedBy, name: (await d.displayName(h.startedBy)) ?? h.startedBy, certNo: '-' };
        staff.set(h.startedBy, who);
      }
      f.sessions.push({
        id: h.id,
        kind: 'hearing',
        device: h.roomId,
        officer: who,
        unit: null,
        activity: h.activity,
        caseNo: h.caseNo,
        requirement: requirement(h.activity),
        start: h.startedAt,
        end: h.stoppedAt,
        noticeGiven: null,
        statements: null,
      });
    }
    await this.#clips(f, lo);
    for (const i of await d.interruptions.list({ limit: Number.MAX_SAFE_INTEGER })) {
      if (i.start >= to || (i.end ?? now) < lo) continue;
      const first = i.history[0]?.at ?? i.explanation?.at;
      f.interruptions.push({
        id: i.id,
        sessionId: i.sessionId,
        source: i.source,
        device: i.device,
        officer: i.officer,
        cause: i.cause,
        start: i.start,
        end: i.end,
        resumed: i.resumed,
        resumeStatement: i.resumeStatement,
        status: i.status,
        explainedAt: first ? Date.parse(first) : null,
      });
    }
    for (const a of await d.alerts.list({ rule: FAULT_RULE, limit: Number.MAX_SAFE_INTEGER })) {
      const det = a.details ?? {};
      const at = typeof det.at === 'number' ? det.at : Date.parse(a.at);
      const clearedAt = a.clearedAt ? Date.parse(a.clearedAt) : null;
      if (at >= to || (clearedAt ?? now) < lo - 365 * DAY) continue;
      f.faults.push({
        device: typeof det.serial === 'string' ? det.serial : a.subject.split('/')[0]!,
        code: typeof det.code === 'string' ? det.code : '',
        alertId: a.id,
        at,
        clearedAt,
        ackAt: a.ack ? Date.parse(a.ack.at) : null,
        ackBy: a.ack?.by ?? null,
      });
    }
    for (const r of devices) {
      for (const m of await d.maintenance.list(r.serial, 10_000)) {
        if (m.at < to) f.maintenance.push({ device: r.serial, at: m.at, kind: m.kind, by: m.by });
      }
    }
    await this.#readAudit();
    f.audit = this.#audit.filter((a) => a.at < to);
    for await (const e of d.exports.newestFirst()) {
      f.exports.push({
        id: e.id,
        state: e.state,
        caseNo: e.caseNo,
        requestedBy: e.requestedBy.username,
        decidedBy: e.decidedBy?.username ?? null,
        approved: e.decidedBy !== undefined && e.state !== 'refused' && e.state !== 'requested',
        clipIds: e.clipIds,
      });
    }
    if (d.cases) f.caseStages = await d.cases.stages(from, to);
    return f;
  }

  /** The clips that started in [lo, to), from the digest's parts of those office days. */
  async #clips(f: ComplianceFacts, lo: number): Promise<void> {
    await this.#d.digest.refresh();
    for await (const p of this.#d.digest.parts(dayKey(lo), dayKey(f.to - 1))) addParts(f, p, lo);
  }

  /** New audit entries since the last report; only those the R26 checks read are kept. */
  async #readAudit(): Promise<void> {
    const log = this.#d.audit();
    const head = log.head.seq;
    if (head <= this.#auditSeen) return;
    for await (const e of log.range(this.#auditSeen + 1, head)) {
      const keep =
        AUDIT_TYPES.has(e.type) ||
        (e.type === 'clip-access' && (e.details.action === 'export' || e.details.action === 'retrieve'));
      if (keep) {
        this.#audit.push({
          seq: e.seq,
          at: Date.parse(e.at),
          type: e.type,
          actor: e.actor,
          subject: e.subject,
          details: e.details as Record<string, unknown>,
        });
      }
    }
    this.#auditSeen = head;
  }
}
