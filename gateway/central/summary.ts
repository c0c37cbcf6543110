/** One row per office for the province's overview (R7, R19, R21, R22, R25), pure. */
import type { OfficeView } from './ledger.js';

export interface OfficeSummary {
  office: string;
  online: boolean | null;
  lastMessageAt: string | null;
  healthAt: string | null;
  recorders: { total: number; online: number; anomalies: number };
  interruptions: { open: number; unexplained: number };
  backlog: { overdueClips: number; archiveDepth: number; archiveOldestAgeS: number } | null;
  breaches: number | null;
  alerts: { active: number; critical: number };
  custody: { status: string; treeSize: number | null; checkedAt: string } | null;
  upstream: { lastSeq: number; duplicates: number; missing: number } | null;
}

export function summarize(v: OfficeView): OfficeSummary {
  const rows = v.health?.recorders ?? [];
  const breaches = v.health?.compliance
    ? Object.values(v.health.compliance.breaches).reduce((a, b) => a + b, 0)
    : null;
  return {
    office: v.office,
    online: v.online,
    lastMessageAt: v.lastMessageAt,
    healthAt: v.healthAt,
    recorders: {
      total: rows.length,
      online: rows.filter((r) => r.online).length,
      anomalies: rows.filter((r) => r.conditions.length > 0).length,
    },
    interruptions: v.health?.interruptions ?? { open: 0, unexplained: 0 },
    backlog: v.health?.backlog ?? null,
    breaches,
    alerts: {
      active: v.alerts.length,
      critical: v.alerts.filter((a) => a.severity === 'critical').length,
    },
    custody: v.custody
      ? { status: v.custody.status, treeSize: v.custody.treeSize, checkedAt: v.custody.checkedAt }
      : null,
    upstream: v.sequence
      ? { lastSeq: v.sequence.lastSeq, duplicates: v.sequence.duplicates, missing: v.sequence.missing }
      : null,
  };
}
