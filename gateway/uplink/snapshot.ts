/**
 * The office's health snapshot for the province (PROTOCOL.md §7.2): each recorder's presence,
 * battery, storage and rule conditions (R21), open and unexplained interruptions (R19), the upload
 * backlog (R22 overdue clips, the archive queue) and this month's R26 breach counts when computed.
 */
import type { RecorderHealth } from '../fleet/health.js';
import type { HealthBody, RecorderRow } from './messages.js';

export interface SnapshotPorts {
  recorders: () => RecorderHealth[];
  /** Interruptions not closed: `open` = still without an accepted explanation. */
  interruptions: () => Promise<{ status: string; end: number | string | null }[]>;
  overdueClips: () => Promise<number>;
  archive: () => Promise<{ depth: number; oldestAgeMs: number }>;
  /** This month's breach counts by kind, when the summary has been computed. */
  breaches: () => Promise<{ month: string; counts: Record<string, number> } | null>;
}

const MAX_ROWS = 2000;

export function recorderRow(h: RecorderHealth): RecorderRow {
  const t = h.telemetry;
  const s = t?.storage;
  return {
    serial: h.serial,
    online: h.online,
    batteryPct: t ? t.battery.pct : null,
    storageFreePct: s && s.totalBytes > 0 ? Math.round((s.freeBytes / s.totalBytes) * 1000) / 10 : null,
    conditions: h.conditions.slice(0, 16),
  };
}

export async function officeSnapshot(p: SnapshotPorts): Promise<HealthBody> {
  const [interruptions, overdueClips, archive, breaches] = await Promise.all([
    p.interruptions(),
    p.overdueClips(),
    p.archive(),
    p.breaches().catch(() => null),
  ]);
  return {
    recorders: p.recorders().slice(0, MAX_ROWS).map(recorderRow),
    interruptions: {
      open: interruptions.filter((i) => i.end === null).length,
      unexplained: interruptions.filter((i) => i.status === 'open').length,
    },
    backlog: {
      overdueClips,
      archiveDepth: archive.depth,
      archiveOldestAgeS: Math.round(archive.oldestAgeMs / 1000),
    },
    compliance: breaches ? { month: breaches.month, breaches: breaches.counts } : null,
  };
}
