/** Custody tests: the real `gateway` CLI (tsx) in a child process, LevelDB read raw, the log's lines. */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Level } from 'level';
import type { GatewayConfigInput } from '../../gateway/config.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function writeConfig(dir: string, config: GatewayConfigInput): Promise<string> {
  const file = join(dir, 'gateway.json');
  await writeFile(file, JSON.stringify({ logLevel: 'silent', dock: { ports: [] }, ...config }));
  return file;
}

export async function gatewayCli(cfg: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'gateway/main.ts'), '-c', cfg, ...args],
      { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Every key and value of the LevelDB at `path`, raw (hex), in order. */
export async function dumpLevel(path: string): Promise<[string, string][]> {
  const db = new Level<Buffer, Buffer>(path, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    createIfMissing: false,
  });
  await db.open();
  try {
    const out: [string, string][] = [];
    for await (const [k, v] of db.iterator()) out.push([k.toString('hex'), v.toString('hex')]);
    return out;
  } finally {
    await db.close();
  }
}

/** The lines of a JSONL file's bytes, each without its '\n' (the leaf inputs, FORMATS.md §1). */
export function logLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, from)) {
    out.push(buf.subarray(from, nl));
    from = nl + 1;
  }
  return out;
}
