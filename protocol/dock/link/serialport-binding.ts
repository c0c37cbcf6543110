/**
 * DockBinding over serialport's binding layer (@serialport/bindings-cpp): real USB CDC ports and
 * PTYs alike. The port is driven through the binding interface directly (open, read, write,
 * close — node-serialport's own abstraction), not through its Node stream: the dock link is a
 * byte pipe whose reader copies every byte at once (the frame parser), so one receive buffer is
 * reused for every read instead of a fresh 64 KiB pool per 16 reads, and no stream machinery runs
 * per 4 KiB. That, with reads and writes on the loop (loop-io-binding.ts), is what lets ingest
 * approach the raw speed of the port (`npm run bench -- ingest`).
 */
import { close as closeFd, constants, open as openFd, readSync, write as writeFd } from 'node:fs';
import { promisify } from 'node:util';
import type { LinuxPortBinding } from '@serialport/bindings-cpp';
import { SerialPort } from 'serialport';
import { type CloseInfo, CloseLatch, type DockBinding, type DockPort, type OpenOptions } from './binding.js';
import { LoopIoBinding, wouldBlock } from './loop-io-binding.js';

/** uv_poll interest bits of @serialport/bindings-cpp's Poller (UV_READABLE, UV_WRITABLE, UV_DISCONNECT). */
const POLL_EVENTS = [
  ['readable', 0b001],
  ['writable', 0b010],
  ['disconnect', 0b100],
] as const;
const PATCHED = Symbol.for('gateway.dock.pollerUnionPatched');
const POLL_READABLE = 0b001;
/** One read takes what the kernel has, up to this (a PTY gives ~4 KiB, USB CDC up to 16 KiB). */
const READ_BYTES = 64 * 1024;
/**
 * Reads per readable event at most, so one busy port cannot hold the loop. A tty hands out at most
 * its line discipline's 4 KiB buffer per read (4095 bytes when full) and refills it from its queue
 * at once, so after a full read there is usually more: reading on takes ~6 reads per wake-up
 * instead of one (measured on socat PTY pairs). A shorter read drained it: wait for the poller
 * rather than pay for an EAGAIN (an exception, in readSync).
 */
