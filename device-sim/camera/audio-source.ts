import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';

/**
 * A camera microphone: one ffmpeg child generating a tone (lavfi `sine`, as the picture is
 * generated), encoded as G.711 (RFC 3551 §4.5.14: PCMA payload type 8, PCMU 0, 8000 Hz, one byte a
 * sample, 20 ms RTP payloads) or as AAC-LC (16 kHz mono, one 1024-sample frame per RTP payload in
 * the RFC 3640 AAC-hbr mode, dynamic payload type 97). `timeMs` follows the sample count from the
 * first byte on the `performance.now()` clock, so RTP timestamps advance exactly one packet's
 * samples per packet.
 */
export type AudioCodec = 'pcma' | 'pcmu' | 'aac';
export type G711 = 'pcma' | 'pcmu';

export const G711_PAYLOAD_TYPE: Record<G711, number> = { pcma: 8, pcmu: 0 };
export const G711_CLOCK_RATE = 8000;
const G711_PACKET_SAMPLES = 160;
const AAC_RATE = 16_000;
const AAC_FRAME_SAMPLES = 1024;
const AAC_PAYLOAD_TYPE = 97;
/** AudioSpecificConfig (ISO 14496-3 §1.6.2.1): AAC-LC (2), 16 kHz (index 8), mono. */
const AAC_CONFIG = '1408';

export interface AudioPacket {
  readonly timeMs: number;
  /** The RTP payload, ready to send. */
  readonly payload: Buffer;
  /** RTP marker bit (set on each AAC access unit, RFC 3640 §3.2.1; never for G.711). */
  readonly marker: boolean;
}

export class AudioSource extends EventEmitter<{ packet: [AudioPacket] }> {
  readonly codec: AudioCodec;
  #child: ChildProcess | undefined;
  #pending = Buffer.alloc(0);
  #t0 = 0;
  #samples = 0;

  constructor(
    codec: AudioCodec,
    private readonly ffmpegPath = 'ffmpeg',
  ) {
    super();
    this.codec = codec;
    // One listener per camera sharing it (a fleet of 16 and more).
    this.setMaxListeners(0);
  }

  get payloadType(): number {
    return this.codec === 'aac' ? AAC_PAYLOAD_TYPE : G711_PAYLOAD_TYPE[this.codec];
  }

  get clockRate(): number {
    return this.codec === 'aac' ? AAC_RATE : G711_CLOCK_RATE;
  }

  /** The SDP media lines after `m=` (rtpmap, and fmtp for AAC: RFC 3640 §4.1). */
  sdpAttributes(): string[] {
    const pt = this.payloadType;
    if (this.codec !== 'aac') return [`a=rtpmap:${pt} ${this.codec.toUpperCase()}/${G711_CLOCK_RATE}`];
    return [
      `a=rtpmap:${pt} MPEG4-GENERIC/${AAC_RATE}/1`,
      `a=fmtp:${pt} streamtype=5;profile-level-id=15;mode=AAC-hbr;config=${AAC_CONFIG};` +
        'sizelength=13;indexlength=3;indexdeltalength=3',
    ];
  }

  get isRunning(): boolean {
    return this.#child !== undefined;
  }

  start(): void {
    if (this.#child) return;
    const aac = this.codec === 'aac';
    const encode = aac
      ? ['-c:a', 'aac', '-b:a', '32k', '-f', 'adts']
      : ['-f', this.codec === 'pcma' ? 'alaw' : 'mulaw'];
    const child = spawn(
      this.ffmpegPath,
      [
        '-hide_banner',
        '-nostats',
        '-loglevel',
        'error',
        '-nostdin',
        '-re',
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=440:sample_rate=${this.clockRate}`,
        '-ac',
        '1',
        ...encode,
        '-flush_packets',
        '1',
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    this.#child = child;
    this.#samples = 0;
    this.#pending = Buffer.alloc(0);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (this.#samples === 0 && this.#pending.length === 0) this.#t0 = performance.now();
      this.#pending = Buffer.concat([this.#pending, chunk]);
      for (;;) {
        const next = aac ? adtsFrame(this.#pending) : g711Packet(this.#pending);
        if (!next) break;
        this.#pending = this.#pending.subarray(next.used);
        if (next.payload.length === 0) continue;
        const timeMs = this.#t0 + (this.#samples * 1000) / this.clockRate;
        this.#samples += aac ? AAC_FRAME_SAMPLES : G711_PACKET_SAMPLES;
        this.emit('packet', { timeMs, payload: next.payload, marker: aac });
      }
    });
    child.on('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    child.on('error', () => {});
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

function g711Packet(buf: Buffer): { used: number; payload: Buffer } | null {
  if (buf.length < G711_PACKET_SAMPLES) return null;
  return { used: G711_PACKET_SAMPLES, payload: Buffer.from(buf.subarray(0, G711_PACKET_SAMPLES)) };
}

/**
 * One ADTS frame (ISO 14496-3 §1.A.2) as an RFC 3640 AAC-hbr payload: AU-headers-length (16 bits),
 * one AU-header (13-bit size, 3-bit index 0), the raw frame. Garbage before a sync word is skipped.
 */
export function adtsFrame(buf: Buffer): { used: number; payload: Buffer } | null {
  let at = 0;
  while (at + 1 < buf.length && !(buf[at] === 0xff && (buf[at + 1]! & 0xf6) === 0xf0)) at++;
  if (at + 7 > buf.length) return null;
  const headerLen = buf[at + 1]! & 0x01 ? 7 : 9;
  const frameLen = ((buf[at + 3]! & 0x03) << 11) | (buf[at + 4]! << 3) | (buf[at + 5]! >> 5);
  if (frameLen < headerLen) return { used: at + 2, payload: Buffer.alloc(0) };
  if (at + frameLen > buf.length) return null;
  const raw = buf.subarray(at + headerLen, at + frameLen);
  const payload = Buffer.alloc(4 + raw.length);
  payload.writeUInt16BE(16, 0);
  payload.writeUInt16BE(raw.length << 3, 2);
  raw.copy(payload, 4);
  return { used: at + frameLen, payload };
}
