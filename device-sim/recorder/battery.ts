/**
 * Li-ion battery model: energy drawn per state, CC/CV-like charging (fast to `taperFromPct`, then a
 * linear taper), open-circuit voltage from state of charge with a load sag, and cell temperature
 * approaching a load-dependent target. Pure: time only moves through `advance`.
 */
import type { RecorderState } from '../../protocol/common.js';
import type { BatteryParams } from './profile.js';

const HOUR_MS = 3_600_000;
/** Largest integration step; charging is not linear above the taper point. */
const MAX_STEP_MS = 10_000;
const INTERNAL_RESISTANCE_OHM = 0.12;
/** Cell heating per watt drawn, and while charging. */
const HEAT_C_PER_W = 6;
const CHARGE_HEAT_C = 4;
const THERMAL_TAU_MS = 10 * 60_000;

/** Open-circuit voltage of one cell (mV) against state of charge (%), nominal 3.7 V. */
const OCV: ReadonlyArray<readonly [number, number]> = [
  [0, 3000],
  [5, 3450],
  [10, 3600],
  [20, 3680],
  [40, 3750],
  [60, 3850],
  [80, 3980],
  [100, 4180],
];

function ocvMv(pct: number): number {
  for (let i = 1; i < OCV.length; i++) {
    const [p1, v1] = OCV[i]!;
    const [p0, v0] = OCV[i - 1]!;
    if (pct <= p1) return v0 + ((v1 - v0) * (pct - p0)) / (p1 - p0);
  }
  return OCV[OCV.length - 1]![1];
}

export interface BatteryReading {
  pct: number;
  voltageMv: number;
  charging: boolean;
  tempC: number;
}

export class BatteryModel {
  readonly params: BatteryParams;
  /** State of charge, 0..1. */
  private soc: number;
  private temp: number;
  private state: RecorderState = 'off';

  constructor(params: BatteryParams) {
    this.params = params;
    this.soc = params.initialPct / 100;
    this.temp = params.ambientC;
  }

  get capacityWh(): number {
    return (this.params.capacityMah * this.params.nominalVoltageMv) / 1e6;
  }

  get pct(): number {
    return this.soc * 100;
  }

  /** Charging happens only in the dock, until full. */
  get charging(): boolean {
    return this.state === 'docked' && this.soc < 1;
  }

  setState(state: RecorderState): void {
    this.state = state;
  }

  drawW(state: RecorderState = this.state): number {
    return this.params.drawMw[state] / 1000;
  }

  /** Charge rate (fraction of capacity per hour) at a state of charge. */
  chargeRateC(soc: number): number {
    const { chargeRateC, taperFromPct, trickleC } = this.params;
    const taper = taperFromPct / 100;
    if (soc < taper || taper >= 1) return chargeRateC;
    return chargeRateC + ((trickleC - chargeRateC) * (soc - taper)) / (1 - taper);
  }

  advance(ms: number): void {
    let left = ms;
    while (left > 0) {
      const dt = Math.min(left, MAX_STEP_MS);
      left -= dt;
      const hours = dt / HOUR_MS;
      if (this.state === 'docked') {
        this.soc = Math.min(1, this.soc + this.chargeRateC(this.soc) * hours);
      } else {
        this.soc = Math.max(0, this.soc - (this.drawW() * hours) / this.capacityWh);
      }
      const target = this.params.ambientC + HEAT_C_PER_W * this.drawW() + (this.charging ? CHARGE_HEAT_C : 0);
      this.temp += (target - this.temp) * (1 - Math.exp(-dt / THERMAL_TAU_MS));
    }
  }

  /** Sets the charge directly (fault injection, tests). */
  setPct(pct: number): void {
    this.soc = Math.min(100, Math.max(0, pct)) / 100;
  }

  /** Charge the firmware can use before it shuts down at `criticalPct`, 0..1. */
  private get usable(): number {
    return Math.max(0, this.soc - this.params.criticalPct / 100);
  }

  /**
   * Time until the firmware's shutdown level at the draw of `state` (Infinity when that state
   * draws nothing).
   */
  forecastEmptyMs(state: RecorderState = this.state): number {
    const w = this.drawW(state);
    if (w <= 0) return Number.POSITIVE_INFINITY;
    return ((this.usable * this.capacityWh) / w) * HOUR_MS;
  }

  /** Time on the charger to reach `pct` from the present charge. */
  forecastChargeMs(pct = 100): number {
    let soc = this.soc;
    let ms = 0;
    const goal = pct / 100;
    while (soc < goal - 1e-9 && ms < 100 * HOUR_MS) {
      soc = Math.min(goal, soc + this.chargeRateC(soc) * (MAX_STEP_MS / HOUR_MS));
      ms += MAX_STEP_MS;
    }
    return ms;
  }

  /** Sets charge so that the firmware shuts down after `ms` at the draw of `state`. */
  drainToLast(ms: number, state: RecorderState): void {
    const w = this.drawW(state);
    const usable = (w * (ms / HOUR_MS)) / this.capacityWh;
    this.soc = Math.min(1, Math.max(0, this.params.criticalPct / 100 + usable));
  }

  reading(): BatteryReading {
    const pct = this.pct;
    const scale = this.params.nominalVoltageMv / 3700;
    const w = this.drawW();
    const currentA = w / ((ocvMv(pct) * scale) / 1000);
    let mv = ocvMv(pct) * scale;
    if (this.charging) mv += 60 * scale * (1 - this.soc);
    else mv -= currentA * INTERNAL_RESISTANCE_OHM * 1000;
    return {
      pct: Math.round(pct * 10) / 10,
      voltageMv: Math.max(0, Math.round(mv)),
      charging: this.charging,
      tempC: Math.round(this.temp * 10) / 10,
    };
  }
}
