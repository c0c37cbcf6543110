/** Clips for the integrity suites: random bytes stored through the real store's custody. */
import { randomBytes } from 'node:crypto';
import { chmod, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayApp } from '../../gateway/app.js';
import type { ClipRecord } from '../../gateway/store/index.js';

let seq = 0;

export async function ingestClip(app: GatewayApp, bytes = 3 * 1024 * 1024): Promise<ClipRecord> {
  const n = ++seq;
  const file = join(app.config.dataDir, `src-${process.pid}-${n}.bin`);
  await writeFile(file, randomBytes(bytes));
  const start = Date.parse('2026-12-01T02:00:00Z') + n * 60_000;
  return app.store.ingestFile(file, {
    clipId: `INT-${process.pid}-${n}`,
    source: { kind: 'recorder', id: 'INTEG-01' },
    sessionId: `S-${n}`,
    start,
    end: start + 30_000,
    officer: { id: 'off1', name: '李警官', certNo: '粤12345' },
  });
}

/** What an attacker with the gateway's account does: make the original writable, change bytes. */
export async function alterOnDisk(path: string, at: number): Promise<void> {
  await chmod(path, 0o600);
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

export type Fetched = { status: number; headers: Headers; bytes: Buffer; error: Error | null };

/** GET with a bearer token; a body cut off mid-way comes back as `error` with what arrived. */
export async function fetchAll(url: string, token: string, range?: string): Promise<Fetched> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...(range ? { range } : {}) } });
  const parts: Buffer[] = [];
  let error: Error | null = null;
  try {
    for await (const chunk of r.body ?? []) parts.push(Buffer.from(chunk as Uint8Array));
  } catch (err) {
    error = err as Error;
  }
  return { status: r.status, headers: r.headers, bytes: Buffer.concat(parts), error };
}
