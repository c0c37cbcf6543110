/**
 * Durations in scenario files: a number of milliseconds, "1h30m", "90s", "250ms", "2.5h", or a clock
 * offset "HH:MM" / "HH:MM:SS" from the scenario start.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export function parseDuration(text: string): number | null {
  const s = text.trim();
  const hms = /^(\d+):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?$/.exec(s);
  if (hms) return Math.round((Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(hms[3] ?? 0)) * 1000);
  const compact = s.replace(/\s+/g, '');
  const parts = [...compact.matchAll(/(\d+(?:\.\d+)?)(ms|min|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== compact) return null;
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0));
}

export const Duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === null || !Number.isInteger(ms) || ms < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `not a duration: ${JSON.stringify(v)} (use ms >= 0, or e.g. "90s", "1h30m", "08:30")`,
    });
    return z.NEVER;
  }
  return ms;
});

export function formatDuration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}
