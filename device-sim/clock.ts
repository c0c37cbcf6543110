/**
 * Simulation time. Everything in device-sim reads time and sets timers through a `Clock`, so the
 * same recorder code runs in real time (demo), faster than real time (`--speed`), or on a virtual
 * clock that a test advances by hand (a 10-hour shift in seconds).
 *
 * Network I/O is always real: a virtual clock only moves simulated time, and `runFor` yields to the
 * event loop between steps so sockets get serviced.
 */

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Simulated time, ms since the Unix epoch. */
  now(): number;
  /** Calls `fn` once, `ms` of simulated time from now. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
  /** Resolves after `ms` of simulated time. */
  sleep(ms: number): Promise<void>;
}

/** Wall-clock time, optionally sped up: simulated time runs `speed` times faster than real time. */
export class RealClock implements Clock {
  readonly speed: number;
  private readonly realStart: number;
  private readonly simStart: number;
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(opts: { speed?: number; start?: number } = {}) {
    this.speed = opts.speed ?? 1;
    if (!(this.speed > 0)) throw new RangeError(`speed must be > 0, got ${this.speed}`);
    this.realStart = Date.now();
    this.simStart = opts.start ?? this.realStart;
  }

  now(): number {
    return Math.floor(this.simStart + (Date.now() - this.realStart) * this.speed);
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, ms / this.speed),
    );
    this.timers.set(id, t);
    return { id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, ms));
  }
}

interface VirtualTimer {
  id: number;
  due: number;
  /** Insertion order breaks ties so timers due at the same instant fire in the order they were set. */
  order: number;
  fn: () => void;
}

const before = (a: VirtualTimer, b: VirtualTimer) => a.due < b.due || (a.due === b.due && a.order < b.order);

/** Binary min-heap on (due, order); cancelled timers are dropped lazily when they reach the top. */
class TimerHeap {
  private readonly a: VirtualTimer[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): VirtualTimer | undefined {
    return this.a[0];
  }

  push(t: VirtualTimer): void {
    const a = this.a;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): VirtualTimer | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Simulated time that moves only when told to. */
export class VirtualClock implements Clock {
  private t: number;
  private nextId = 1;
  private order = 0;
  private readonly heap = new TimerHeap();
  private readonly live = new Set<number>();

  constructor(start: number = Date.UTC(2025, 0, 6, 0, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.heap.push({ id, due: this.t + Math.max(0, ms), order: this.order++, fn });
    this.live.add(id);
    return { id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle) this.live.delete(handle.id);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, ms));
  }

  /** Number of timers waiting. */
  get pending(): number {
    return this.live.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, in due order, with `now()`
   * equal to each timer's due time while it runs. Timers set by a firing timer fire too if due.
   */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('cannot advance a clock backwards');
    const end = this.t + ms;
    for (;;) {
      const next = this.heap.peek();
      if (!next || next.due > end) break;
      this.heap.pop();
      if (!this.live.delete(next.id)) continue;
      this.t = next.due;
      next.fn();
    }
    this.t = end;
  }

  /**
   * Advances `ms` in steps of `stepMs`, yielding to the event loop after each step so network I/O
   * and promise continuations run between steps.
   */
  async runFor(ms: number, stepMs = 1000): Promise<void> {
    if (!(stepMs > 0)) throw new RangeError('stepMs must be > 0');
    const end = this.t + ms;
    while (this.t < end) {
      this.advance(Math.min(stepMs, end - this.t));
      await yieldToEventLoop();
    }
  }
}
