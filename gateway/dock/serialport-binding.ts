/** DockBinding over the `serialport` package: real USB CDC ports and PTYs alike. */
import { SerialPortStream } from '@serialport/stream';
import { type CloseInfo, CloseLatch, type DockBinding, type DockPort, type OpenOptions } from './binding.js';
import { LoopIoBinding } from './loop-io-binding.js';

/** uv_poll interest bits of @serialport/bindings-cpp's Poller (UV_READABLE, UV_WRITABLE, UV_DISCONNECT). */
const POLL_EVENTS: Record<string, number> = { readable: 0b001, writable: 0b010, disconnect: 0b100 };
const PATCHED = Symbol.for('gateway.dock.pollerUnionPatched');

interface PollerLike {
  poll(flag: number): void;
  listenerCount(event: string): number;
}

/**
 * Works around a bindings-cpp 13 bug: `Poller.poll(flag)` restarts uv_poll with `flag` alone, so a
 * read arming "readable" drops a pending "writable" interest. A writer waiting for room then waits
 * until something else arrives to read, which in a request/response protocol never happens (both
 * ends wait: seen with large frames across processes on PTYs). Patched to always ask for the union
 * of every event someone still waits for.
 */
function patchPoller(port: SerialPortStream): void {
  const poller = (port.port as unknown as { poller?: PollerLike } | undefined)?.poller;
  if (!poller) return;
  const proto = Object.getPrototypeOf(poller) as PollerLike & { [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  const poll = proto.poll;
  proto.poll = function (this: PollerLike, flag = 0) {
    let all = flag;
    for (const [event, bit] of Object.entries(POLL_EVENTS)) if (this.listenerCount(event) > 0) all |= bit;
    poll.call(this, all);
  };
  proto[PATCHED] = true;
}

class SerialDockPort implements DockPort {
  readonly #latch = new CloseLatch();
  readonly #data: ((chunk: Uint8Array) => void)[] = [];

  constructor(
    readonly path: string,
    private readonly port: SerialPortStream,
  ) {
    // Always read: a hang-up is only noticed by a pending read.
    port.on('data', (chunk: Buffer) => {
      for (const fn of this.#data) fn(chunk);
    });
    port.on('close', (err?: Error & { disconnected?: boolean }) => this.#latch.fire(err ?? undefined));
    port.on('error', (err: Error) => {
      this.#latch.fire(err);
      if (port.isOpen) port.close(() => {});
    });
  }

  get isOpen(): boolean {
    return this.port.isOpen && !this.#latch.closed;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error(`${this.path} is closed`));
    return new Promise((resolve, reject) => {
      const ok = this.port.write(data, (err) => {
        if (err) reject(err);
      });
      if (ok) resolve();
      else this.#drained().then(resolve, reject);
    });
  }

  /** One shared wait for 'drain' however many writers are queued (no listener per write). */
  #drain: Promise<void> | undefined;
  #drained(): Promise<void> {
    this.#drain ??= new Promise<void>((resolve, reject) => {
      const onClose = () => {
        this.port.off('drain', onDrain);
        this.#drain = undefined;
        reject(new Error(`${this.path} closed while writing`));
      };
      const onDrain = () => {
        this.port.off('close', onClose);
        this.#drain = undefined;
        resolve();
      };
      this.port.once('close', onClose);
      this.port.once('drain', onDrain);
    });
    return this.#drain;
  }

  onData(fn: (chunk: Uint8Array) => void): void {
    this.#data.push(fn);
  }

  onClose(fn: (info: CloseInfo) => void): void {
    this.#latch.on(fn);
  }

  close(): Promise<void> {
    this.#latch.intended = true;
    if (!this.port.isOpen) {
      this.#latch.fire();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}

export class SerialPortBinding implements DockBinding {
  open(path: string, opts: OpenOptions): Promise<DockPort> {
    return new Promise((resolve, reject) => {
      const port = new SerialPortStream({
        binding: LoopIoBinding,
        path,
        baudRate: opts.baudRate,
        autoOpen: false,
        hupcl: false,
      });
      port.open((err) => {
        if (err) return reject(err);
        patchPoller(port);
        resolve(new SerialDockPort(path, port));
      });
    });
  }
}
