/** DockBinding over the `serialport` package: real USB CDC ports and PTYs alike. */
import { SerialPort } from 'serialport';
import { type CloseInfo, CloseLatch, type DockBinding, type DockPort, type OpenOptions } from './binding.js';

class SerialDockPort implements DockPort {
  readonly #latch = new CloseLatch();
  readonly #data: ((chunk: Uint8Array) => void)[] = [];

  constructor(
    readonly path: string,
    private readonly port: SerialPort,
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
      else {
        const onClose = () => reject(new Error(`${this.path} closed while writing`));
        this.port.once('close', onClose);
        this.port.once('drain', () => {
          this.port.off('close', onClose);
          resolve();
        });
      }
    });
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
      const port = new SerialPort({ path, baudRate: opts.baudRate, autoOpen: false, hupcl: false });
      port.open((err) => (err ? reject(err) : resolve(new SerialDockPort(path, port))));
    });
  }
}
