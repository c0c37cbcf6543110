/**
 * The benchmark contract (bench/README.md): interleaved rounds of each side, min/median/max per
 * side, ratios from medians, and the machine in every JSON line.
 */
import { cpus, loadavg } from 'node:os';

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]! };
}

/** Rounds A B A B …: every side runs once per round, in the same order, `rounds` times. */
export async function interleave<K extends string>(
  rounds: number,
  sides: Record<K, () => Promise<number>>,
): Promise<Record<K, number[]>> {
  const out = Object.fromEntries(Object.keys(sides).map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    for (const k of Object.keys(sides) as K[]) out[k].push(await sides[k]());
  }
  return out;
}

/** `{ name_min, name_median, name_max }` rounded to 2 decimals, for the JSON line. */
export function fields(name: string, values: readonly number[]): Record<string, number> {
  const s = spread(values);
  return {
    [`${name}_min`]: round2(s.min),
    [`${name}_median`]: round2(s.median),
    [`${name}_max`]: round2(s.max),
  };
}

export function ratioOfMedians(a: readonly number[], b: readonly number[]): number {
  return round2(spread(a).median / spread(b).median);
}

/** Cores and the 1-minute load average at the start: a busy machine explains a poor figure. */
export function machine(): { cores: number; load1_at_start: number; cpu_model: string } {
  return {
    cores: cpus().length,
    load1_at_start: round2(loadavg()[0] ?? 0),
    cpu_model: cpus()[0]?.model ?? '',
  };
}

export const round2 = (x: number) => Math.round(x * 100) / 100;
