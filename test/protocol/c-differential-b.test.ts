/**
 * The C and TypeScript receivers agree on the same random and mutated streams (./c-differential.ts);
 * this file and its twin run the other half of the 1,040,000 frames, with their own seeds.
 */
import { expect, it } from 'vitest';
import { differential } from './c-differential.js';

it('C and TypeScript receivers: the same frames and errors, in order, on 520,000 random and mutated frames (seed 0xc0dec)', async () => {
  const { frames, kinds } = await differential(0xc0dec, 2, 260_000);
  expect(frames).toBe(520_000);
  // Every kind of event occurred, most of them often.
  for (const k of [
    'F R',
    'F D',
    'F E',
    'F J',
    'X BAD_COBS',
    'X TOO_SHORT',
    'X BAD_CHECK',
    'X BAD_VERSION',
    'X UNKNOWN_TYPE',
    'X BAD_BODY',
    'X BAD_CHUNK_CHECK',
  ]) {
    expect(kinds.get(k) ?? 0, k).toBeGreaterThan(1000);
  }
  expect(kinds.get('X OVERSIZE') ?? 0).toBeGreaterThan(20);
});
