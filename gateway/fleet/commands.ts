/**
 * Gateway -> recorder commands (PROTOCOL.md §2.3): published on the recorder's command topic,
 * answered on cmd/res with the same tid (zigbee2mqtt-style transaction ids), or timed out.
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { encodePayload } from '../../protocol/mqtt/decode.js';
import {
  type Command,
  type CommandResponse,
  type ConfigCommand,
  type LocateCommand,
  PROTOCOL_VERSION,
} from '../../protocol/mqtt/messages.js';
import { GatewayError } from '../errors.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';

export interface CommandTransport {
  isConnected(serial: string): boolean;
  publishCommand(serial: string, payload: Buffer): Promise<void>;
}

export type CommandRequest =
  | { cmd: 'time-sync' }
  | Omit<z.infer<typeof LocateCommand>, 'v' | 'tid' | 'sentAt'>
  | Omit<z.infer<typeof ConfigCommand>, 'v' | 'tid' | 'sentAt'>;

export interface CommandResult {
  response: CommandResponse;
  sentAt: number;
  receivedAt: number;
}

interface Pending {
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  sentAt: number;
}

export interface CommandSenderOptions {
  transport: CommandTransport;
  log: Logger;
  timeoutMs: number;
  now?: () => number;
  /** Told of each measured clock offset (device - gateway, ms) from a time-sync answer. */
  onClockOffset?: (serial: string, offsetMs: number) => void;
}

export class CommandSender implements Service {
  readonly name = 'recorder-commands';
  readonly #pending = new Map<string, Pending>();
  readonly #now: () => number;

  constructor(private readonly opts: CommandSenderOptions) {
    this.#now = opts.now ?? Date.now;
  }

  async send(serial: string, req: CommandRequest, timeoutMs = this.opts.timeoutMs): Promise<CommandResult> {
    if (!this.opts.transport.isConnected(serial)) {
      throw new GatewayError('RECORDER_OFFLINE', `recorder ${serial} is not connected`);
    }
    const tid = randomBytes(8).toString('hex');
    const sentAt = this.#now();
    const cmd: Command =
      req.cmd === 'time-sync'
        ? { v: PROTOCOL_VERSION, tid, sentAt, cmd: 'time-sync', gatewayTime: sentAt }
        : ({ ...req, v: PROTOCOL_VERSION, tid, sentAt } as Command);
    const key = `${serial}\u0000${tid}`;
    const result = new Promise<CommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(
          new GatewayError(
            'COMMAND_TIMEOUT',
            `recorder ${serial} did not answer ${req.cmd} in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(key, { resolve, reject, timer, sentAt });
    });
    try {
      await this.opts.transport.publishCommand(serial, encodePayload(cmd));
    } catch (err) {
      const p = this.#pending.get(key);
      if (p) clearTimeout(p.timer);
      this.#pending.delete(key);
      throw err;
    }
    return result;
  }

  /** cmd/res from the broker hook. */
  response(serial: string, r: CommandResponse, receivedAt: number): void {
    const key = `${serial}\u0000${r.tid}`;
    const p = this.#pending.get(key);
    if (!p) {
      this.opts.log.debug({ recorder: serial, tid: r.tid }, 'command response without a pending command');
      return;
    }
    this.#pending.delete(key);
    clearTimeout(p.timer);
    if (r.deviceTime !== undefined) {
      // The device applied it somewhere between send and answer: take the midpoint.
      const offset = r.deviceTime - (p.sentAt + receivedAt) / 2;
      this.opts.onClockOffset?.(serial, offset);
    }
    p.resolve({ response: r, sentAt: p.sentAt, receivedAt });
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new GatewayError('COMMAND_TIMEOUT', 'gateway stopping'));
    }
    this.#pending.clear();
  }
}
