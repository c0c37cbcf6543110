/**
 * An alert's message in the reader's language, from its rule and details (the gateway's own
 * `message` is English, for logs); falls back to that message for rules it does not know.
 */
import type { Alert } from '../api/types.js';
import type { Translate } from '../i18n/index.js';
import { fmtDuration } from '../time.js';

type Te = (prefix: string, value: string | null | undefined) => string;

interface FleetDetails {
  telemetry?: { battery?: { pct?: number } } | null;
  forecast?: { batteryS?: number | null; storageS?: number | null; shiftLeftS?: number | null };
}

interface InterruptionDetails {
  device?: string;
  cause?: string;
}

/** The disk alarms' numbers (store/disk-watch.ts: workReserveBytes; dock/disk-guard.ts: reserveBytes). */
interface DiskDetails {
  freeBytes?: number;
  workReserveBytes?: number;
  reserveBytes?: number;
}

const ms = (s: number | null | undefined) => (s === null || s === undefined ? null : s * 1000);

export function alertText(a: Alert, t: Translate, te: Te): string {
  const d = (a.details ?? {}) as FleetDetails & InterruptionDetails & DiskDetails;
  switch (a.rule) {
    case 'battery-low':
    case 'battery-critical': {
      const pct = d.telemetry?.battery?.pct;
      return pct === undefined ? a.message : t('alertText.battery', { pct: Math.round(pct) });
    }
    case 'battery-forecast':
    case 'storage-forecast': {
      const left = a.rule === 'battery-forecast' ? d.forecast?.batteryS : d.forecast?.storageS;
      return t('alertText.forecast', {
        left: fmtDuration(ms(left), t),
        shift: fmtDuration(ms(d.forecast?.shiftLeftS), t),
      });
    }
    case 'interruption-unresumed':
    case 'interruption-cannot-continue':
      return d.device
        ? t('alertText.interruption', { device: d.device, cause: te('cause', d.cause) })
        : a.message;
    case 'integrity-failure':
    case 'audit-log-integrity':
    case 'export-integrity':
      // R25: bytes or log entries no longer match what was recorded; the details stay in English.
      return t('alertText.integrity', { subject: a.subject });
    case 'disk-reserve': {
      const reserve = d.workReserveBytes ?? d.reserveBytes;
      if (d.freeBytes === undefined || reserve === undefined) return a.message;
      const mb = (n: number) => String(Math.floor(n / 1e6));
      return t('alertText.disk', { free: mb(d.freeBytes), reserve: mb(reserve) });
    }
    default:
      return a.message;
  }
}
