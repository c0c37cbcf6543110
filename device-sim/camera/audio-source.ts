import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';

/**
 * A camera microphone: one ffmpeg child generating a tone (lavfi `sine`, as the picture is
 * generated) encoded as G.711 (RFC 3551 §4.5.14: PCMA payload type 8, PCMU 0, 8000 Hz, one byte a
 * sample), cut into 20 ms RTP payloads. `timeMs` follows the sample count from the first byte on
 * the `performance.now()` clock, so RTP timestamps advance exactly 160 per packet.
 */
export type G711 = 'pcma' | 'pcmu';

export const G711_PAYLOAD_TYPE: Record<G711, number> = { pcma: 8, pcmu: 0 };
export const G711_CLOCK_RATE = 8000;
const PACKET_SAMPLES = 160;

export interface AudioPacket {
  readonly timeMs: number;
  readonly payload: Buffer;
}

export class AudioSource extends EventEmitter<{ packet: [AudioPacket] }> {
  readonly codec: G711;
  #child: ChildProcess | undefined;
  #pending = Buffer.alloc(0);
  #t0 = 0;
  #samples = 0;

  constructor(
    codec: G711,
    private readonly ffmpegPath = 'ffmpeg',
  ) {
    super();
    this.codec = codec;
    // One listener per camera sharing it (a fleet of 16 and more).
    this.setMaxListeners(0);
  }

  get payloadType(): number {
    return G711_PAYLOAD_TYPE[this.codec];
  }

  get isRunning(): boolean {
    return this.#child !== undefined;
  }

  start(): void {
    if (this.#child) return;
    const fmt = this.codec === 'pcma' ? 'alaw' : 'mulaw';
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
        'sine=frequency=440:sample_rate=8000',
        '-ac',
        '1',
        '-f',
        fmt,
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
      while (this.#pending.length >= PACKET_SAMPLES) {
        const payload = this.#pending.subarray(0, PACKET_SAMPLES);
        this.#pending = this.#pending.subarray(PACKET_SAMPLES);
        const timeMs = this.#t0 + (this.#samples * 1000) / G711_CLOCK_RATE;
        this.#samples += PACKET_SAMPLES;
        this.emit('packet', { timeMs, payload: Buffer.from(payload) });
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
