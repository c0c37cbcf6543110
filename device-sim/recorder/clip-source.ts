/**
 * Where a recorder's clip content comes from. The firmware asks for a clip when a segment closes,
 * then reports its byte count and sha256; the dock side later reads it back by (clipId, offset,
 * length). Implementations: `SyntheticClipSource` (deterministic bytes, any size, nothing held in
 * memory unless asked to) and `FfmpegClipSource` (real H.264 MP4 files).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeviceSimError } from './errors.js';

export interface ClipSpec {
  clipId: string;
  sessionId: string;
  /** Device times of the segment. */
  start: number;
  end: number;
  /** Size the sensor wrote at the configured bitrate; a source may produce another size. */
  nominalBytes: number;
}

export interface ClipContent {
  bytes: number;
  sha256: string;
  mediaType: string;
}

export interface ClipSource {
  /** Makes the clip's content and returns its real size and hash. */
  produce(spec: ClipSpec): Promise<ClipContent>;
  /** Up to `length` bytes from `offset` (fewer at the end of the clip). */
  read(clipId: string, offset: number, length: number): Promise<Buffer>;
  /** The whole clip from `start`, as a stream. */
  stream(clipId: string, start?: number): Readable;
  /** Forgets the clip (storage freed on the device). */
  release(clipId: string): Promise<void>;
  /** Stops background work and removes temporary files. */
  close(): Promise<void>;
}

const CHUNK = 1 << 20;
const ZERO = Buffer.alloc(CHUNK);

interface SyntheticClip {
  key: Buffer;
  bytes: number;
  /** The content, when held in memory (`hold`). */
  held?: Buffer;
}

/**
 * Clip bytes are an AES-256-CTR keystream keyed by sha256(seed, clipId): the same seed and clipId
 * always give the same bytes, and any offset can be read without generating what precedes it.
 */
export class SyntheticClipSource implements ClipSource {
  private readonly seed: string;
  private readonly clips = new Map<string, SyntheticClip>();
  /** Caps the content size (tests, high fleet speeds); 0 = no cap. */
  private readonly maxBytes: number;
  private readonly hold: boolean;

  /**
   * `hold`: keep each clip's bytes in memory once made, so a read is a view of them, as a read
   * of the recorder's flash is a DMA transfer and not CPU work; for a few clips (the ingest bench),
   * not a fleet.
   */
  constructor(opts: { seed?: string | number; maxBytes?: number; hold?: boolean } = {}) {
    this.seed = String(opts.seed ?? 'device-sim');
    this.maxBytes = opts.maxBytes ?? 0;
    this.hold = opts.hold ?? false;
  }

  async produce(spec: ClipSpec): Promise<ClipContent> {
    const key = createHash('sha256').update(`${this.seed}\0${spec.clipId}`).digest();
    const bytes = this.maxBytes > 0 ? Math.min(spec.nominalBytes, this.maxBytes) : spec.nominalBytes;
    const clip: SyntheticClip = { key, bytes };
    this.clips.set(spec.clipId, clip);
    const hash = createHash('sha256');
    const held: Buffer[] = [];
    for await (const chunk of this.stream(spec.clipId)) {
      hash.update(chunk as Buffer);
      if (this.hold) held.push(chunk as Buffer);
    }
    if (this.hold) clip.held = Buffer.concat(held, bytes);
    return { bytes, sha256: hash.digest('hex'), mediaType: 'application/octet-stream' };
  }

  async read(clipId: string, offset: number, length: number): Promise<Buffer> {
    const clip = this.get(clipId);
    checkRange(clipId, offset, length, clip.bytes);
    const n = Math.min(length, clip.bytes - offset);
    return clip.held ? clip.held.subarray(offset, offset + n) : keystream(clip.key, offset, n);
  }

  stream(clipId: string, start = 0): Readable {
    const clip = this.get(clipId);
    checkRange(clipId, start, 0, clip.bytes);
    let pos = start;
    return new Readable({
      read() {
        if (pos >= clip.bytes) {
          this.push(null);
          return;
        }
        const n = Math.min(CHUNK, clip.bytes - pos);
        const chunk = keystream(clip.key, pos, n);
        pos += n;
        // Yield between chunks so hashing a large clip does not starve the event loop.
        setImmediate(() => this.push(chunk));
      },
    });
  }

  async release(clipId: string): Promise<void> {
    this.clips.delete(clipId);
  }

  async close(): Promise<void> {
    this.clips.clear();
  }

  private get(clipId: string): SyntheticClip {
    const c = this.clips.get(clipId);
    if (!c) throw new DeviceSimError('UNKNOWN_CLIP', `no clip ${clipId}`);
    return c;
  }
}

function checkRange(clipId: string, offset: number, length: number, size: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset > size) {
    throw new DeviceSimError('OUT_OF_RANGE', `clip ${clipId}: offset ${offset} length ${length} of ${size}`);
  }
}

function keystream(key: Buffer, offset: number, length: number): Buffer {
  const block = Math.floor(offset / 16);
  const skip = offset - block * 16;
  const iv = Buffer.alloc(16);
  // 128-bit big-endian block counter; clips stay far below 2^53 bytes.
  iv.writeUInt32BE(Math.floor(block / 2 ** 32), 8);
  iv.writeUInt32BE(block >>> 0, 12);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const out: Buffer[] = [];
  let need = skip + length;
  while (need > 0) {
    const n = Math.min(need, CHUNK);
    out.push(cipher.update(ZERO.subarray(0, n)));
    need -= n;
  }
  const all = out.length === 1 ? out[0]! : Buffer.concat(out);
  return all.subarray(skip, skip + length);
}
