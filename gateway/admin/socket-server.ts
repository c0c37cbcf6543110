/**
 * The admin socket (`<dataDir>/admin.sock`, 0600): the CLI's way into a running gateway, which
 * holds the index's lock. One request line per connection (bounded, zod-checked), one response
 * line, then close. Errors go back as a code and a one-line message; anything unexpected is logged
 * here with its stack and reaches the caller only as INTERNAL.
 */
import { chmod, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { GatewayError } from '../errors.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import { isErrno } from '../store/errors.js';
import { AdminRequest, type AdminResponse, MAX_REQUEST_BYTES } from './protocol.js';

/** sun_path is 108 bytes with its terminating NUL (unix(7)). */
const MAX_SOCKET_PATH = 107;

export interface AdminSocketOptions {
  path: string;
  handle: (req: AdminRequest) => Promise<unknown>;
  log: Logger;
  /** A client that has not sent its request line by then is cut off. */
  idleMs?: number;
}

export class AdminSocket implements Service {
  readonly name = 'admin-socket';
  #server: Server | undefined;
  readonly #open = new Set<Socket>();

  constructor(private readonly opts: AdminSocketOptions) {}

  async start(): Promise<void> {
    if (Buffer.byteLength(this.opts.path) > MAX_SOCKET_PATH) {
      // sun_path holds 108 bytes: a data dir that deep gets no socket, and the CLI says so.
      this.opts.log.warn({ path: this.opts.path }, 'data dir path too long for the admin socket');
      return;
    }
    // A socket file left by a gateway that was killed: this one holds the index's lock, so no
    // other gateway can be using it.
    await unlink(this.opts.path).catch((err) => {
      if (!isErrno(err, 'ENOENT')) throw err;
    });
    const server = createServer((socket) => this.#serve(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // The process umask (077) already makes it 0600; say so explicitly for a gateway run otherwise.
    await chmod(this.opts.path, 0o600);
    this.opts.log.info({ path: this.opts.path }, 'admin socket listening');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    for (const s of this.#open) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlink(this.opts.path).catch(() => {});
  }

  #serve(socket: Socket): void {
    this.#open.add(socket);
    socket.on('close', () => this.#open.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.opts.idleMs ?? 10_000, () => socket.destroy());
    let buf = '';
    let answered = false;
    const reply = (res: AdminResponse) => {
      answered = true;
      socket.end(`${JSON.stringify(res)}\n`);
    };
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > MAX_REQUEST_BYTES) {
          reply(failure(new GatewayError('PAYLOAD_TOO_LARGE', 'request line too long')));
        }
        return;
      }
      answered = true;
      socket.setTimeout(0); // a verify or reindex of a large store takes what it takes
      this.#answer(buf.slice(0, nl)).then(
        (res) => socket.end(`${JSON.stringify(res)}\n`),
        () => socket.destroy(),
      );
    });
  }

  async #answer(line: string): Promise<AdminResponse> {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return failure(new GatewayError('BAD_REQUEST', 'request is not JSON'));
    }
    const parsed = AdminRequest.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return failure(
        new GatewayError('BAD_REQUEST', `${issue?.path.join('.') || 'request'}: ${issue?.message}`),
      );
    }
    const req = parsed.data;
    try {
      return { ok: true, result: await this.opts.handle(req) };
    } catch (err) {
      if (!(err instanceof GatewayError) && !isZodError(err)) {
        this.opts.log.error({ err, command: req.command }, 'admin command failed');
      } else this.opts.log.info({ command: req.command, err: String(err) }, 'admin command refused');
      return failure(err);
    }
  }
}

function isZodError(err: unknown): err is { issues: { path: (string | number)[]; message: string }[] } {
  return err instanceof Error && err.name === 'ZodError' && 'issues' in err;
}

/** A code and one line: never a stack, never a nested cause. */
export function failure(err: unknown): AdminResponse {
  if (err instanceof GatewayError) {
    return { ok: false, error: { code: err.code, message: oneLine(err.message) } };
  }
  if (isZodError(err)) {
    const i = err.issues[0];
    return {
      ok: false,
      error: { code: 'BAD_REQUEST', message: oneLine(`${i?.path.join('.') || 'input'}: ${i?.message}`) },
    };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'internal error (see the gateway log)' } };
}

export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}]+/gu, ' ').slice(0, 500);
}
