import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DockParser, encodeFrame, MAX_FRAME_BYTES } from '../../protocol/dock/index.js';
import { dockExamples } from '../../protocol/vectors/examples.js';
import { eventToJson } from '../../protocol/vectors/format.js';
import { fuzz } from './fuzz-harness.js';

/** Override to explore: FUZZ_SEED=123 npx vitest run test/protocol/parser-fuzz.test.ts */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

describe('DockParser under fuzzing', () => {
  it('survives 1,000,000 mutated and random frames, stays bounded and recovers every valid frame', () => {
    const st = fuzz(SEED, 1_000_000);
    expect(st.mutated + st.garbage).toBeGreaterThanOrEqual(1_000_000);
    expect(st.recovered).toBe(st.valid);
    expect(st.valid).toBeGreaterThan(400_000);
    expect(st.maxBuffered).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });

  it('recovers any frame between arbitrary garbage, however the stream is cut (fast-check)', () => {
    const wires = dockExamples.filter((f) => f.type !== 'DATA').map((f) => encodeFrame(f));
    const expected = wires.map((w) => eventToJson(new DockParser().feed(w)[0]!));
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat({ max: wires.length - 1 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (before, k, after, cuts) => {
          const stream = Buffer.concat([before, wires[k]!, after]);
          const p = new DockParser();
          const got = [];
          let i = 0;
          for (let c = 0; i < stream.length; c++) {
            const n = cuts[c % cuts.length]!;
            got.push(...p.feed(stream.subarray(i, i + n)));
            i += n;
            expect(p.buffered).toBeLessThanOrEqual(MAX_FRAME_BYTES);
          }
          const frames = got.filter((e) => e.ok).map(eventToJson);
          expect(frames).toContainEqual(expected[k]);
        },
      ),
      { numRuns: 3000, seed: SEED },
    );
  });
});
