/**
 * Storage model: capacity, clips kept until released (R22: freed only after the gateway verified
 * them), and the segment being written, which grows at the bitrate while recording.
 */
import type { StorageReading } from '../../protocol/common.js';
import type { StorageParams } from './profile.js';

export type { StorageReading };

export class StorageModel {
  readonly params: StorageParams;
  /** Bytes held by closed clips (and earlier content). */
  private committed: number;
  /** Bytes of the segment in progress; null when not writing. */
  private writing: number | null = null;
  private carry = 0;

  constructor(params: StorageParams) {
    this.params = params;
    this.committed = Math.min(params.initialUsedBytes, params.capacityBytes);
  }

  get totalBytes(): number {
    return this.params.capacityBytes;
  }

  get freeBytes(): number {
    return Math.max(0, this.params.capacityBytes - this.committed - (this.writing ?? 0));
  }

  get isFull(): boolean {
    return this.freeBytes <= 0;
  }

  get writingBytes(): number {
    return this.writing ?? 0;
  }

  /** Bytes per ms at the configured bitrate. */
  get bytesPerMs(): number {
    return this.params.bitrateBps / 8 / 1000;
  }

  beginSegment(): void {
    this.writing = 0;
    this.carry = 0;
  }

  /** The sensor writes for `ms`; stops at the end of the medium. */
  advance(ms: number): void {
    if (this.writing === null) return;
    const exact = this.bytesPerMs * ms + this.carry;
    const whole = Math.floor(exact);
    this.carry = exact - whole;
    const room = this.params.capacityBytes - this.committed - this.writing;
    this.writing += Math.max(0, Math.min(whole, room));
  }

  /** Ends the segment in progress and returns how many bytes it holds (not yet committed). */
  endSegment(): number {
    const n = this.writing ?? 0;
    this.writing = null;
    return n;
  }

  commit(bytes: number): void {
    this.committed = Math.min(this.params.capacityBytes, this.committed + bytes);
  }

  release(bytes: number): void {
    this.committed = Math.max(0, this.committed - bytes);
  }

  /** Fault injection: take space so that only `freeBytes` remain. */
  fillTo(freeBytes: number): void {
    this.committed = Math.max(0, this.params.capacityBytes - (this.writing ?? 0) - Math.max(0, freeBytes));
  }

  /** Time until full at the bitrate. */
  forecastFullMs(): number {
    return this.freeBytes / this.bytesPerMs;
  }
}
