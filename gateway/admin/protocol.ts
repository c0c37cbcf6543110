/**
 * The local admin socket's protocol: one JSON request line in, one JSON response line out, then the
 * gateway closes the connection. The socket (`<dataDir>/admin.sock`, mode 0600 in the 0700 data
 * dir) admits only the gateway's own account, which could open the data dir anyway; what the
 * socket adds is that the running gateway, which holds the index's lock, does the work.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { ErrorCode } from '../errors.js';
import { Role } from '../roles.js';

export const ADMIN_SOCKET = 'admin.sock';
/** A request is a few hundred bytes; anything longer is not ours. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export const socketPath = (dataDir: string): string => join(resolve(dataDir), ADMIN_SOCKET);

/** Who ran the command (`--by`, the OS account), for the audit log. */
const By = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}._@-]+$/u, 'by: letters, digits and . _ @ -');
const Text = z.string().trim().min(1).max(64);
const Path = z.string().min(1).max(4096);

export const AdminRequest = z.discriminatedUnion('command', [
  z.object({
    command: z.literal('user-add'),
    username: z.string().max(64),
    displayName: Text,
    roles: z.array(Role).min(1).max(Role.options.length),
    password: z.string().min(1).max(256),
    by: By.optional(),
  }),
  z.object({ command: z.literal('user-list') }),
  z.object({
    command: z.literal('user-reset'),
    username: z.string().max(64),
    password: z.string().min(1).max(256),
    by: By.optional(),
  }),
  z.object({ command: z.literal('user-unlock'), username: z.string().max(64), by: By.optional() }),
  z.object({
    command: z.literal('recorder-add'),
    serial: z.string().max(64),
    model: Text.optional(),
    unit: Text.optional(),
    custodian: Text.optional(),
    by: By.optional(),
  }),
  z.object({ command: z.literal('recorder-list') }),
  z.object({
    command: z.literal('checkpoint'),
    reason: z.string().trim().min(1).max(200),
    by: By.optional(),
  }),
  z.object({ command: z.literal('reindex'), by: By.optional() }),
  z.object({ command: z.literal('repair'), by: By.optional() }),
  z.object({ command: z.literal('backup'), dest: Path, by: By.optional() }),
  z.object({
    command: z.literal('verify'),
    checkpoints: z.array(Path).max(100).optional(),
    keyFile: Path.optional(),
    mirrors: z.array(Path).max(100).optional(),
  }),
]);
export type AdminRequest = z.infer<typeof AdminRequest>;

export const AdminResponse = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string().max(64), message: z.string().max(2000) }),
  }),
]);
export type AdminResponse =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: ErrorCode | string; message: string } };
