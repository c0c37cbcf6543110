/**
 * Differential test of the receivers: the same random and mutated byte streams fed to the C
 * receiver (protocol/c, under ASan + UBSan) and to the TypeScript DockParser must give the same
 * frames and the same errors, line for line (format: ./c-codec.ts eventLine). Seeded, so a failure
 * repeats; the first differing line is reported with its neighbours. Two test files run half the
 * 1,000,000+ frames each (c-differential-a/b.test.ts), so each stays well under a minute.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SeededRng } from '../../device-sim/recorder/rng.js';
import {
  cobsEncode,
  crc32c,
  DockParser,
  DockType,
  encodeDataFrame,
  encodeFrame,
  MAX_FRAME_BYTES,
} from '../../protocol/dock/index.js';
import { wireBytes } from '../../protocol/vectors/format.js';
import { cHarness, eventLine, runHarnessAsync, StreamFile } from './c-codec.js';
import { dockVectors } from './load-vectors.js';

/** The simulator's seeded mulberry32, as a bare function. */
function rng(seed: number): () => number {
  const r = new SeededRng(seed);
  return () => r.next();
}

function rawWire(version: number, type: number, seq: number, body: Uint8Array, crcXor = 0): Uint8Array {
  const f = Buffer.alloc(8 + body.length);
  f[0] = version;
  f[1] = type;
  f.writeUInt16LE(seq, 2);
  f.set(body, 4);
  f.writeUInt32LE((crc32c(f.subarray(0, 4 + body.length)) ^ crcXor) >>> 0, 4 + body.length);
  return Buffer.concat([Buffer.of(0), cobsEncode(f), Buffer.of(0)]);
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-';

/**
 * A pool of wires: valid frames of every kind and frames with a good CRC but something wrong;
 * `big` holds the few of 60 KiB or more (drawn rarely, so the streams stay a few hundred MB).
 */
function pool(r: () => number): { small: Uint8Array[]; big: Uint8Array[] } {
  const int = (n: number) => Math.floor(r() * n);
  const id = () => Array.from({ length: 1 + int(64) }, () => ID_CHARS[int(ID_CHARS.length)]).join('');
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => (r() < 0.2 ? 0 : int(256)));
  const out: Uint8Array[] = [];
  for (const v of dockVectors())
    out.push(Buffer.concat(v.chunks.filter((c) => typeof c === 'string').map(wireBytes)));
  for (let i = 0; i < 3000; i++) {
    const seq = int(0x10000);
    const k = r();
    if (k < 0.3) {
      out.push(
        encodeFrame({
          type: 'READ',
          seq,
          body: { clipId: id(), offset: int(2 ** 40), length: 1 + int(61_440) },
        }),
      );
    } else if (k < 0.5) {
      const n = r() < 0.02 ? int(61_441) : int(400);
      out.push(encodeDataFrame(seq, { clipId: id(), offset: int(2 ** 53), eof: r() < 0.5, chunk: bytes(n) }));
    } else if (k < 0.58) {
      out.push(
        encodeFrame({ type: 'ERROR', seq, body: { code: int(0x10000), message: 'x'.repeat(int(300)) } }),
      );
    } else if (k < 0.7) {
      // READ bodies with something wrong but a good CRC: size, id bytes, offset, length.
      const b = Buffer.alloc(76);
      b.write(id(), 'latin1');
      const w = int(6);
      if (w === 0) b[int(64)] = int(256);
      if (w === 1) b.writeUInt32LE(int(0x20_0000) + 0x1f_fff0, 68);
      if (w === 2) b.writeUInt32LE(r() < 0.5 ? 0 : 61_440 + int(100), 72);
      else b.writeUInt32LE(1 + int(61_440), 72);
      if (w === 3) b[0] = 0;
      const body = w === 4 ? b.subarray(0, int(76)) : w === 5 ? Buffer.concat([b, bytes(int(4))]) : b;
      out.push(rawWire(1, DockType.READ, seq, body));
    } else if (k < 0.78) {
      // DATA with a wrong chunk CRC, a short body, an oversize chunk, or a bad id.
      const chunk = bytes(int(200));
      const h = Buffer.alloc(80);
      h.write(id(), 'latin1');
      h.writeUInt32LE(int(2 ** 21), 68);
      h.writeUInt32LE((crc32c(chunk) ^ (r() < 0.5 ? 1 : 0)) >>> 0, 72);
      h[76] = int(256);
      const w = int(4);
      if (w === 1) h[int(64)] = 0x80 + int(128);
      const body =
        w === 2
          ? h.subarray(0, int(80))
          : w === 3
            ? Buffer.concat([h, Buffer.alloc(61_441)])
            : Buffer.concat([h, chunk]);
      out.push(rawWire(1, DockType.DATA, seq, body));
    } else if (k < 0.84) {
      // ERROR bodies of any length (over 1026 is BAD_BODY), any version (not 1 is BAD_VERSION).
      out.push(
        rawWire(r() < 0.8 ? 1 : int(256), DockType.ERROR, seq, bytes(r() < 0.9 ? int(40) : 1000 + int(60))),
      );
    } else if (k < 0.94) {
      // Any version, any type, any body: BAD_VERSION, UNKNOWN_TYPE, JSON frames good or bad.
      const body = r() < 0.5 ? Buffer.from(JSON.stringify({ limit: int(70), clipId: id() })) : bytes(int(60));
      out.push(rawWire(r() < 0.7 ? 1 : int(256), int(256), seq, body));
    } else if (k < 0.97) {
      // Too short, and bad frame CRCs.
      out.push(Buffer.concat([Buffer.of(0), cobsEncode(bytes(int(8))), Buffer.of(0)]));
      out.push(rawWire(1, DockType.GET_STATUS, seq, Buffer.from('{}'), 1 << int(32)));
    } else {
      out.push(Buffer.concat([bytes(int(40)), Buffer.of(0)]));
    }
  }
  return { small: out.filter((w) => w.length < 4096), big: out.filter((w) => w.length >= 4096) };
}

