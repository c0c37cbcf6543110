/**
 * What `gateway reindex` and `gateway repair` rebuild from the audit log besides the clip rows
 * (docs/STATE.md): accounts from `user-admin` entries, recorder registrations from
 * `recorder-admin` entries, interruptions, pairings, and the records of replay-records.ts, replayed
 * in order. Only rows the index lacks are put back (a row it
 * has is at least as new). A rebuilt account has no password — the log never holds one, not even
 * hashed, since people's passwords can be guessed offline from a hash — and signs in only after an
 * administrator resets it. A rebuilt recorder keeps the credential it holds when the log carries
 * the credential's hash (a 256-bit random token's hash gives nothing away); a registration logged
 * before the hash was is marked for a new credential.
 */
import type { AlertService } from '../alerts/service.js';
import type { CameraRegistry } from '../cameras/registry.js';
import type { CaseService } from '../cases/service.js';
import type { ExportService } from '../exports/service.js';
import type { RecorderRecord, RecorderRegistry } from '../fleet/registry.js';
import type { HearingService } from '../hearings/service.js';
import { InterruptionRecord } from '../interruptions/record.js';
import type { InterruptionService } from '../interruptions/service.js';
import type { SessionRecord, SessionTracker } from '../interruptions/sessions.js';
import { Assignment, NOT_YET_BACK } from '../pairing/assignment.js';
import type { PairingService } from '../pairing/service.js';
import { auditEntriesFromFile } from '../store/audit-entries.js';
import type { AuditEntry } from '../store/schema.js';
import type { UserRecord, UserStore } from '../users.js';
import {
  replayAlerts,
  replayCameras,
  replayCases,
  replayExports,
  replayHearings,
  sessionOf,
} from './replay-records.js';

export interface StateRebuild {
  users: { restored: string[]; passwordLost: string[] };
  recorders: { restored: string[]; needRotation: string[] };
  interruptions: { restored: string[] };
  pairings: { restored: string[] };
  cases: { restored: string[]; links: string[] };
  hearings: { restored: string[]; segments: number };
  exports: { restored: string[] };
  cameras: { restored: string[]; passwordLost: string[] };
  /** Counts: a large fleet's sessions are too many to list. `updated`: the index held an older state. */
  sessions: { restored: number; updated: number };
  alerts: { restored: string[] };
}

/** The services a rebuild puts rows back into (each only where the index lacks them). */
export interface RebuildTargets {
  users: Pick<UserStore, 'restore'>;
  registry: Pick<RecorderRegistry, 'restore'>;
  interruptions: Pick<InterruptionService, 'restore'>;
  pairings: Pick<PairingService, 'restore'>;
  cases: Pick<CaseService, 'restore'>;
  hearings: Pick<HearingService, 'restore'>;
  exports: Pick<ExportService, 'restore'>;
  cameras: Pick<CameraRegistry, 'restore'>;
  sessions: Pick<SessionTracker, 'restore'>;
  alerts: Pick<AlertService, 'restore'>;
}

type Details = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const subjectId = (e: AuditEntry, kind: string): string | undefined =>
  e.subject.startsWith(`${kind}:`) ? e.subject.slice(kind.length + 1) : undefined;

/** Accounts as the log last describes them (without passwords). */
export function replayUsers(entries: Iterable<AuditEntry>): Map<string, UserRecord> {
  const users = new Map<string, UserRecord>();
  for (const e of entries) {
    const name = subjectId(e, 'user');
    if (!name) continue;
    const d = e.details as Details;
    const prev = users.get(name);
    switch (d.action) {
      case 'add':
        users.set(name, {
          username: name,
          displayName: str(d.displayName) ?? name,
          roles: (Array.isArray(d.roles) ? d.roles : []) as UserRecord['roles'],
          passwordHash: '',
          createdAt: e.at,
          passwordLost: true,
        });
        break;
      case 'roles':
        if (prev && Array.isArray(d.roles)) prev.roles = d.roles as UserRecord['roles'];
        break;
      case 'disable':
      case 'enable':
        if (prev) prev.disabled = d.action === 'disable';
        break;
    }
  }
  return users;
}

