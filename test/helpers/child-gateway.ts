/**
 * The real gateway (`gateway run`) in a child process, for tests that measure what a hostile peer
 * costs it: its RSS is its own (read from /proc/<pid>/status), not the test runner's.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayConfigInput } from '../../gateway/config.js';
import { waitFor } from './wait.js';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** One `gateway -c CFG ARGS…` run to its exit, as an office runs it. */
export function gatewayCli(cfg: string, ...args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'gateway/main.ts', '-c', cfg, ...args],
      { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
      (err, out, errText) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errText }),
    );
  });
}

export interface ChildGateway {
  child: ChildProcess;
  dataDir: string;
  httpPort: number;
  mqttPort: number;
  /** Resident set size of the gateway process, bytes. */
  rss(): Promise<number>;
  /** The lower of two RSS samples a moment apart (a GC may be under way at either). */
  settledRss(): Promise<number>;
  stop(): Promise<void>;
}

export async function startChildGateway(overrides: GatewayConfigInput = {}): Promise<ChildGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gw-child-'));
  const configFile = join(dataDir, 'gateway.json');
  await writeFile(
    configFile,
    JSON.stringify({
      ...overrides,
      dataDir: join(dataDir, 'data'),
      logLevel: 'info',
      mqtt: { port: 0, host: '127.0.0.1', ...overrides.mqtt },
      http: { port: 0, host: '127.0.0.1', ...overrides.http },
      dock: { ports: [], ...overrides.dock },
    }),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts', '-c', configFile, 'run'], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let httpPort = 0;
  let mqttPort = 0;
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    let nl = out.indexOf('\n');
    while (nl >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      nl = out.indexOf('\n');
      try {
        const j = JSON.parse(line) as { msg?: string; port?: number; http?: number };
        if (j.msg === 'mqtt broker listening' && j.port) mqttPort = j.port;
        if (j.msg === 'gateway started' && j.http) httpPort = j.http;
      } catch {}
    }
  });
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}: ${err}`);
      return httpPort > 0 && mqttPort > 0;
    },
    'the child gateway to listen',
    60_000,
  );
  return {
    child,
    dataDir,
    httpPort,
    mqttPort,
    rss: () => rssOf(child.pid as number),
    async settledRss() {
      const a = await rssOf(child.pid as number);
      await new Promise((r) => setTimeout(r, 300));
      return Math.min(a, await rssOf(child.pid as number));
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}
