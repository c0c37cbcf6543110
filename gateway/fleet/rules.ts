/**
 * Health rules (R21 health dashboard, R19 forecasts) with thresholds from config.fleet. Pure: given
 * a recorder's health, which conditions hold. The health service raises an alert when a condition
 * starts to hold and clears it when it stops.
 */
import type { Telemetry } from '../../protocol/mqtt/messages.js';
import type { GatewayConfig } from '../config.js';
import type { AlertSeverity } from '../events.js';
import type { Forecast } from './forecast.js';

export const FLEET_RULES = [
  'battery-critical',
  'battery-low',
  'storage-low',
  'recorder-offline',
  'clock-drift',
  'firmware-outdated',
  'battery-forecast',
  'storage-forecast',
] as const;
export type FleetRule = (typeof FLEET_RULES)[number];

export const RULE_BIT: Record<FleetRule, number> = Object.fromEntries(
  FLEET_RULES.map((r, i) => [r, 1 << i]),
) as Record<FleetRule, number>;

export const RULE_SEVERITY: Record<FleetRule, AlertSeverity> = {
  'battery-critical': 'critical',
  'battery-low': 'warning',
  'storage-low': 'warning',
  'recorder-offline': 'warning',
  'clock-drift': 'warning',
  'firmware-outdated': 'info',
  'battery-forecast': 'warning',
  'storage-forecast': 'warning',
};

export interface RuleInput {
  telemetry: Telemetry | null;
  online: boolean;
  clockOffsetMs: number | null;
  /** compareVersions(firmware, min) < 0, computed when the firmware changes (not per message). */
  firmwareOutdated: boolean;
  forecast: Forecast;
  /** Conditions currently holding (bit mask), for hysteresis. */
  active: number;
}

/** Percent points a level must recover past its threshold before its alert clears. */
const HYSTERESIS_PCT = 2;

/** Bit mask of the conditions that hold. Runs per telemetry message: no closures, no allocation. */
export function evaluate(h: RuleInput, cfg: GatewayConfig['fleet']): number {
  let mask = 0;
  const t = h.telemetry;
  if (t) {
    const away = t.state !== 'docked' && !t.battery.charging;
    const pct = t.battery.pct;
    if (away && below(h.active, 'battery-critical', pct, cfg.batteryCriticalPct)) {
      mask |= RULE_BIT['battery-critical'];
    } else if (away && below(h.active, 'battery-low', pct, cfg.batteryLowPct)) {
      mask |= RULE_BIT['battery-low'];
    }
    const freePct = t.storage.totalBytes > 0 ? (100 * t.storage.freeBytes) / t.storage.totalBytes : 100;
    if (below(h.active, 'storage-low', freePct, cfg.storageLowPct)) mask |= RULE_BIT['storage-low'];
    if (h.firmwareOutdated) mask |= RULE_BIT['firmware-outdated'];
    // Offline matters only for a recorder that should be out there talking to us.
    if (!h.online && t.state !== 'off' && t.state !== 'docked') mask |= RULE_BIT['recorder-offline'];
    const left = h.forecast.shiftLeftS;
    if (away && h.online && left !== null) {
      if (h.forecast.batteryS !== null && h.forecast.batteryS < left) mask |= RULE_BIT['battery-forecast'];
      if (h.forecast.storageS !== null && h.forecast.storageS < left) mask |= RULE_BIT['storage-forecast'];
    }
  }
  if (h.clockOffsetMs !== null && Math.abs(h.clockOffsetMs) > cfg.clockDriftMaxMs) {
    mask |= RULE_BIT['clock-drift'];
  }
  return mask;
}

/** At or below the threshold, or still within the hysteresis band of an active condition. */
function below(active: number, rule: FleetRule, value: number, threshold: number): boolean {
  return value <= threshold || ((active & RULE_BIT[rule]) !== 0 && value <= threshold + HYSTERESIS_PCT);
}

/** Dotted numeric versions ("2.10.1" > "2.9"); a pre-release ("2.0.0-rc1") sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = a.replace(/^v/i, '').split('+')[0]!.split(/-(.*)/s);
  const [coreB = '', preB] = b.replace(/^v/i, '').split('+')[0]!.split(/-(.*)/s);
  const pa = coreA.split('.');
  const pb = coreB.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y);
    const c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
    if (c !== 0) return Math.sign(c);
  }
  if (!preA !== !preB) return preA ? -1 : 1;
  return preA && preB ? Math.sign(preA.localeCompare(preB)) : 0;
}

export function ruleMessage(
  rule: FleetRule,
  serial: string,
  h: RuleInput,
  cfg: GatewayConfig['fleet'],
): string {
  const t = h.telemetry;
  const hours = (s: number | null) => (s === null ? '?' : (s / 3600).toFixed(1));
  switch (rule) {
    case 'battery-critical':
      return `Recorder ${serial}: battery critical (${t?.battery.pct.toFixed(0)}% <= ${cfg.batteryCriticalPct}%)`;
    case 'battery-low':
      return `Recorder ${serial}: battery low (${t?.battery.pct.toFixed(0)}% <= ${cfg.batteryLowPct}%)`;
    case 'storage-low':
      return `Recorder ${serial}: storage low (< ${cfg.storageLowPct}% free)`;
    case 'recorder-offline':
      return `Recorder ${serial} is offline`;
    case 'clock-drift':
      return `Recorder ${serial}: clock off by ${h.clockOffsetMs} ms (max ${cfg.clockDriftMaxMs} ms)`;
    case 'firmware-outdated':
      return `Recorder ${serial}: firmware ${t?.firmware} below minimum ${cfg.firmwareMin}`;
    case 'battery-forecast':
      return `Recorder ${serial}: battery lasts ${hours(h.forecast.batteryS)} h, shift has ${hours(h.forecast.shiftLeftS)} h left`;
    case 'storage-forecast':
      return `Recorder ${serial}: storage full in ${hours(h.forecast.storageS)} h, shift has ${hours(h.forecast.shiftLeftS)} h left`;
  }
}
