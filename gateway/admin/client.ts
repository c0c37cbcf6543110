/**
 * The CLI's side of the admin socket. `undefined` means no gateway is listening (no socket file,
 * or a stale one nobody accepts on): the caller opens the data dir itself.
 */
import { createConnection } from 'node:net';
import { GatewayError } from '../errors.js';
import { isErrno } from '../store/errors.js';
import { type AdminRequest, AdminResponse } from './protocol.js';

/** A response carries a verify report of every finding: bounded, but generously. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export function adminRequest(path: string, req: AdminRequest): Promise<{ result: unknown } | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buf = '';
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify(req)}\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      if (buf.length > MAX_RESPONSE_BYTES) {
        socket.destroy();
        reject(new GatewayError('INTERNAL', 'the gateway answered more than a response may hold'));
      }
    });
    socket.on('error', (err) => {
      if (!connected && (isErrno(err, 'ENOENT') || isErrno(err, 'ECONNREFUSED'))) resolve(undefined);
      else if (isErrno(err, 'EACCES'))
        reject(
          new GatewayError(
            'FORBIDDEN',
            `${path}: permission denied (run as the account the gateway runs as)`,
          ),
        );
      else reject(new GatewayError('UNAVAILABLE', `admin socket ${path}: ${err.message}`));
    });
    socket.on('end', () => {
      const line = buf.slice(0, buf.indexOf('\n') >= 0 ? buf.indexOf('\n') : undefined);
      let res: AdminResponse;
      try {
        res = AdminResponse.parse(JSON.parse(line)) as AdminResponse;
      } catch {
        reject(new GatewayError('INTERNAL', 'the gateway closed the admin socket without an answer'));
        return;
      }
      if (res.ok) resolve({ result: res.result });
      else reject(new AdminFailure(res.error.code, res.error.message));
    });
  });
}

/** A refusal the running gateway sent back: printed as its code and message. */
export class AdminFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdminFailure';
  }
}
