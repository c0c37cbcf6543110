/**
 * serialport's Linux binding with reads and writes done on the event loop thread.
 *
 * bindings-cpp opens ports O_NONBLOCK and waits for readiness with uv_poll, but then hands every
 * read and write to the libuv thread pool (`fs.read`/`fs.write`): two thread hand-offs per call,
 * and a PTY or a USB CDC port delivers about 4 KiB per read. On a 2-core machine those wake-ups
 * cost more CPU than the bytes (measured with `npm run bench -- ingest`). A non-blocking read or
 * write never blocks, so it is done right here; EAGAIN waits for the poller as before. Only the
 * I/O calls change: opening, settings, close and the poller are bindings-cpp's own.
 */
import { readSync, writeSync } from 'node:fs';
import {
  BindingsError,
  LinuxBinding,
  type LinuxOpenOptions,
  type LinuxPortBinding,
} from '@serialport/bindings-cpp';

type Poller = LinuxPortBinding['poller'];

export function wouldBlock(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR';
}

/** The errors bindings-cpp reports as a disconnect (unplugged cable, hung-up PTY). */
function markDisconnect(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException & { disconnect?: boolean };
  if (e.code === 'EBADF' || e.code === 'ENXIO' || e.code === 'EIO' || e.code === 'UNKNOWN' || e.errno === -1)
    e.disconnect = true;
  return err;
}

function ready(poller: Poller, event: 'readable' | 'writable'): Promise<void> {
  return new Promise((resolve, reject) => {
    poller.once(event, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

function closedError(): BindingsError {
  return new BindingsError('Port is not open', { canceled: true });
}

/** Replaces `read` and `write` of an open LinuxPortBinding with loop-thread versions. */
function onLoop(b: LinuxPortBinding): LinuxPortBinding {
  // A read that came back short emptied the kernel buffer: the next one waits for the poller
  // (level-triggered, so nothing is missed) instead of failing with EAGAIN, an exception each time.
  let drained = false;
  b.read = async (buffer: Buffer, offset: number, length: number) => {
    for (;;) {
      let woke = false;
      if (drained) {
        await ready(b.poller, 'readable');
        woke = true;
      }
      if (!b.isOpen || b.fd === null) throw closedError();
      let n: number;
      try {
        n = readSync(b.fd, buffer, offset, length, null);
      } catch (err) {
        if (!wouldBlock(err)) throw markDisconnect(err);
        drained = true;
        continue;
      }
      drained = n < length;
      if (n > 0) return { bytesRead: n, buffer };
      // Readable yet nothing to read: end of file, the other end hung up.
      if (woke)
        throw markDisconnect(Object.assign(new Error('end of file: the port hung up'), { code: 'EIO' }));
    }
  };
  b.write = (buffer: Buffer) => {
    const op = (async () => {
      let offset = 0;
      while (offset < buffer.length) {
        if (!b.isOpen || b.fd === null) throw new Error('Port is not open');
        let n: number;
        try {
          n = writeSync(b.fd, buffer, offset, buffer.length - offset);
        } catch (err) {
          if (!wouldBlock(err)) throw markDisconnect(err);
          n = 0;
        }
        offset += n;
        // A short write filled the kernel buffer: wait for room rather than fail with EAGAIN.
        if (offset < buffer.length) await ready(b.poller, 'writable');
      }
    })();
    // `drain()` awaits the write in progress through this (private) field, as bindings-cpp does.
    const w = b as unknown as { writeOperation: Promise<void> | null };
    w.writeOperation = op;
    const done = () => {
      if (w.writeOperation === op) w.writeOperation = null;
    };
    op.then(done, done);
    return op;
  };
  return b;
}

/** A serialport binding (for `SerialPortStream`): bindings-cpp's Linux binding, I/O on the loop. */
export const LoopIoBinding = {
  list: () => LinuxBinding.list(),
  async open(options: LinuxOpenOptions): Promise<LinuxPortBinding> {
    return onLoop(await LinuxBinding.open(options));
  },
};
