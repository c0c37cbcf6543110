/**
 * Seeded stream fuzzer for DockParser (used by parser-fuzz*.test.ts). Builds streams of valid
 * frames, mutated frames and garbage, feeds them in random pieces and checks: feed() never
 * throws and never reports INTERNAL, `buffered` never exceeds MAX_FRAME_BYTES, and every valid
 * frame comes out exactly, in order.
 */
import {
  cobsDecode,
  crc32c,
  type DockFrame,
  type DockFrameInput,
  DockParser,
  encodeFrame,
  encodeFrameParts,
  MAX_CHUNK_BYTES,
  MAX_FRAME_BYTES,
} from '../../protocol/dock/index.js';
import { CLIP_ID, dockExamples } from '../../protocol/vectors/examples.js';

/** mulberry32: small, fast, good enough for fuzzing, reproducible from the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface PoolFrame {
  wire: Uint8Array;
  frame: DockFrame;
  /** JSON of the body (DATA: without the chunk), for a cheap exact comparison. */
  key: string;
}

function keyOf(f: DockFrame): string {
  if (f.type === 'DATA') {
    const { chunk: _c, ...rest } = f.body;
    return `${f.type}/${f.seq}/${JSON.stringify(rest)}`;
  }
  return `${f.type}/${f.seq}/${JSON.stringify(f.body)}`;
}

function sameFrame(got: DockFrame, want: PoolFrame): boolean {
  if (keyOf(got) !== want.key) return false;
  if (got.type === 'DATA' && want.frame.type === 'DATA') {
    return Buffer.compare(got.body.chunk, want.frame.body.chunk) === 0;
  }
  return true;
}

export function buildPool(rand: () => number, size: number): PoolFrame[] {
  const pool: PoolFrame[] = [];
  const bytes = (n: number, zeroRich: boolean) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = zeroRich && rand() < 0.3 ? 0 : (rand() * 256) | 0;
    return b;
  };
  for (let k = 0; k < size; k++) {
    const seq = (rand() * 0x10000) | 0;
    const r = rand();
    let f: DockFrameInput;
    if (k < 4) {
      // Near the limits: chunks of up to MAX_CHUNK_BYTES (picked rarely, see fuzz()).
      const chunk = bytes(MAX_CHUNK_BYTES - ((rand() * 20000) | 0), k % 2 === 0);
      f = {
        type: 'DATA',
        seq,
        body: { clipId: CLIP_ID, offset: 0, eof: false, chunkCrc: crc32c(chunk), chunk },
      };
    } else if (r < 0.45) {
      const n = rand() < 0.05 ? 1000 + ((rand() * 7000) | 0) : (rand() * 512) | 0;
      const chunk = bytes(n, rand() < 0.3);
      f = {
        type: 'DATA',
        seq,
        body: {
          clipId: `${CLIP_ID}-${k}`,
          offset: k * 4096,
          eof: rand() < 0.1,
          chunkCrc: crc32c(chunk),
          chunk,
        },
      };
    } else if (r < 0.65) {
      f = {
        type: 'READ',
        seq,
        body: { clipId: CLIP_ID, offset: Math.floor(rand() * 2 ** 40), length: 1 + k },
      };
    } else {
      const ex = dockExamples[k % dockExamples.length]!;
      f = {
        ...(ex.type === 'DATA' ? { ...ex, body: { ...ex.body, chunkCrc: crc32c(ex.body.chunk) } } : ex),
        seq,
      };
    }
    const wire = encodeFrame(f);
    const ev = new DockParser().feed(wire);
    const first = ev[0];
    if (ev.length !== 1 || !first?.ok) throw new Error(`pool frame ${k} does not decode`);
    pool.push({ wire, frame: first.frame, key: keyOf(first.frame) });
  }
  return pool;
}

function mutate(rand: () => number, w: Uint8Array): Uint8Array {
  const b = Buffer.from(w);
  const at = () => (rand() * b.length) | 0;
  switch ((rand() * 8) | 0) {
    case 7:
      return remutate(rand, w);
    case 0: {
      const flips = 1 + ((rand() * 3) | 0);
      for (let i = 0; i < flips; i++) {
        const p = at();
        b[p] = b[p]! ^ (1 << ((rand() * 8) | 0));
      }
      return b;
    }
    case 1: {
      const p = at();
      return Buffer.concat([b.subarray(0, p), b.subarray(p + 1)]);
    }
    case 2: {
      const p = at();
      return Buffer.concat([b.subarray(0, p), Uint8Array.of((rand() * 256) | 0), b.subarray(p)]);
    }
    case 3:
      return b.subarray(0, at());
    case 4: {
      const p = at();
      const q = Math.min(b.length, p + 1 + ((rand() * 16) | 0));
      return Buffer.concat([b.subarray(0, q), b.subarray(p, q), b.subarray(q)]);
    }
    case 5:
      b[at()] = 0;
      return b;
    default: {
      const p = at();
      const q = at();
      const t = b[p]!;
      b[p] = b[q]!;
      b[q] = t;
      return b;
    }
  }
}

