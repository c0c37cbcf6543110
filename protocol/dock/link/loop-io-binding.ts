/**
 * serialport's Linux binding with writes done on the event loop thread.
 *
 * bindings-cpp opens ports O_NONBLOCK and waits for readiness with uv_poll, but then hands every
 * read and write to the libuv thread pool (`fs.read`/`fs.write`): two thread hand-offs per call.
 * On a 2-core machine those wake-ups cost more CPU than the bytes (measured with `npm run bench --
 * ingest`). A non-blocking write never blocks, so it is done right here; a full kernel buffer waits
 * for the poller as before. Reads are done the same way by the port itself, straight from the
 * poller's readable event (serialport-binding.ts). Opening, settings, close and the poller are
 * bindings-cpp's own.
 */
import { writeSync } from 'node:fs';
import { LinuxBinding, type LinuxOpenOptions, type LinuxPortBinding } from '@serialport/bindings-cpp';

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

/** Replaces `write` of an open LinuxPortBinding with a loop-thread version. */
function onLoop(b: LinuxPortBinding): LinuxPortBinding {
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

/** bindings-cpp's Linux binding, writes on the loop. */
export const LoopIoBinding = {
  list: () => LinuxBinding.list(),
  async open(options: LinuxOpenOptions): Promise<LinuxPortBinding> {
    return onLoop(await LinuxBinding.open(options));
  },
};
