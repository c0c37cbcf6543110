/** API times are UTC (ISO strings or epoch ms); everything shown is in Asia/Shanghai. */
import dayjs from 'dayjs';
import timezone from 'dayjs/plugin/timezone.js';
import utc from 'dayjs/plugin/utc.js';
import type { Translate } from './i18n/index.js';

dayjs.extend(utc);
dayjs.extend(timezone);

export const TZ = 'Asia/Shanghai';

export type ApiTime = string | number | null | undefined;

export function toShanghai(v: ApiTime): dayjs.Dayjs | null {
  if (v === null || v === undefined || v === '') return null;
  const d = dayjs.utc(v);
  return d.isValid() ? d.tz(TZ) : null;
}

export function fmtTime(v: ApiTime, pattern = 'YYYY-MM-DD HH:mm:ss'): string {
  return toShanghai(v)?.format(pattern) ?? '—';
}

export function epochMs(v: ApiTime): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(n) ? n : null;
}

/** Start of a Shanghai calendar day, as a UTC ISO string for API queries. */
export function shanghaiDayRange(date: dayjs.Dayjs): { from: string; to: string } {
  const start = dayjs.tz(date.format('YYYY-MM-DD'), TZ);
  return { from: start.utc().toISOString(), to: start.add(1, 'day').utc().toISOString() };
}

/** Forecasts beyond this say only "over N days": a near-zero draw divides into nonsense (R21 shifts are hours). */
export const DURATION_CAP_DAYS = 7;

export function fmtDuration(ms: number | null | undefined, t: Translate): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms > DURATION_CAP_DAYS * 86_400_000) return t('unit.overDays', { n: DURATION_CAP_DAYS });
  const totalMin = Math.max(0, Math.round(ms / 60_000));
  if (totalMin < 60) {
    if (ms < 60_000) return t('unit.s', { n: Math.max(0, Math.round(ms / 1000)) });
    return t('unit.min', { n: totalMin });
  }
  const h = Math.floor(totalMin / 60);
  const m = totalMin % 60;
  return m === 0 ? t('unit.h', { n: h }) : t('unit.hmin', { h, m });
}

/** hh:mm:ss for running clocks. */
export function fmtClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : v >= 100 ? 0 : 1)} ${units[i]}`;
}

export { dayjs };
