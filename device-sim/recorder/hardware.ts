/**
 * The hardware contract the recorder firmware runs on (STYLE.md, after node-serialport's binding):
 * the protocol engine in `recorder.ts` only sees this interface. `SimHardware` is the simulated
 * body camera; a companion process on a real recorder could implement the same hooks.
 */
import type { RecorderState } from '../../protocol/common.js';
import type { Clock } from '../clock.js';
import { BatteryModel, type BatteryReading } from './battery.js';
import type { ClipSource } from './clip-source.js';
import { DeviceClock } from './device-clock.js';
import type { RecorderProfile } from './profile.js';
import type { Rng } from './rng.js';
import { StorageModel, type StorageReading } from './storage.js';

export type { BatteryReading } from './battery.js';
export type { StorageReading } from './storage.js';

export interface Position {
  lat: number;
  lon: number;
  accM: number;
}

export interface RecorderHardware {
  /** Simulated (or real) time, for the firmware's timers. */
  readonly clock: Clock;
  /** The recorder's own clock, which stamps everything it reports. */
  readonly deviceClock: DeviceClock;
  readonly clips: ClipSource;
  /** The firmware's state drives power draw, charging and whether the sensor writes. */
  setState(state: RecorderState): void;
  battery(): BatteryReading;
  storage(): StorageReading;
  /** Time left on the battery at the draw of `state`, ms. */
  batteryForecastMs(state: RecorderState): number;
  /** The sensor starts writing a new segment. */
  beginSegment(): void;
  /** The sensor stops; returns how many bytes the segment took. */
  endSegment(): number;
  /** Space taken by a kept clip. */
  commitClip(bytes: number): void;
  /** Space given back when a clip is released. */
  releaseClip(bytes: number): void;
  position(): Position | undefined;
  signalDbm(): number | undefined;
}

/** A simulated body camera: battery and storage models integrated over simulated time. */
export class SimHardware implements RecorderHardware {
  readonly clock: Clock;
  readonly deviceClock: DeviceClock;
  readonly clips: ClipSource;
  readonly batteryModel: BatteryModel;
  readonly storageModel: StorageModel;
  private readonly rng: Rng;
  private last: number;
  private pos: { lat: number; lon: number };

  constructor(opts: { clock: Clock; profile: RecorderProfile; clips: ClipSource; rng: Rng }) {
    this.clock = opts.clock;
    this.clips = opts.clips;
    this.rng = opts.rng;
    this.deviceClock = new DeviceClock(opts.clock, opts.profile.clock);
    this.batteryModel = new BatteryModel(opts.profile.battery);
    this.storageModel = new StorageModel(opts.profile.storage);
    this.pos = { ...opts.profile.position };
    this.last = opts.clock.now();
  }

  /** Brings the models up to the present simulated time. */
  sync(): void {
    const now = this.clock.now();
    const dt = now - this.last;
    if (dt <= 0) return;
    this.last = now;
    this.batteryModel.advance(dt);
    this.storageModel.advance(dt);
  }

  setState(state: RecorderState): void {
    this.sync();
    this.batteryModel.setState(state);
  }

  battery(): BatteryReading {
    this.sync();
    return this.batteryModel.reading();
  }

  storage(): StorageReading {
    this.sync();
    return { totalBytes: this.storageModel.totalBytes, freeBytes: this.storageModel.freeBytes };
  }

  batteryForecastMs(state: RecorderState): number {
    this.sync();
    return this.batteryModel.forecastEmptyMs(state);
  }

  beginSegment(): void {
    this.sync();
    this.storageModel.beginSegment();
  }

  endSegment(): number {
    this.sync();
    return this.storageModel.endSegment();
  }

  commitClip(bytes: number): void {
    this.storageModel.commit(bytes);
  }

  releaseClip(bytes: number): void {
    this.storageModel.release(bytes);
  }

  position(): Position {
    // A slow random walk: an officer moving around a site.
    this.pos.lat = clamp(this.pos.lat + (this.rng.next() - 0.5) * 2e-4, -90, 90);
    this.pos.lon = clamp(this.pos.lon + (this.rng.next() - 0.5) * 2e-4, -180, 180);
    return {
      lat: round6(this.pos.lat),
      lon: round6(this.pos.lon),
      accM: Math.round(3 + this.rng.next() * 12),
    };
  }

  signalDbm(): number {
    return Math.round(-65 - this.rng.next() * 40);
  }

  /** Fault injection: leave only enough charge for `ms` in `state`. */
  drainBattery(ms: number, state: RecorderState): void {
    this.sync();
    this.batteryModel.drainToLast(ms, state);
  }

  /** Fault injection: leave only enough space for `ms` of recording. */
  fillStorage(ms: number): void {
    this.sync();
    this.storageModel.fillTo(Math.floor(ms * this.storageModel.bytesPerMs));
  }
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
