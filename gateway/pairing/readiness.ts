/**
 * Readiness forecast at check-out (#4 "Pairing at shift start", R19 "forecast, warn before they run
 * out"): will the battery and the free storage last the shift? Pure: the numbers come from the
 * recorder's STATUS over the dock link and the draws the caller chose.
 */
import { z } from 'zod';

const HOUR_MS = 3_600_000;

export const DrawSource = z.enum(['config', 'last-shift', 'field-telemetry']);
export type DrawSource = z.infer<typeof DrawSource>;

/** What the forecast says; stored with the assignment and shown to the officer. */
export const Readiness = z.object({
  ok: z.boolean(),
  shiftHours: z.number(),
  batteryPct: z.number(),
  charging: z.boolean(),
  /** The draw the battery forecast used (%/h) and where it came from (the highest candidate wins). */
  drawPctPerH: z.number(),
  drawSource: DrawSource,
  batteryHours: z.number(),
  freeBytes: z.number(),
  totalBytes: z.number(),
  bytesPerHour: z.number(),
  storageHours: z.number(),
  /** One line per shortfall with the numbers, e.g. "battery lasts 6.2 h < shift 10 h (...)". */
  shortfalls: z.array(z.string()),
});
export type Readiness = z.infer<typeof Readiness>;

export interface ReadinessInput {
  battery: { pct: number; charging: boolean };
  storage: { freeBytes: number; totalBytes: number };
  shiftHours: number;
  /** Configured draw while recording (%/h). */
  drawPctPerH: number;
  /** Draw this recorder showed on its last shift, if known (%/h). */
  lastShiftDrawPctPerH?: number | null;
  /** Draw measured from field telemetry, if known and positive (%/h). */
  fieldDrawPctPerH?: number | null;
  bytesPerHour: number;
}

const h1 = (x: number) => (Number.isFinite(x) ? (Math.floor(x * 10) / 10).toFixed(1) : '∞');
const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;

export function forecastReadiness(i: ReadinessInput): Readiness {
  let draw = i.drawPctPerH;
  let drawSource: DrawSource = 'config';
  if (i.lastShiftDrawPctPerH && i.lastShiftDrawPctPerH > draw) {
    draw = i.lastShiftDrawPctPerH;
    drawSource = 'last-shift';
  }
  if (i.fieldDrawPctPerH && i.fieldDrawPctPerH > draw) {
    draw = i.fieldDrawPctPerH;
    drawSource = 'field-telemetry';
  }
  const batteryHours = i.battery.pct / draw;
  const storageHours = i.storage.freeBytes / i.bytesPerHour;
  const shortfalls: string[] = [];
  const shift = `shift ${i.shiftHours} h`;
  if (batteryHours < i.shiftHours) {
    const charging = i.battery.charging ? ', charging' : '';
    shortfalls.push(
      `battery lasts ${h1(batteryHours)} h < ${shift} (${Math.round(i.battery.pct)} % at ${round1(draw)} %/h${charging})`,
    );
  }
  if (storageHours < i.shiftHours) {
    shortfalls.push(
      `storage lasts ${h1(storageHours)} h < ${shift} (${gb(i.storage.freeBytes)} free at ${gb(i.bytesPerHour)}/h)`,
    );
  }
  return {
    ok: shortfalls.length === 0,
    shiftHours: i.shiftHours,
    batteryPct: i.battery.pct,
    charging: i.battery.charging,
    drawPctPerH: draw,
    drawSource,
    batteryHours,
    freeBytes: i.storage.freeBytes,
    totalBytes: i.storage.totalBytes,
    bytesPerHour: i.bytesPerHour,
    storageHours,
    shortfalls,
  };
}

/**
 * Battery draw over a shift from the level at check-out and on return (%/h); null when the shift
 * was too short or the battery did not drop (charged elsewhere) to say anything.
 */
export function shiftDraw(
  out: { pct: number; at: number },
  back: { pct: number; at: number },
): number | null {
  const hours = (back.at - out.at) / HOUR_MS;
  const drop = out.pct - back.pct;
  if (hours < 1 || drop <= 0) return null;
  return drop / hours;
}

export function hoursToMs(h: number): number {
  return Number.isFinite(h) ? Math.round(h * HOUR_MS) : Number.MAX_SAFE_INTEGER;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
