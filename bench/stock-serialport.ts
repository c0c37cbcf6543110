/**
 * The `serialport` package exactly as shipped (its Node stream over the autodetected binding), as
 * a DockBinding: the raw baseline `npm run bench -- ingest` compares with, as issue #4 defines it
 * ("streaming the same bytes through serialport on a PTY pair ... with no protocol"). The gateway
 * itself uses protocol/dock/link/serialport-binding.ts (serialport's binding layer, I/O on the loop).
 */
import { SerialPort } from 'serialport';
import {
  type CloseInfo,
  CloseLatch,
  type DockBinding,
  type DockPort,
} from '../protocol/dock/link/binding.js';

class StockPort implements DockPort {
  readonly #latch = new CloseLatch();
  constructor(
    readonly path: string,
    private readonly port: SerialPort,
  ) {
    port.on('close', (err?: Error) => this.#latch.fire(err ?? undefined));
    port.on('error', (err: Error) => this.#latch.fire(err));
  }
  get isOpen(): boolean {
    return this.port.isOpen && !this.#latch.closed;
  }
  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.port.write(data, (err) => err && reject(err))) resolve();
      else this.port.once('drain', () => resolve());
    });
  }
  onData(fn: (chunk: Uint8Array) => void): void {
    this.port.on('data', fn);
  }
  onClose(fn: (info: CloseInfo) => void): void {
    this.#latch.on(fn);
  }
  close(): Promise<void> {
    this.#latch.intended = true;
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

export class StockSerialPortBinding implements DockBinding {
  open(path: string, opts: { baudRate: number }): Promise<DockPort> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: opts.baudRate, autoOpen: false, hupcl: false });
      port.open((err) => (err ? reject(err) : resolve(new StockPort(path, port))));
    });
  }
}