const READS_PER_WAKE = 16;
const FULL_TTY_READ = 4095;

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
function patchPoller(binding: LinuxPortBinding): void {
  const poller = (binding as unknown as { poller?: PollerLike }).poller;
  if (!poller) return;
  const proto = Object.getPrototypeOf(poller) as PollerLike & { [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  const poll = proto.poll;
  proto.poll = function (this: PollerLike, flag = 0) {
    let all = flag;
    for (let i = 0; i < POLL_EVENTS.length; i++) {
      const [event, bit] = POLL_EVENTS[i]!;
      if (this.listenerCount(event) > 0) all |= bit;
    }
    poll.call(this, all);
  };
  proto[PATCHED] = true;
}

class SerialDockPort implements DockPort {
  readonly #latch = new CloseLatch();
  readonly #data: ((chunk: Uint8Array) => void)[] = [];
  readonly #buf = Buffer.allocUnsafe(READ_BYTES);
  /** Writes leave in call order, one at a time. */
  #writes: Promise<void> = Promise.resolve();
  /** Set once the binding is being closed (by us or after the link was lost). */
  #closing: Promise<void> | undefined;

  /** A blocking descriptor for writes (OpenOptions.blockingWrites), or undefined. */
  #txFd: number | undefined;

  constructor(
    readonly path: string,
    private readonly binding: LinuxPortBinding,
    onLoop: boolean,
    txFd?: number,
  ) {
    this.#txFd = txFd;
    // Always read: a hang-up is only noticed by a pending read.
    if (onLoop) {
      // One listener for the port's life (no wrapper per read); each event is asked for again.
      binding.poller.on('readable', (err?: Error | null) => this.#onReadable(err));
      this.#armRead();
    } else void this.#readLoop();
  }

  /**
   * Linux: wait for the poller, then read what the kernel has right here, synchronously, and hand
   * it out; no promise or thread hop per read (a PTY gives ~4 KiB per read, so this runs ~250
   * times per MiB). The native poller reports an event once per request.
   */
  #armRead(): void {
    // Never touch the poller of a closed port: bindings-cpp destroys it on close (native crash).
    if (!this.isOpen) return;
    try {
      this.binding.poller.poll(POLL_READABLE);
    } catch (err) {
      // uv_poll_start failed (the descriptor went bad): the link is lost, the gateway goes on.
      this.#lost(err as Error);
    }
  }

  #onReadable(err?: Error | null): void {
    if (this.#latch.closed || this.#closing) return;
    if (err) {
      this.#lost(err);
      return;
    }
    const buf = this.#buf;
    for (let i = 0; i < READS_PER_WAKE; i++) {
      const fd = this.binding.fd;
      if (fd === null || !this.isOpen) return;
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if (wouldBlock(e)) break;
        this.#lost(e as Error);
        return;
      }
      if (n === 0) {
        // Readable yet nothing to read: end of file, the other end hung up.
        if (i === 0) {
          this.#lost(new Error('end of file: the port hung up'));
          return;
        }
        break;
      }
      const chunk = buf.subarray(0, n);
      for (const fn of this.#data) fn(chunk);
      if (this.#latch.closed) return;
      if (n < FULL_TTY_READ) break;
    }
    this.#armRead();
  }

  get isOpen(): boolean {
    return this.binding.isOpen && !this.#latch.closed && !this.#closing;
  }

  async #readLoop(): Promise<void> {
    const buf = this.#buf;
    try {
      while (this.isOpen) {
        const { bytesRead } = await this.binding.read(buf, 0, buf.length);
        if (this.#latch.closed) return;
        const chunk = buf.subarray(0, bytesRead);
        for (const fn of this.#data) fn(chunk);
      }
    } catch (err) {
      const e = err as Error & { canceled?: boolean };
      // Canceled = we closed the port ourselves (the latch already says intended).
      this.#lost(e.canceled ? undefined : e);
    }
  }

  #lost(err?: Error): void {
    if (this.#latch.closed) return;
    this.#latch.fire(err);
    this.#closeBinding();
  }

  /**
   * Closes the binding once. Never from inside its own close: bindings-cpp's close stops the
   * poller, which calls the pending 'readable' listener synchronously (canceled), and a second
   * close there would destroy the native poller twice.
   */
  #closeBinding(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => queueMicrotask(resolve)).then(async () => {
      const tx = this.#txFd;
      this.#txFd = undefined;
      // Closed after the writes queued so far, not under them; close does not wait for that (a
      // write blocked on a port nobody reads ends with the link: the hang-up fails it).
      if (tx !== undefined) void this.#writes.finally(() => closeAsync(tx).catch(() => {}));
      if (this.binding.isOpen) await this.binding.close().catch(() => {});
    });
    return this.#closing;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error(`${this.path} is closed`));
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const op = this.#writes.then(() => {
      if (!this.isOpen) throw new Error(`${this.path} closed while writing`);
      return this.#txFd === undefined ? this.binding.write(buf) : writeAllBlocking(this.#txFd, buf);
    });
    this.#writes = op.catch((err: Error) => this.#lost(err));
    return op;
  }

  /** The chunk is valid only during the call (the receive buffer is reused): copy what you keep. */
  onData(fn: (chunk: Uint8Array) => void): void {
    this.#data.push(fn);
  }

  onClose(fn: (info: CloseInfo) => void): void {
    this.#latch.on(fn);
  }

  async close(): Promise<void> {
    this.#latch.intended = true;
    await this.#closeBinding();
    this.#latch.fire();
  }
}

const writeAsync = promisify(writeFd);
const closeAsync = promisify(closeFd);
const openAsync = promisify(openFd);

/** The whole buffer through a blocking descriptor (the thread pool waits; the loop does not). */
async function writeAllBlocking(fd: number, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; )
    off += (await writeAsync(fd, buf, off, buf.length - off)).bytesWritten;
}

export class SerialPortBinding implements DockBinding {
  async open(path: string, opts: OpenOptions): Promise<DockPort> {
    // Elsewhere than Linux (a developer's Mac): serialport's own binding, I/O in its thread pool.
    const o = { path, baudRate: opts.baudRate, hupcl: false };
    const onLinux = process.platform === 'linux';
    const binding = (
      onLinux ? await LoopIoBinding.open(o) : await SerialPort.binding.open(o)
    ) as LinuxPortBinding;
    patchPoller(binding);
    let tx: number | undefined;
    if (opts.blockingWrites && onLinux) {
      try {
        // A second open file description of the same port, without O_NONBLOCK (settings are the
        // port's, made by the first open); O_NOCTTY so it never becomes our controlling terminal.
        tx = await openAsync(path, constants.O_WRONLY | constants.O_NOCTTY);
      } catch (err) {
        await binding.close().catch(() => {});
        throw err;
      }
    }
    return new SerialDockPort(path, binding, onLinux, tx);
  }
}
