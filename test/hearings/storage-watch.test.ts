/** The hearing service's full-disk rule (pure): room for what is pending, a margin, hysteresis. */
import { describe, expect, it } from 'vitest';
import { cameraMargin, MIN_MARGIN_BYTES, storageFull } from '../../gateway/hearings/storage-watch.js';

const MB = 1024 * 1024;

describe('storageFull', () => {
  const need = (freeBytes: number) => ({
    freeBytes,
    reserveBytes: 100 * MB,
    pendingBytes: 10 * MB,
    marginBytes: 4 * MB,
  });

  it('is full once free space less what is pending and a margin would reach the reserve', () => {
    expect(storageFull(need(115 * MB), false)).toBe(false);
    expect(storageFull(need(113 * MB), false)).toBe(true);
  });

  it('stays full until twice the margin is free again (no flapping at the edge)', () => {
    expect(storageFull(need(115 * MB), true)).toBe(true);
    expect(storageFull(need(118 * MB), true)).toBe(false);
  });

  it('gives each camera at least the minimum margin, else 5 s of its rate', () => {
    expect(cameraMargin(null)).toBe(MIN_MARGIN_BYTES);
    expect(cameraMargin(10_000)).toBe(MIN_MARGIN_BYTES);
    expect(cameraMargin(2 * MB)).toBe(10 * MB);
  });
});
