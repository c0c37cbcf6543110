/**
 * JSON form of the vectors (see README.md here). Shared by generate.ts and the tests.
 * Uint8Array values (DATA chunks) are written as lowercase hex strings.
 */
import type { DockFrame, ParseEvent } from '../dock/index.js';
import { DockType } from '../dock/index.js';

/** A chunk of wire bytes: hex, or one byte repeated (keeps the oversize vector small). */
export type WireChunk = string | { repeat: string; count: number };

export interface FrameJson {
  version: number;
  type: DockFrame['type'];
  typeCode: number;
  seq: number;
  body: Record<string, unknown>;
}

export type ExpectJson =
  | { ok: true; frame: FrameJson }
  | { ok: false; code: string; seq?: number; type?: number; version?: number };

export interface DockVector {
  name: string;
  meaning: string;
  /** Fed to one fresh parser, in order. */
  chunks: WireChunk[];
  expect: ExpectJson[];
  /** When true, encoding expect[0].frame reproduces the concatenated chunks byte for byte. */
  encodes: boolean;
}

export interface MqttVector {
  name: string;
  meaning: string;
  topic: string;
  payload: string;
  expect: { ok: true; value: unknown } | { ok: false; code: string };
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

export function wireBytes(c: WireChunk): Uint8Array {
  return typeof c === 'string' ? unhex(c) : new Uint8Array(c.count).fill(Number.parseInt(c.repeat, 16));
}

export function frameToJson(f: DockFrame): FrameJson {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f.body)) body[k] = v instanceof Uint8Array ? hex(v) : v;
  return { version: f.version, type: f.type, typeCode: DockType[f.type], seq: f.seq, body };
}

/** Inverse of frameToJson (DATA chunk hex back to bytes). */
export function frameFromJson(j: FrameJson): DockFrame {
  const body: Record<string, unknown> = { ...j.body };
  if (j.type === 'DATA') body.chunk = unhex(body.chunk as string);
  return { type: j.type, version: j.version, seq: j.seq, body } as DockFrame;
}

export function eventToJson(e: ParseEvent): ExpectJson {
  if (e.ok) return { ok: true, frame: frameToJson(e.frame) };
  const out: ExpectJson = { ok: false, code: e.error.code };
  if (e.error.seq !== undefined) {
    out.seq = e.error.seq;
    out.type = e.error.type;
    out.version = e.error.version;
  }
  return out;
}
