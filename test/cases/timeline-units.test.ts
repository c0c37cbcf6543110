/**
 * The timeline's pure parts: a recorder's clock offset between two dock syncs (linear drift from
 * the earlier residual to the later measured offset), the union of recorded stretches (overlapping
 * segments and lead-ins counted once), and the order of items at equal times.
 */
import { describe, expect, it } from 'vitest';
import { offsetAt, toGatewayTime } from '../../gateway/cases/clock.js';
import {
  coverage,
  laneCoverage,
  orderTimeline,
  type TimelineItem,
  unionMs,
} from '../../gateway/cases/timeline.js';
import type { ClockSample } from '../../gateway/dock/time-sync.js';

const H = 3_600_000;
const sample = (at: number, offsetMs: number, residualMs = 0): ClockSample => ({
  serial: 'BC1',
  at,
  offsetMs,
  rttMs: 3,
  adjustMs: -offsetMs,
  residualMs,
  driftPpm: null,
});

describe('clock offsets from dock syncs', () => {
  it('interpolates drift between syncs, uses the last residual after them, none without syncs', () => {
    const syncs = [sample(0, 0, 0), sample(10 * H, 60_000, 20)];
    expect(offsetAt([], 5 * H)).toBeNull();
    // Halfway between the syncs the clock had drifted about half of the 60 s (within 0.1 s).
    expect(Math.abs((offsetAt(syncs, 5 * H + 30_000) ?? 0) - 30_000)).toBeLessThan(100);
    // Just before the second sync (device time runs ahead by the offset).
    expect(offsetAt(syncs, 10 * H + 59_000)).toBeGreaterThan(59_000);
    // After the last sync: its residual.
    expect(offsetAt(syncs, 11 * H)).toBe(20);
    // Before the first sync: what it measured.
    expect(offsetAt([sample(10 * H, 600_000)], 9 * H)).toBe(600_000);
    expect(toGatewayTime(9 * H, 600_000)).toBe(9 * H - 600_000);
    expect(toGatewayTime(9 * H, null)).toBe(9 * H);
  });
});

describe('coverage', () => {
  it('counts overlapping stretches once, clipped to the span', () => {
    expect(
      unionMs(
        [
          [0, 10],
          [5, 15],
          [20, 30],
        ],
        0,
        100,
      ),
    ).toBe(25);
    expect(
      unionMs(
        [
          [0, 10],
          [5, 15],
          [20, 30],
        ],
        8,
        25,
      ),
    ).toBe(12);
    expect(
      coverage(
        [
          [0, 50],
          [40, 90],
        ],
        0,
        100,
      ),
    ).toEqual({ recordedMs: 90, spanMs: 100, ratio: 0.9 });
    expect(coverage([[0, 50]], null, null).ratio).toBeNull();
    // A hearing: a lead-in overlapping the first segment on one camera; a second camera with a gap.
    const lanes = new Map<string, [number, number][]>([
      [
        'cam1',
        [
          [0, 12],
          [10, 60],
          [60, 100],
        ],
      ],
      [
        'cam2',
        [
          [0, 40],
          [60, 100],
        ],
      ],
    ]);
    expect(laneCoverage(lanes, 0, 100)).toEqual({ recordedMs: 180, spanMs: 200, ratio: 0.9 });
  });

  it('orders by time, a stage change before what was recorded at the same moment', () => {
    const items = [
      { kind: 'interruption', at: 5 },
      { kind: 'session', at: 5 },
      { kind: 'stage', at: 5 },
      { kind: 'export', at: 1 },
    ] as unknown as TimelineItem[];
    expect(orderTimeline(items).map((i) => i.kind)).toEqual(['export', 'stage', 'session', 'interruption']);
  });
});
