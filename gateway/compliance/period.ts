/** Report periods: calendar months in the office's time zone (Asia/Shanghai, UTC+8, no DST). */
import { z } from 'zod';
import { HOUR } from './facts.js';

const OFFSET = 8 * HOUR;
export const MonthText = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month: YYYY-MM');

export interface Period {
  /** `YYYY-MM`. */
  month: string;
  from: number;
  to: number;
}

export function monthPeriod(month: string): Period {
  const [y, m] = MonthText.parse(month).split('-').map(Number) as [number, number];
  return { month, from: Date.UTC(y, m - 1, 1) - OFFSET, to: Date.UTC(y, m, 1) - OFFSET };
}

/** The month (office time) that contains `t`. */
export function monthOf(t: number): string {
  return new Date(t + OFFSET).toISOString().slice(0, 7);
}

export function previousMonth(month: string): string {
  return monthOf(monthPeriod(month).from - 1);
}