/** Registrations as the log last describes them. */
export function replayRecorders(entries: Iterable<AuditEntry>): Map<string, RecorderRecord> {
  const recorders = new Map<string, RecorderRecord>();
  for (const e of entries) {
    const serial = subjectId(e, 'recorder');
    if (!serial) continue;
    const d = e.details as Details;
    const prev = recorders.get(serial);
    const info = {
      ...(str(d.model) ? { model: str(d.model) } : {}),
      ...(str(d.unit) ? { unit: str(d.unit) } : {}),
      ...(str(d.custodian) ? { custodian: str(d.custodian) } : {}),
    };
    const hash = str(d.credentialHash);
    const credential = {
      credentialHash: hash ?? '',
      credentialIssuedAt: str(d.issuedAt) ?? e.at,
      ...(hash ? {} : { credentialNeedsRotation: true }),
    };
    if (d.action === 'register') {
      recorders.set(serial, { serial, ...info, ...credential, registeredAt: e.at, registeredBy: e.actor });
    } else if (prev && d.action === 'rotate-credential') {
      const { credentialNeedsRotation: _, ...rest } = prev;
      recorders.set(serial, { ...rest, ...credential });
    } else if (prev && d.action === 'update') {
      recorders.set(serial, { ...prev, ...info });
    }
  }
  return recorders;
}

/** Interruption records (R19) as their last `interruption` entry holds them. */
export function replayInterruptions(entries: Iterable<AuditEntry>): Map<string, InterruptionRecord> {
  const records = new Map<string, InterruptionRecord>();
  for (const e of entries) {
    const r = InterruptionRecord.safeParse((e.details as Details).record);
    if (r.success && e.subject === `interruption:${r.data.id}`) records.set(r.data.id, r.data);
  }
  return records;
}

/**
 * Check-outs (R5, R21) from `pairing` entries, closed by `check-in` or `recorder-lost` entries of the
 * same assignment. Entries logged before the pairing entry carried the whole assignment lack the
 * recorder's storage size and charging state: those come back as 0 and false.
 */
export function replayPairings(entries: Iterable<AuditEntry>): Map<string, Assignment> {
  const out = new Map<string, Assignment>();
  for (const e of entries) {
    const d = e.details as Details;
    const id = str(d.assignmentId);
    const serial = subjectId(e, 'recorder');
    if (!id || !serial) continue;
    const at = Date.parse(e.at);
    if (e.type === 'pairing') {
      const r = (d.readiness ?? {}) as Details;
      const pairedAt = typeof d.pairedAt === 'number' ? d.pairedAt : at;
      const a = Assignment.safeParse({
        id,
        serial,
        officer: d.officer,
        pairedAt,
        pairedBy: e.actor,
        slot: d.slot,
        readiness: {
          charging: false,
          totalBytes: 0,
          bytesPerHour: 0,
          ...r,
          shiftHours: d.shiftHours,
        },
        override: str(d.override) ? { reason: d.override } : null,
        batteryOut: d.batteryOut ?? { pct: r.batteryPct, at: pairedAt },
        ...NOT_YET_BACK,
      });
      if (a.success) out.set(id, a.data);
      continue;
    }
    const a = out.get(id);
    if (!a) continue;
    if (e.type === 'check-in') {
      const closed = Assignment.safeParse({
        ...a,
        checkedInAt: at,
        checkedInBy: e.actor,
        shiftDrawPctPerH: typeof d.shiftDrawPctPerH === 'number' ? d.shiftDrawPctPerH : null,
        checkIn: { trigger: d.trigger, slot: d.slot, clips: d.clips },
      });
      if (closed.success) out.set(id, closed.data);
    } else if (e.type === 'recorder-lost') {
      out.set(id, {
        ...a,
        checkedInAt: at,
        checkedInBy: e.actor,
        lost: { at, by: e.actor, reason: String(d.reason ?? '') },
      });
    }
  }
  return out;
}

const SESSION_BATCH = 500;

const EXPORT_TYPES = new Set([
  'export-request',
  'export-approval',
  'export-refused',
  'export-ready',
  'export-failed',
]);

