/**
 * kill -9 of the gateway in the middle of an ingest (a real `gateway run` child process on a PTY
 * dock), then a restart: the transfer resumes from its persisted offset, every clip ends verified
 * exactly once, nothing is lost and nothing was released before it was verified.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../../device-sim/pty.js';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { dockOnSerialPort, type RecorderDock } from '../../device-sim/recorder/dock-link.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const children = new Set<ChildProcess>();
let pair: PtyPair | undefined;
let device: RecorderDock | undefined;
let dir: string | undefined;

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await device?.stop().catch(() => {});
  await pair?.unplug();
  if (dir && !process.env.KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true });
});

function gatewayArgs(cfg: string, ...args: string[]): string[] {
  return ['--import', 'tsx', join(ROOT, 'gateway/main.ts'), '-c', cfg, ...args];
}

function startGatewayProcess(cfg: string, logFile: string): ChildProcess {
  const child = spawn(process.execPath, gatewayArgs(cfg, 'run'), {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'debug' },
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Offset persisted for the clip's partial transfer (0 if none). */
async function persistedOffset(dataDir: string): Promise<number> {
  const tmp = join(dataDir, 'store', 'tmp');
  const names = await readdir(tmp).catch(() => [] as string[]);
  for (const n of names.filter((x) => x.endsWith('.state'))) {
    try {
      return (JSON.parse(await readFile(join(tmp, n), 'utf8')) as { offset: number }).offset;
    } catch {}
  }
  return 0;
}

const until = async (cond: () => boolean | Promise<boolean>) => {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 25));
};

interface AuditLine {
  seq: number;
  type: string;
  subject: string;
  details: Record<string, unknown>;
}

describe('gateway killed mid-ingest', () => {
  it('resumes after a restart: no duplicate, no loss, nothing released unverified', async () => {
    dir = await mkdtemp(join(tmpdir(), 'dock-crash-'));
    const dataDir = join(dir, 'data');
    const cfg = join(dir, 'gateway.json');
    const logFile = join(dir, 'gateway.log');
    await writeFile(
      cfg,
      JSON.stringify({
        dataDir,
        logLevel: 'debug',
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { host: '127.0.0.1', port: 0 },
        dock: {
          ports: [join(dir, 'dock*')],
          chunkBytes: 16 * 1024,
          readWindow: 8,
          checkpointBytes: 64 * 1024,
        },
      }),
    );
    await run(process.execPath, gatewayArgs(cfg, 'recorder', 'add', 'CRASH1'), { cwd: ROOT });

    pair = await createPtyPair(join(dir, 'dock0'), join(dir, 'dev0'));
    const sizes = [2_000_000, 700_000];
    const { recorder } = await recorderWithClips({ serial: 'CRASH1', clipBytes: sizes });
    const clips = recorder.clips().map((c) => ({ ...c }));
    const big = clips.find((c) => c.bytes === sizes[0])!;
    // The recorder holds the transfer half way, so the kill lands mid-clip.
    device = await dockOnSerialPort(recorder, pair.devicePath, {
      helloRetryMs: 200,
      linkTimeoutMs: 2500,
      faults: { stallAfterDataBytes: 1_000_000 },
    });
    const released: string[] = [];
    // Highest byte the recorder has sent (retransmitted READs make it send some chunks twice).
    let sentEnd = 0;
    device.on('data', (d) => {
      sentEnd = Math.max(sentEnd, d.offset + d.bytes);
    });
    device.on('released', (id) => released.push(id));

    const first = startGatewayProcess(cfg, logFile);
    // Kill once the recorder has stopped sending and the gateway holds every byte it sent (a
    // partial file beyond the last checkpoint): nothing is left in flight on the PTY.
    await until(async () => {
      if (sentEnd < 1_000_000) return false;
      const part = (await readdir(join(dataDir, 'store', 'tmp'))).find((n) => n.endsWith('.part'));
      if (!part) return false;
      const size = (await stat(join(dataDir, 'store', 'tmp', part))).size;
      return size === sentEnd && (await persistedOffset(dataDir)) > 0;
    });
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    const offsetAtCrash = await persistedOffset(dataDir);
    expect(offsetAtCrash).toBeGreaterThan(0);
    expect(offsetAtCrash).toBeLessThan(sizes[0]!);
    expect(released).toEqual([]);

    // The recorder notices the silence and starts over with HELLO; the next gateway takes it from there.
    device.faults.stallAfterDataBytes = undefined;
    const reads: { clipId: string; offset: number }[] = [];
    device.once('ready', () => device!.on('read', (r) => reads.push(r)));
    const second = startGatewayProcess(cfg, logFile);
    await until(() => released.length === 2);
    const stopped = new Promise((r) => second.once('exit', r));
    second.kill('SIGTERM');
    await stopped;

    // Resumed: the new gateway's READs of the first clip start at the persisted offset, not at 0.
    const firstClipReads = reads.filter((r) => r.clipId === big.clipId).map((r) => r.offset);
    expect(firstClipReads[0]).toBe(offsetAtCrash);
    expect(Math.min(...firstClipReads)).toBe(offsetAtCrash);
    expect(released.sort()).toEqual(clips.map((c) => c.clipId).sort());
    expect(recorder.clips()).toHaveLength(0);

    // The audit log: one ingest per clip with the recorder's hash, each release after its ingest.
    const lines = (await readFile(join(dataDir, 'store', 'audit', 'audit.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);
    for (const c of clips) {
      const mine = lines.filter((l) => l.subject === `clip:${c.clipId}`);
      const ingests = mine.filter((l) => l.type === 'ingest');
      expect(ingests).toHaveLength(1);
      expect(ingests[0]!.details.sha256).toBe(c.sha256);
      const releases = mine.filter((l) => l.type === 'release');
      expect(releases.length).toBeGreaterThanOrEqual(1);
      for (const r of releases) expect(r.seq).toBeGreaterThan(ingests[0]!.seq);
    }

    // Nothing lost, nothing duplicated, the chain intact: `gateway verify` re-hashes every blob.
    const { stdout } = await run(process.execPath, gatewayArgs(cfg, 'verify', '--json'), { cwd: ROOT });
    const report = JSON.parse(stdout) as { ok: boolean; summary: { clips: number; blobsChecked: number } };
    expect(report.ok).toBe(true);
    expect(report.summary.clips).toBe(2);
    expect(report.summary.blobsChecked).toBe(2);
    expect(await readdir(join(dataDir, 'store', 'tmp'))).toEqual([]);
  });
});