/** Corrupts header or body but recomputes the CRC: exercises BAD_VERSION, UNKNOWN_TYPE, BAD_BODY... */
function remutate(rand: () => number, w: Uint8Array): Uint8Array {
  const raw = Buffer.from(cobsDecode(w.subarray(1, -1))!.subarray(0, -4));
  const r = rand();
  if (r < 0.2) raw[0] = (rand() * 4) | 0;
  else if (r < 0.4) raw[1] = (rand() * 256) | 0;
  else if (r < 0.7 && raw.length > 4) {
    const p = 4 + ((rand() * (raw.length - 4)) | 0);
    raw[p] = raw[p]! ^ (1 << ((rand() * 8) | 0));
  } else {
    return encodeFrameParts(raw.subarray(0, 4), [raw.subarray(4, 4 + ((rand() * (raw.length - 4)) | 0))]);
  }
  return encodeFrameParts(raw.subarray(0, 4), [raw.subarray(4)]);
}

function garbage(rand: () => number): Uint8Array {
  if (rand() < 0.001) {
    // Longer than a frame may be, without 0x00: must end in OVERSIZE, not in a bigger buffer.
    const b = new Uint8Array(MAX_FRAME_BYTES - 500 + ((rand() * 3000) | 0));
    for (let i = 0; i < b.length; i++) b[i] = 1 + ((rand() * 255) | 0);
    return b;
  }
  const n = (rand() * 64) | 0;
  const zeros = rand() < 0.5 ? 0.1 : 0;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rand() < zeros ? 0 : (rand() * 256) | 0;
  return b;
}

export interface FuzzStats {
  valid: number;
  mutated: number;
  garbage: number;
  recovered: number;
  errors: number;
  bytes: number;
  maxBuffered: number;
}

/** Runs until `badFrames` mutated + garbage frames have been fed. Throws on any violation. */
export function fuzz(seed: number, badFrames: number): FuzzStats {
  const rand = prng(seed);
  const pool = buildPool(rand, 400);
  const p = new DockParser();
  const st: FuzzStats = {
    valid: 0,
    mutated: 0,
    garbage: 0,
    recovered: 0,
    errors: 0,
    bytes: 0,
    maxBuffered: 0,
  };
  const fail = (why: string) => {
    throw new Error(`fuzz seed ${seed}: ${why}`);
  };
  while (st.mutated + st.garbage < badFrames) {
    // One batch: ~200 items.
    const parts: Uint8Array[] = [];
    const want: PoolFrame[] = [];
    for (let k = 0; k < 200; k++) {
      const r = rand();
      const pf = pool[rand() < 0.002 ? (rand() * 4) | 0 : 4 + ((rand() * (pool.length - 4)) | 0)]!;
      if (r < 0.35) {
        parts.push(pf.wire);
        want.push(pf);
        st.valid++;
      } else if (r < 0.8) {
        parts.push(mutate(rand, pf.wire));
        st.mutated++;
      } else {
        parts.push(garbage(rand));
        st.garbage++;
      }
    }
    const stream = Buffer.concat(parts);
    st.bytes += stream.length;
    // Compared at the end of the batch, so a chunk view overwritten by later input is caught.
    const got: DockFrame[] = [];
    let i = 0;
    while (i < stream.length) {
      const n = rand() < 0.2 ? 1 + ((rand() * 8) | 0) : 1 + ((rand() * 4096) | 0);
      const events = p.feed(stream.subarray(i, i + n));
      i += n;
      if (p.buffered > MAX_FRAME_BYTES) fail(`buffered ${p.buffered} > ${MAX_FRAME_BYTES}`);
      if (p.buffered > st.maxBuffered) st.maxBuffered = p.buffered;
      for (const e of events) {
        if (!e.ok) {
          if (e.error.code === 'INTERNAL') fail(`INTERNAL: ${e.error.message}`);
          st.errors++;
        } else got.push(e.frame);
      }
    }
    let next = 0;
    for (const f of got) {
      if (next < want.length && sameFrame(f, want[next]!)) {
        next++;
        st.recovered++;
      }
    }
    if (next !== want.length) fail(`recovered ${next} of ${want.length} valid frames in a batch`);
  }
  return st;
}