export async function rebuildFromAudit(auditFile: string, into: RebuildTargets): Promise<StateRebuild> {
  const entries: AuditEntry[] = [];
  const types = new Set([
    'user-admin',
    'recorder-admin',
    'interruption',
    'pairing',
    'check-in',
    'recorder-lost',
    'case-admin',
    'hearing-start',
    'hearing-stop',
    'ingest',
    'camera-admin',
    'recorder-session',
    'alert',
    ...EXPORT_TYPES,
  ] as const);
  const out: StateRebuild = {
    users: { restored: [], passwordLost: [] },
    recorders: { restored: [], needRotation: [] },
    interruptions: { restored: [] },
    pairings: { restored: [] },
    cases: { restored: [], links: [] },
    hearings: { restored: [], segments: 0 },
    exports: { restored: [] },
    cameras: { restored: [], passwordLost: [] },
    sessions: { restored: 0, updated: 0 },
    alerts: { restored: [] },
  };
  // Recorder sessions go back as they are read, in batches; the rest is replayed after the read.
  let sessions: SessionRecord[] = [];
  const restoreSessions = async () => {
    if (sessions.length === 0) return;
    const n = await into.sessions.restore(sessions);
    out.sessions.restored += n.restored;
    out.sessions.updated += n.updated;
    sessions = [];
  };
  for await (const e of auditEntriesFromFile(auditFile, types as Set<AuditEntry['type']>)) {
    if (e.type === 'recorder-session') {
      const s = sessionOf(e);
      if (s) sessions.push(s);
      if (sessions.length >= SESSION_BATCH) await restoreSessions();
      continue;
    }
    // Of the ingest entries, only hearing segments' (the clip rows come back from the sidecars).
    if (e.type !== 'ingest' || (e.details as Details).source?.toString().startsWith('camera:'))
      entries.push(e);
  }
  await restoreSessions();
  const of = (...t: AuditEntry['type'][]) => entries.filter((e) => t.includes(e.type));
  const pairingTypes = new Set(['pairing', 'check-in', 'recorder-lost']);
  for (const a of replayPairings(entries.filter((e) => pairingTypes.has(e.type))).values()) {
    if (await into.pairings.restore(a)) out.pairings.restored.push(a.id);
  }
  for (const rec of replayInterruptions(entries.filter((e) => e.type === 'interruption')).values()) {
    if (await into.interruptions.restore(rec)) out.interruptions.restored.push(rec.id);
  }
  for (const rec of replayUsers(entries.filter((e) => e.type === 'user-admin')).values()) {
    if (!(await into.users.restore(rec))) continue;
    out.users.restored.push(rec.username);
    out.users.passwordLost.push(rec.username);
  }
  for (const rec of replayRecorders(entries.filter((e) => e.type === 'recorder-admin')).values()) {
    if (!(await into.registry.restore(rec))) continue;
    out.recorders.restored.push(rec.serial);
    if (rec.credentialNeedsRotation) out.recorders.needRotation.push(rec.serial);
  }
  for (const c of replayCameras(of('camera-admin')).values()) {
    if (!(await into.cameras.restore(c))) continue;
    out.cameras.restored.push(c.id);
    out.cameras.passwordLost.push(c.id);
  }
  for (const { session, segments } of replayHearings(
    of('hearing-start', 'hearing-stop', 'ingest'),
  ).values()) {
    const r = await into.hearings.restore(session, segments);
    if (r.session) out.hearings.restored.push(session.id);
    out.hearings.segments += r.segments;
  }
  const cases = replayCases(of('case-admin'));
  const restoredCases = await into.cases.restore([...cases.cases.values()], [...cases.links.values()]);
  out.cases = { restored: restoredCases.cases, links: restoredCases.links };
  for (const r of replayExports(entries.filter((e) => EXPORT_TYPES.has(e.type))).values()) {
    if (await into.exports.restore(r)) out.exports.restored.push(r.id);
  }
  for (const a of replayAlerts(of('alert')).values()) {
    if (await into.alerts.restore(a)) out.alerts.restored.push(a.id);
  }
  return out;
}
