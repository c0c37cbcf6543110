import { describe, expect, it } from 'vitest';
import { ChunkPool } from '../../gateway/dock/chunk-pool.js';

describe('ChunkPool', () => {
  it('copies, and reuses only buffers handed back', () => {
    const pool = new ChunkPool(2);
    const a = pool.copy(Uint8Array.of(1, 2, 3));
    expect([...a]).toEqual([1, 2, 3]);
    const b = pool.copy(Uint8Array.of(4));
    expect(b.buffer).not.toBe(a.buffer);
    // Not handed back: a new copy never lands in a's buffer.
    const c = pool.copy(Uint8Array.of(5, 6));
    expect(c.buffer).not.toBe(a.buffer);
    expect([...a]).toEqual([1, 2, 3]);
    pool.give(a);
    const d = pool.copy(Uint8Array.of(7, 8));
    expect(d.buffer).toBe(a.buffer);
    expect([...d]).toEqual([7, 8]);
  });

  it('ignores buffers it did not make, and keeps at most its limit', () => {
    const pool = new ChunkPool(1);
    const foreign = new Uint8Array(61_440);
    pool.give(foreign);
    expect(pool.copy(Uint8Array.of(1)).buffer).not.toBe(foreign.buffer);
    const x = pool.copy(Uint8Array.of(1));
    const y = pool.copy(Uint8Array.of(2));
    pool.give(x);
    pool.give(y); // over the limit: dropped
    expect(pool.copy(Uint8Array.of(3)).buffer).toBe(x.buffer);
    expect(pool.copy(Uint8Array.of(4)).buffer).not.toBe(y.buffer);
  });
});
