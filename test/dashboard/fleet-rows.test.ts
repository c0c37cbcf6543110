/** The fleet page's rows: docked recorders present (not offline), every health rule an anomaly, forecasts capped. */
import { describe, expect, it } from 'vitest';
import type { DockSlotView, RecorderView } from '../../dashboard/src/api/types.js';
import { translate } from '../../dashboard/src/i18n/index.js';
import { hasProblem, withDocks } from '../../dashboard/src/pages/manager/FleetPage.js';
import { fmtDuration } from '../../dashboard/src/time.js';

const view = (over: Partial<RecorderView> = {}): RecorderView => ({
  serial: 'DK0001',
  online: true,
  state: 'idle',
  lastSeen: null,
  batteryPct: 80,
  charging: false,
  batteryLeftMs: 3_600_000,
  storageFreeBytes: 50e9,
  storageTotalBytes: 64e9,
  storageLeftMs: 3_600_000,
  clockOffsetMs: 10,
  firmware: '2.1.0',
  firmwareOutdated: false,
  officer: null,
  faults: [],
  conditions: [],
  rejectedPayloads: 0,
  ...over,
});

describe('fleet rows', () => {
  it('a docked recorder at 100 % is docked and ready with the dock numbers, not offline', () => {
    const offline = view({
      online: false,
      batteryPct: null,
      batteryLeftMs: null,
      conditions: ['recorder-offline'],
    });
    const docked = {
      serial: 'DK0001',
      batteryPct: 100,
      charging: true,
      batteryLeftMs: 11 * 3_600_000,
      storageLeftMs: 20 * 3_600_000,
      ready: true,
      officer: null,
    } as unknown as DockSlotView;
    expect(hasProblem(offline)).toBe(true);
    const [row] = withDocks([offline], [docked]);
    expect(row).toMatchObject({ state: 'docked', batteryPct: 100, dock: { ready: true } });
    expect(row && hasProblem(row)).toBe(false);
  });

  it('clock and firmware faults are anomalies', () => {
    expect(hasProblem(view())).toBe(false);
    expect(hasProblem(view({ clockOffsetMs: 4500 }))).toBe(true);
    expect(hasProblem(view({ firmwareOutdated: true }))).toBe(true);
    expect(hasProblem(view({ conditions: ['clock-drift'] }))).toBe(true);
  });

  it('a forecast from a near-zero draw is capped', () => {
    const t = (k: Parameters<typeof translate>[1], p?: Record<string, string | number>) =>
      translate('zh-CN', k, p);
    expect(fmtDuration(270297145804195 * 3_600_000, t)).toBe('超过 7 天');
    expect(fmtDuration(5 * 3_600_000, t)).toBe('5 小时');
  });
});
