/** In-memory DockBinding for unit tests: `pair(path)` creates two linked ends; `unplug(path)` loses the link. */
import { type CloseInfo, CloseLatch, type DockBinding, type DockPort } from './binding.js';

class MemoryPort implements DockPort {
  readonly latch = new CloseLatch();
  peer?: MemoryPort;
  readonly #data: ((chunk: Uint8Array) => void)[] = [];

  constructor(readonly path: string) {}

  get isOpen(): boolean {
    return !this.latch.closed;
  }

  async write(data: Uint8Array): Promise<void> {
    if (!this.isOpen) throw new Error(`${this.path} is closed`);
    const peer = this.peer;
    const copy = Uint8Array.from(data);
    // Deliver asynchronously, as a real port would.
    setImmediate(() => {
      if (peer?.isOpen) for (const fn of peer.#data) fn(copy);
    });
  }

  onData(fn: (chunk: Uint8Array) => void): void {
    this.#data.push(fn);
  }

  onClose(fn: (info: CloseInfo) => void): void {
    this.latch.on(fn);
  }

  async close(): Promise<void> {
    this.latch.intended = true;
    this.latch.fire();
    this.peer?.latch.fire();
  }
}

export class MemoryBinding implements DockBinding {
  readonly #ports = new Map<string, MemoryPort>();

  /** Makes a linked pair; the gateway opens `path`, the device side gets the returned port. */
  pair(path: string): DockPort {
    const a = new MemoryPort(path);
    const b = new MemoryPort(`${path}#device`);
    a.peer = b;
    b.peer = a;
    this.#ports.set(path, a);
    return b;
  }

  /** The link is lost: both ends see an unintended close. */
  unplug(path: string): void {
    const p = this.#ports.get(path);
    p?.latch.fire(new Error('disconnected'));
    p?.peer?.latch.fire(new Error('disconnected'));
    this.#ports.delete(path);
  }

  async open(path: string): Promise<DockPort> {
    const p = this.#ports.get(path);
    if (!p?.isOpen) throw new Error(`no such port ${path}`);
    return p;
  }
}
