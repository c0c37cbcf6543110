/**
 * An alert's message in the reader's language, from its rule and details (the gateway's own
 * `message` is mostly English, for logs), times in Asia/Shanghai. Without its own text an alert reads
 * as the gateway's message where that is in the reader's language, else as its rule and subject.
 */
import type { Alert } from '../api/types.js';
import type { Translate } from '../i18n/index.js';
import { fmtBytes, fmtDuration, fmtTime } from '../time.js';

type Te = (prefix: string, value: string | null | undefined) => string;

interface Details {
  serial?: string;
  clipId?: string;
  code?: string;
  reason?: string;
  device?: string;
  cause?: string;
  deadline?: number | string;
  depth?: number;
  oldestAgeMs?: number;
  /** The disk alarms' numbers (store/disk-watch.ts: workReserveBytes; dock/disk-guard.ts: reserveBytes). */
  freeBytes?: number;
  workReserveBytes?: number;
  reserveBytes?: number;
  officer?: { name?: string; certNo?: string } | null;
  source?: { kind?: string; id?: string };
  telemetry?: { battery?: { pct?: number }; storage?: { freeBytes?: number; totalBytes?: number } } | null;
  forecast?: { batteryS?: number | null; storageS?: number | null; shiftLeftS?: number | null };
}

const CLIP_TEXT = {
  'clip-quarantined': 'alertText.clipQuarantined',
  'release-refused': 'alertText.releaseRefused',
  'clip-lost-on-recorder': 'alertText.clipLost',
} as const;

const ms = (s: number | null | undefined) => (s === null || s === undefined ? null : s * 1000);
/** `recorder:DK0001`, `clip:…` subjects name their object after the colon. */
const bare = (subject: string) => subject.replace(/^[a-z-]+:/, '');

export function alertText(a: Alert, t: Translate, te: Te): string {
  const d = (a.details ?? {}) as Details;
  const serial = d.serial ?? d.source?.id ?? bare(a.subject);
  switch (a.rule) {
    case 'battery-low':
    case 'battery-critical': {
      const pct = d.telemetry?.battery?.pct;
      return pct === undefined ? generic(a, t, te) : t('alertText.battery', { pct: Math.round(pct) });
    }
    case 'battery-forecast':
    case 'storage-forecast': {
      const left = a.rule === 'battery-forecast' ? d.forecast?.batteryS : d.forecast?.storageS;
      return t('alertText.forecast', {
        left: fmtDuration(ms(left), t),
        shift: fmtDuration(ms(d.forecast?.shiftLeftS), t),
      });
    }
    case 'storage-low': {
      const s = d.telemetry?.storage;
      return s?.freeBytes === undefined
        ? generic(a, t, te)
        : t('alertText.storageLow', { serial, free: fmtBytes(s.freeBytes) });
    }
    case 'recorder-offline':
    case 'clock-drift':
    case 'firmware-outdated':
      return t('alertText.recorderRule', { serial, rule: te('rule', a.rule) });
    case 'recorder-fault':
      return t('alertText.fault', { serial, code: d.code ?? '—' });
    case 'recorder-lost':
      return t('alertText.lost', { serial, reason: d.reason ?? '—' });
    case 'interruption-unresumed':
    case 'interruption-cannot-continue':
      return d.device
        ? t('alertText.interruption', { device: d.device, cause: te('cause', d.cause) })
        : generic(a, t, te);
    case 'clip-overdue':
      return t('alertText.clipOverdue', {
        serial,
        officer: d.officer?.name ?? t('common.unknown'),
        deadline: fmtTime(d.deadline ?? null, 'MM-DD HH:mm'),
      });
    case 'clip-quarantined':
    case 'release-refused':
    case 'clip-lost-on-recorder':
      return t(CLIP_TEXT[a.rule], { serial, clip: shortId(d.clipId ?? bare(a.subject)) });
    case 'archive-backlog':
      return t('alertText.archiveBacklog', {
        n: d.depth ?? 0,
        age: fmtDuration(d.oldestAgeMs ?? null, t),
      });
    case 'integrity-failure':
    case 'audit-log-integrity':
    case 'export-integrity':
    case 'archive-mismatch':
      // R25: bytes or log entries no longer match what was recorded; the details stay in English.
      return t('alertText.integrity', { subject: a.subject });
    case 'disk-reserve': {
      const reserve = d.workReserveBytes ?? d.reserveBytes;
      if (d.freeBytes === undefined || reserve === undefined) return generic(a, t, te);
      const mb = (n: number) => String(Math.floor(n / 1e6));
      return t('alertText.disk', { free: mb(d.freeBytes), reserve: mb(reserve) });
    }
    default:
      return generic(a, t, te);
  }
}

/** A rule without its own text: the gateway's message when it is in the reader's language. */
function generic(a: Alert, t: Translate, te: Te): string {
  const params = { rule: te('rule', a.rule), subject: a.subject, message: a.message };
  return /[\u4e00-\u9fff]/.test(a.message) ? t('alertText.native', params) : t('alertText.generic', params);
}

/** Clip ids are long hashes; the first 12 characters name one in a sentence. */
function shortId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 12)}…` : id;
}
