/**
 * The dock's hardware edge: a byte pipe to one docked recorder (node-serialport's binding idea).
 * Implementations: serialport (real ports and PTYs) and an in-memory pair for unit tests; both pass
 * test/contract/dock-binding.contract.ts.
 */
export interface CloseInfo {
  /** true when we closed it; false when the link was lost (unplug, peer gone, I/O error). */
  intended: boolean;
  error?: Error;
}

export interface DockPort {
  readonly path: string;
  readonly isOpen: boolean;
  /** Resolves once the bytes are accepted by the OS (waits for drain under back-pressure). */
  write(data: Uint8Array): Promise<void>;
  /** `chunk` may be a view of a reused receive buffer: it is valid only during the call. */
  onData(fn: (chunk: Uint8Array) => void): void;
  /** Called exactly once. */
  onClose(fn: (info: CloseInfo) => void): void;
  close(): Promise<void>;
}

export interface OpenOptions {
  baudRate: number;
  /**
   * Writes through a second, blocking descriptor of the port, waited for in libuv's thread pool:
   * the kernel then refills the port as it drains without a wake-up of the event loop per few KiB.
   * For a sender of bulk data (the simulated recorder's DATA, as firmware's TX path would); each
   * port holds a pool thread while its write waits, so not for a process that needs the pool.
   */
  blockingWrites?: boolean;
}

export interface DockBinding {
  open(path: string, opts: OpenOptions): Promise<DockPort>;
}

/** Shared close bookkeeping so every binding reports a close once, intended or not. */
export class CloseLatch {
  #closed = false;
  #info?: CloseInfo;
  readonly #fns: ((info: CloseInfo) => void)[] = [];
  intended = false;

  get closed(): boolean {
    return this.#closed;
  }

  on(fn: (info: CloseInfo) => void): void {
    if (this.#info) queueMicrotask(() => fn(this.#info!));
    else this.#fns.push(fn);
  }

  fire(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#info = { intended: this.intended, ...(error ? { error } : {}) };
    for (const fn of this.#fns.splice(0)) fn(this.#info);
  }
}
