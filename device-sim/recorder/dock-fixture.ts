/**
 * A simulated recorder that already holds clips of chosen sizes, ready to dock: for dock tests,
 * the ingest benchmark and demos. Clip bytes are deterministic (SyntheticClipSource) or real
 * H.264 MP4 (any ClipSource given).
 */
import type { Officer } from '../../protocol/common.js';
import { type TimerHandle, VirtualClock } from '../clock.js';
import { type ClipContent, type ClipSource, type ClipSpec, SyntheticClipSource } from './clip-source.js';
import { SimHardware } from './hardware.js';
import { RecorderProfile, type RecorderProfileInput } from './profile.js';
import { Recorder } from './recorder.js';
import { SeededRng } from './rng.js';

export interface RecorderWithClipsSpec {
  serial: string;
  /** One clip per entry, of exactly this many bytes (synthetic source), oldest first. */
  clipBytes: number[];
  seed?: string | number;
  /** Device clock error at the start (ms, positive: ahead). */
  clockOffsetMs?: number;
  driftPpm?: number;
  /** Seconds each clip lasts (default 60). */
  clipSeconds?: number;
  /** Device time the first clip starts (default: long enough ago that all clips are in the past). */
  start?: number;
  officer?: Officer;
  profile?: RecorderProfileInput;
  /** Content source; default synthetic bytes of the sizes given. */
  clips?: ClipSource;
  /** Synthetic bytes held in memory once made (SyntheticClipSource `hold`). */
  holdContent?: boolean;
  /** Recorder instance id (part of its clip ids; default random). */
  instanceId?: string;
}

/**
 * Virtual while the clips are made (minutes of recording in no time), then real time from where
 * it stood: the docked recorder's clock runs on like a real one.
 */
export class ThenRealClock extends VirtualClock {
  #live: { sim: number; real: number } | undefined;
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #nextId = 1_000_000;

  goLive(): void {
    this.#live ??= { sim: super.now(), real: Date.now() };
  }

  override now(): number {
    const l = this.#live;
    return l ? l.sim + (Date.now() - l.real) : super.now();
  }

  override setTimer(fn: () => void, ms: number): TimerHandle {
    if (!this.#live) return super.setTimer(fn, ms);
    const id = this.#nextId++;
    const t = setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, ms);
    t.unref();
    this.#timers.set(id, t);
    return { id };
  }

  override clearTimer(handle: TimerHandle | undefined): void {
    const t = handle && this.#timers.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.#timers.delete(handle.id);
    } else super.clearTimer(handle);
  }
}

/** Gives each produced clip the next size from a list (the synthetic source sizes by bitrate otherwise). */
class SizedClipSource implements ClipSource {
  readonly #inner: ClipSource;
  readonly #sizes: number[];

  constructor(inner: ClipSource, sizes: number[]) {
    this.#inner = inner;
    this.#sizes = [...sizes];
  }

  produce(spec: ClipSpec): Promise<ClipContent> {
    const n = this.#sizes.shift();
    return this.#inner.produce(n === undefined ? spec : { ...spec, nominalBytes: n });
  }

  read(clipId: string, offset: number, length: number) {
    return this.#inner.read(clipId, offset, length);
  }

  stream(clipId: string, start?: number) {
    return this.#inner.stream(clipId, start);
  }

  release(clipId: string) {
    return this.#inner.release(clipId);
  }

  close() {
    return this.#inner.close();
  }
}

export async function recorderWithClips(
  spec: RecorderWithClipsSpec,
): Promise<{ recorder: Recorder; clock: ThenRealClock }> {
  const seconds = spec.clipSeconds ?? 60;
  const n = spec.clipBytes.length;
  // Recording ends about now (device clock error aside).
  const start = spec.start ?? Date.now() - Math.max(0, n * seconds * 1000 - 500);
  const clock = new ThenRealClock(start);
  const profile = RecorderProfile.parse({
    ...spec.profile,
    segmentSeconds: seconds,
    clock: { offsetMs: spec.clockOffsetMs ?? 0, driftPpm: spec.driftPpm ?? 0 },
    // Nominal size per segment is irrelevant: the sized source decides.
    storage: { bitrateBps: 8000, ...spec.profile?.storage },
  });
  const inner =
    spec.clips ??
    new SyntheticClipSource({ seed: spec.seed ?? spec.serial, hold: spec.holdContent ?? false });
  const hw = new SimHardware({
    clock,
    profile,
    clips: spec.clips ? inner : new SizedClipSource(inner, spec.clipBytes),
    rng: new SeededRng(String(spec.seed ?? spec.serial)),
  });
  const recorder = new Recorder({
    serial: spec.serial,
    hardware: hw,
    profile,
    initialState: 'idle',
    ...(spec.instanceId ? { instanceId: spec.instanceId } : {}),
  });
  if (spec.officer) recorder.pair(spec.officer);
  if (n > 0) {
    recorder.startSession({ activity: 'inspection', caseNo: `CASE-${spec.serial}` });
    recorder.marker('notice-given');
    // The segment timer rolls a new clip every `seconds`; the last one closes with the session.
    clock.advance(n * seconds * 1000 - 500);
    recorder.endSession();
    await recorder.settled();
  }
  clock.goLive();
  return { recorder, clock };
}