/** One stream of `frames` frames from the pool, 10 % of them damaged on the wire. */
function stream(r: () => number, wires: { small: Uint8Array[]; big: Uint8Array[] }, frames: number): Buffer {
  const int = (n: number) => Math.floor(r() * n);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < frames; i++) {
    const from = r() < 0.0005 ? wires.big : wires.small;
    const w = from[int(from.length)]!;
    if (r() >= 0.1) {
      parts.push(w);
      continue;
    }
    const b = Buffer.from(w);
    const m = int(7);
    if (m === 0) b[int(b.length)]! ^= 1 << int(8);
    else if (m === 1) parts.push(b.subarray(0, int(b.length)));
    else if (m === 2) {
      const at = int(b.length);
      parts.push(Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]));
    } else if (m === 3) {
      const at = int(b.length);
      parts.push(Buffer.concat([b.subarray(0, at), Buffer.of(int(256)), b.subarray(at)]));
    } else if (m === 4) parts.push(b.subarray(1, b.length - 1));
    else if (m === 5)
      parts.push(Uint8Array.from({ length: int(300) }, () => (r() < 0.05 ? 0 : 1 + int(255))));
    else if (r() < 0.01) parts.push(new Uint8Array(MAX_FRAME_BYTES + int(400)).fill(1 + int(255)));
    else parts.push(b);
    if (m === 0 || m === 6) parts.push(b);
  }
  return Buffer.concat(parts);
}

/** Runs `batches` streams of `per` frames each through both receivers; returns counts by event kind. */
export async function differential(
  seed: number,
  batches: number,
  per: number,
): Promise<{ frames: number; lines: number; kinds: Map<string, number> }> {
  cHarness();
  const dir = await mkdtemp(join(tmpdir(), 'dock-c-diff-'));
  try {
    const BATCHES = batches;
    const PER = per;
    const r = rng(seed);
    const wires = pool(r);
    let lines = 0;
    const started = Date.now();
    let frames = 0;
    const kinds = new Map<string, number>();
    for (let b = 0; b < BATCHES; b++) {
      const t0 = Date.now();
      const bytes = stream(r, wires, PER);
      frames += PER;
      const t1 = Date.now();
      // C, in its own process, while TypeScript parses the same bytes fed in pieces of 1..64 KiB.
      const f = new StreamFile();
      f.feed(bytes);
      const file = join(dir, `stream-${b}.bin`);
      writeFileSync(file, f.bytes());
      const c = runHarnessAsync(['parse', file]);
      const p = new DockParser({ transientData: true });
      const want: string[] = [];
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + Math.floor(r() * 65_536);
        for (const e of p.feed(bytes.subarray(at, at + n))) want.push(eventLine(e));
        at += n;
      }
      expect(p.buffered).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      const t2 = Date.now();
      const got = (await c).split('\n');
      got.pop();
      if (process.env.DIFF_TIMING)
        console.log({ mb: bytes.length / 1e6, gen: t1 - t0, ts: t2 - t1, c: Date.now() - t2 });
      const i = want.findIndex((w, k) => got[k] !== w);
      if (i >= 0 || got.length !== want.length) {
        const at = i >= 0 ? i : Math.min(got.length, want.length);
        throw new Error(
          `batch ${b}: first difference at event ${at}\n  C : ${got.slice(Math.max(0, at - 2), at + 3).join('\n       ')}\n  TS: ${want.slice(Math.max(0, at - 2), at + 3).join('\n       ')}`,
        );
      }
      lines += want.length;
      for (const w of want) {
        const k = w.startsWith('F') ? `F ${w.split(' ')[4]}` : w.split(' ').slice(0, 2).join(' ');
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }
    }
    if (process.env.DIFF_TIMING) console.log({ frames, lines, ms: Date.now() - started });
    return { frames, lines, kinds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Registers this file's half of the 1,040,000 frames (two test files run in parallel). */
export function differentialTest(seed: number): void {
  it(`C and TypeScript receivers: the same frames and errors, in order, on 520,000 random and mutated frames (seed ${seed.toString(16)})`, async () => {
    const { frames, kinds } = await differential(seed, 2, 260_000);
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
}
