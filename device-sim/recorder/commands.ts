/**
 * Gateway commands applied to the firmware; the answer echoes the command's tid (PROTOCOL.md §2.2).
 * Shared by every link that carries commands.
 */
import { z } from 'zod';
import { Id } from '../../protocol/common.js';
import { decodePayload } from '../../protocol/mqtt/decode.js';
import { type Command, type CommandResponse, PROTOCOL_VERSION } from '../../protocol/mqtt/messages.js';
import { DeviceSimError } from './errors.js';
import type { Recorder } from './recorder.js';

export function applyCommand(rec: Recorder, cmd: Command): CommandResponse {
  const base = { v: PROTOCOL_VERSION, tid: cmd.tid, ok: true };
  try {
    switch (cmd.cmd) {
      case 'time-sync': {
        const deviceTime = rec.syncTime(cmd.gatewayTime);
        return { ...base, at: rec.deviceNow(), deviceTime };
      }
      case 'locate':
        rec.locate(cmd.seconds);
        return { ...base, at: rec.deviceNow() };
      case 'config':
        rec.configure(cmd);
        return { ...base, at: rec.deviceNow() };
    }
  } catch (err) {
    const code = err instanceof DeviceSimError ? err.code : 'FAILED';
    return { ...base, ok: false, at: rec.deviceNow(), error: { code, message: String(err).slice(0, 200) } };
  }
}

const TidOnly = z.object({ tid: Id });

/**
 * Decodes and applies a raw command payload. A command that fails validation is answered with
 * ok:false when its tid can be read, and not at all otherwise (`null`).
 */
export function handleCommandPayload(
  rec: Recorder,
  payload: Uint8Array,
): { response: CommandResponse | null; error?: string } {
  const d = decodePayload('cmd', payload);
  if (d.ok) return { response: applyCommand(rec, d.value) };
  const error = `${d.code}: ${d.reason}`;
  let tid: string | undefined;
  try {
    tid = TidOnly.safeParse(JSON.parse(Buffer.from(payload).toString('utf8'))).data?.tid;
  } catch {
    tid = undefined;
  }
  if (!tid) return { response: null, error };
  return {
    response: {
      v: PROTOCOL_VERSION,
      tid,
      ok: false,
      at: rec.deviceNow(),
      error: { code: d.code, message: d.reason.slice(0, 200) },
    },
    error,
  };
}
