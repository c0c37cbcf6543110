/**
 * The C reference codec (protocol/c/) built for the tests with the system cc, under ASan and
 * UBSan: compiled once per source version into the temp dir (renamed into place, so parallel test
 * files share one build), then driven through its harness (protocol/c/test/harness.c).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockType, dockTypeName, type ParseEvent } from '../../protocol/dock/index.js';
import type { ExpectJson } from '../../protocol/vectors/format.js';

const src = join(import.meta.dirname, '../../protocol/c');
const SOURCES = ['dock.h', 'dock.c', 'test/harness.c'];
export const C_FLAGS = ['-std=c99', '-pedantic', '-Wall', '-Wextra', '-Wconversion', '-Wshadow', '-Werror'];

/** Path of the harness binary, built if this source version has not been built yet. */
export function cHarness(): string {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(readFileSync(join(src, f)));
  const dir = join(tmpdir(), `dock-c-${h.digest('hex').slice(0, 16)}`);
  const bin = join(dir, 'harness');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  // The codec itself with every warning an error; the harness with the sanitizers.
  execFileSync('cc', [...C_FLAGS, '-c', join(src, 'dock.c'), '-o', join(dir, `dock-${process.pid}.o`)]);
  const tmp = `${bin}.${process.pid}`;
  execFileSync('cc', [
    '-std=c99',
    '-O1',
    '-g',
    '-fsanitize=address,undefined',
    '-fno-sanitize-recover=all',
    '-fno-omit-frame-pointer',
    join(src, 'dock.c'),
    join(src, 'test/harness.c'),
    '-o',
    tmp,
  ]);
  renameSync(tmp, bin);
  return bin;
}

const SAN_ENV = { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' };

/** Runs the harness; a sanitizer report or a non-zero exit throws with its stderr. */
export function runHarness(args: string[], input?: string): string {
  const r = spawnSync(cHarness(), args, {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, ...SAN_ENV },
  });
  if (r.status !== 0 || r.stderr) throw new Error(`C harness ${args[0]} exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The same, without blocking: the caller does its own work while the C side runs. */
export function runHarnessAsync(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cHarness(),
      args,
      { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, ...SAN_ENV } },
      (err, out, errOut) => {
        if (err || errOut) reject(new Error(`C harness ${args[0]}: ${err?.message ?? ''} ${errOut}`));
        else resolve(out);
      },
    );
  });
}

/** A stream file for `harness parse`: feed records, and resets between independent streams. */
export class StreamFile {
  readonly #parts: Buffer[] = [];
  feed(bytes: Uint8Array): void {
    const h = Buffer.alloc(5);
    h.writeUInt32LE(bytes.length, 1);
    this.#parts.push(h, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  reset(): void {
    this.#parts.push(Buffer.of(1, 0, 0, 0, 0));
  }
  bytes(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

const JSON_TYPES = new Set<number>(
  Object.values(DockType).filter((t) => t !== DockType.READ && t !== DockType.DATA && t !== DockType.ERROR),
);

/**
 * One line per receive event, as the harness prints it. The C codec checks READ, DATA and ERROR
 * bodies and hands JSON bodies to the firmware's JSON parser, so a JSON-typed frame is `J`
 * whether or not its JSON is valid (the TypeScript BAD_BODY for it is the same line).
 */
export function eventLine(e: ParseEvent): string {
  if (e.ok) {
    const f = e.frame;
    const head = `F ${f.version} ${DockType[f.type]} ${f.seq}`;
    if (f.type === 'READ') return `${head} R ${f.body.clipId} ${f.body.offset} ${f.body.length}`;
    if (f.type === 'DATA')
      return `${head} D ${f.body.clipId} ${f.body.offset} ${f.body.eof ? 1 : 0} ${f.body.chunkCrc} ${f.body.chunk.length}`;
    if (f.type === 'ERROR') return `${head} E ${f.body.code}`;
    return `${head} J`;
  }
  const x = e.error;
  if (x.seq === undefined) return `X ${x.code}`;
  if (x.code === 'BAD_BODY' && JSON_TYPES.has(x.type!)) return `F ${x.version} ${x.type} ${x.seq} J`;
  return `X ${x.code} ${x.version} ${x.type} ${x.seq}`;
}

/** The same line for a vector's expected event. */
export function expectLine(e: ExpectJson): string {
  if (e.ok) {
    const f = e.frame;
    const b = f.body;
    const head = `F ${f.version} ${f.typeCode} ${f.seq}`;
    if (f.type === 'READ') return `${head} R ${b.clipId} ${b.offset} ${b.length}`;
    if (f.type === 'DATA')
      return `${head} D ${b.clipId} ${b.offset} ${b.eof ? 1 : 0} ${b.chunkCrc} ${(b.chunk as string).length / 2}`;
    if (f.type === 'ERROR') return `${head} E ${b.code}`;
    return `${head} J`;
  }
  if (e.seq === undefined) return `X ${e.code}`;
  if (e.code === 'BAD_BODY' && JSON_TYPES.has(e.type!)) return `F ${e.version} ${e.type} ${e.seq} J`;
  return `X ${e.code} ${e.version} ${e.type} ${e.seq}`;
}

export { dockTypeName };
